// W3 training of one implementation alone in a process, for the peak resident memory of the whole
// process (the figure ../shared/peer-figures.md gives: a program that links only that
// implementation). Built once per implementation: peak_memory_typegrad, peak_memory_libtorch,
// peak_memory_dlib, each linking only its own runner and libraries.
//
//   peak_memory_<implementation> [N]   N training steps (20) on 1 thread; prints one JSON line
#include <cstdio>
#include <exception>
#include <string>

#include "peak_memory.hpp"
#if defined(TYPEGRAD_PEAK_MEMORY_OF_LIBTORCH)
#include "peers/libtorch_workloads.hpp"
#elif defined(TYPEGRAD_PEAK_MEMORY_OF_DLIB)
#include "peers/dlib_workloads.hpp"
#else
#include "typegrad_runner.hpp"
#endif

namespace {
#if defined(TYPEGRAD_PEAK_MEMORY_OF_LIBTORCH)
constexpr const char* name = "W3/libtorch";
constexpr bench::runner_factory make = bench::make_libtorch_runner;
#elif defined(TYPEGRAD_PEAK_MEMORY_OF_DLIB)
constexpr const char* name = "W3/dlib";
constexpr bench::runner_factory make = bench::make_dlib_runner;
#else
constexpr const char* name = "W3/typegrad";
constexpr bench::runner_factory make = bench::make_typegrad_runner;
#endif
}  // namespace

int main(int argc, char** argv) {
    const long baseline_kib = bench::peak_resident_kib();
    try {
        bench::report_peak_memory(name, make, bench::workload::w3, argc >= 2 ? std::stoul(argv[1]) : 20, baseline_kib);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
        return 1;
    }
}
