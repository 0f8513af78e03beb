// The benchmark program of the reference workloads (../shared/workloads.md): typegrad and its peers
// (libtorch and dlib, each built when its Debian package is present) in one invocation, one after
// another, named <workload>/<implementation>/<threads>. Each implementation starts from the same
// weights and data (workload_setup.cpp); before its timing, its first two steps are compared with
// typegrad's, and a benchmark that disagrees by more than 1e-4 relative is refused, not reported.
//
//   workloads [Google Benchmark options]        run the benchmarks (scripts/bench)
//   workloads --peak-memory W3/libtorch [N]     N training steps (10) in this fresh process; print its
//                                               peak resident memory as one JSON line
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <string>
#include <vector>

#include "agreement.hpp"
#include "peak_memory.hpp"
#include "typegrad_runner.hpp"
#include "workload_runner.hpp"
#ifdef TYPEGRAD_BENCH_LIBTORCH
#include "peers/libtorch_workloads.hpp"
#endif
#ifdef TYPEGRAD_BENCH_DLIB
#include "peers/dlib_workloads.hpp"
#endif

namespace {

using namespace bench;

constexpr double tolerance = 1e-4;

struct implementation {
    std::string name;
    runner_factory make;
};

const std::vector<implementation> implementations{
    {"typegrad", make_typegrad_runner},
#ifdef TYPEGRAD_BENCH_LIBTORCH
    {"libtorch", make_libtorch_runner},
#endif
#ifdef TYPEGRAD_BENCH_DLIB
    {"dlib", make_dlib_runner},
#endif
};

std::vector<step_record> first_two_steps(workload_runner& runner) {
    std::vector<step_record> steps;
    for (int i = 0; i < 2; ++i) {
        runner.step();
        steps.push_back(runner.last_step());
    }
    return steps;
}

// typegrad on one thread (exact and deterministic) is the reference.
const std::vector<step_record>& reference_steps(workload w) {
    static std::map<workload, std::vector<step_record>> cache;
    auto it = cache.find(w);
    if (it == cache.end()) it = cache.emplace(w, first_two_steps(*make_typegrad_runner(w, 1))).first;
    return it->second;
}

// The verdict on one benchmark: empty if it agrees with typegrad, else why not. Google Benchmark
// calls a benchmark several times (to size its runs, then once per repetition): check once.
struct verdict {
    std::string refusal;
    double largest_relative_difference = 0;
};

std::string scientific(double x) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1e", x);
    return text;
}

verdict check_against_typegrad(const std::string& name, workload w, const implementation& impl, std::size_t threads) {
    const std::vector<step_record>& reference = reference_steps(w);
    const agreement a = compare_steps(reference, first_two_steps(*impl.make(w, threads)));
    if (!a.problem.empty()) return {name + " cannot be compared with typegrad: " + a.problem, 0};
    if (!(a.largest_relative_difference <= tolerance))
        return {name + " disagrees with typegrad: " + a.where + " differs by " + scientific(a.largest_relative_difference) + " relative (tolerance " +
                    scientific(tolerance) + "); not timed",
                a.largest_relative_difference};
    return {"", a.largest_relative_difference};
}

void run(benchmark::State& state, const std::string& name, workload w, const implementation& impl, std::size_t threads) {
    static std::map<std::string, verdict> verdicts;
    try {
        auto it = verdicts.find(name);
        if (it == verdicts.end()) it = verdicts.emplace(name, check_against_typegrad(name, w, impl, threads)).first;
        if (!it->second.refusal.empty()) {
            state.SkipWithError(it->second.refusal.c_str());
            return;
        }
        // Built last, so that its thread settings (process-wide) are the ones in force.
        auto runner = impl.make(w, threads);
        state.SetLabel("agrees with typegrad to " + scientific(it->second.largest_relative_difference));
        for (auto _ : state) runner->step();
    } catch (const std::exception& e) {
        const std::string message = name + ": " + e.what();
        state.SkipWithError(message.c_str());
    }
}

void register_benchmarks() {
    // Workload by workload, so that the implementations of one are measured close together in time.
    for (const workload w : {workload::w1, workload::w4, workload::w2, workload::w3}) {
        const bool small = w == workload::w1 || w == workload::w4;
        for (const implementation& impl : implementations)
            for (const std::size_t threads : {1, 2}) {
                const std::string name = std::string(name_of(w)) + "/" + impl.name + "/" + std::to_string(threads);
                benchmark::RegisterBenchmark(name.c_str(), [=, &impl](benchmark::State& state) { run(state, name, w, impl, threads); })
                    ->Unit(small ? benchmark::kMicrosecond : benchmark::kMillisecond)
                    ->UseRealTime();  // wall time: the work of 2 threads is not all on the calling thread
            }
    }
}

int peak_memory_mode(const std::string& what, std::size_t steps, long baseline_kib) {
    const auto slash = what.find('/');
    const std::string workload_name = what.substr(0, slash), implementation_name = slash == std::string::npos ? "" : what.substr(slash + 1);
    for (const implementation& impl : implementations)
        if (impl.name == implementation_name) {
            report_peak_memory(what, impl.make, workload_named(workload_name), steps, baseline_kib);
            return 0;
        }
    std::string known;
    for (const implementation& impl : implementations) known += " " + impl.name;
    std::fprintf(stderr, "workloads --peak-memory: no implementation '%s' in '%s' (built:%s)\n", implementation_name.c_str(), what.c_str(),
                 known.c_str());
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    const long baseline_kib = peak_resident_kib();
    if (argc >= 3 && std::string(argv[1]) == "--peak-memory") {
        try {
            return peak_memory_mode(argv[2], argc >= 4 ? std::stoul(argv[3]) : 10, baseline_kib);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "workloads --peak-memory: %s\n", e.what());
            return 1;
        }
    }
    register_benchmarks();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
