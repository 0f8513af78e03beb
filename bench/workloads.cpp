// The benchmark program of the reference workloads (../shared/workloads.md): typegrad and its peers
// (libtorch and dlib, each built when its Debian package is present) in one invocation, one after
// another, named <workload>/<implementation>/<threads>. Each implementation starts from the same
// weights and data (workload_setup.cpp); before its timing, its first two steps are compared with
// typegrad's, and a benchmark that disagrees by more than 1e-4 relative is refused, not reported.
// W5 is timed as one run of w5_epochs epochs, after which the counter test_accuracy is measured.
// The peak memory of W3 training is measured by other programs, one per implementation
// (peak_memory_main.cpp). `workloads --export-setup DIR` writes the setups and typegrad's reference
// steps for the peer outside this program, PyTorch in Python (setup_export.hpp).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <string>
#include <vector>

#include "agreement.hpp"
#include "setup_export.hpp"
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

// In the order they are registered: the implementations of one workload are measured close together.
const std::vector<workload> all_workloads{workload::w1, workload::w4, workload::w2, workload::w3, workload::w5};

struct implementation {
    std::string name;
    runner_factory make;
    std::vector<workload> workloads;  // those it implements
};

const std::vector<implementation> implementations{
    {"typegrad", make_typegrad_runner, all_workloads},
#ifdef TYPEGRAD_BENCH_LIBTORCH
    {"libtorch", make_libtorch_runner, all_workloads},
#endif
#ifdef TYPEGRAD_BENCH_DLIB
    // Not W5: two epochs of dlib would add minutes to every run, for a peer with no W5 figure to compare.
    {"dlib", make_dlib_runner, {workload::w1, workload::w4, workload::w2, workload::w3}},
#endif
};

// typegrad on one thread (exact and deterministic) is the reference.
const std::vector<step_record>& reference_steps(workload w) {
    static std::map<workload, std::vector<step_record>> cache;
    auto it = cache.find(w);
    if (it == cache.end()) it = cache.emplace(w, first_two_steps(*make_typegrad_runner(w, 1), w)).first;
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
    const agreement a = compare_steps(reference, first_two_steps(*impl.make(w, threads), w));
    if (!a.problem.empty()) return {name + " cannot be compared with typegrad: " + a.problem, 0};
    if (!(a.largest_relative_difference <= agreement_tolerance))
        return {name + " disagrees with typegrad: " + a.where + " differs by " + scientific(a.largest_relative_difference) + " relative (tolerance " +
                    scientific(agreement_tolerance) + "); not timed",
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
        const std::size_t steps = steps_per_iteration(w);
        for (auto _ : state)
            for (std::size_t s = 0; s < steps; ++s) runner->step();
        // After the timed loop, so not timed.
        if (w == workload::w5) state.counters["test_accuracy"] = runner->test_accuracy();
    } catch (const std::exception& e) {
        const std::string message = name + ": " + e.what();
        state.SkipWithError(message.c_str());
    }
}

void register_benchmarks() {
    for (const workload w : all_workloads) {
        const bool small = w == workload::w1 || w == workload::w4;
        const bool end_to_end = w == workload::w5;
        for (const implementation& impl : implementations) {
            if (std::find(impl.workloads.begin(), impl.workloads.end(), w) == impl.workloads.end()) continue;
            // W5 on 2 threads only, the peers' reference figure: each run trains for tens of seconds.
            for (const std::size_t threads : end_to_end ? std::vector<std::size_t>{2} : std::vector<std::size_t>{1, 2}) {
                const std::string name = std::string(name_of(w)) + "/" + impl.name + "/" + std::to_string(threads);
                auto* b = benchmark::RegisterBenchmark(name.c_str(), [=, &impl](benchmark::State& state) { run(state, name, w, impl, threads); })
                              ->Unit(end_to_end ? benchmark::kSecond : small ? benchmark::kMicrosecond : benchmark::kMillisecond)
                              ->UseRealTime();  // wall time: the work of 2 threads is not all on the calling thread
                // One training run, whatever --benchmark_repetitions says: five would take minutes more.
                if (end_to_end) b->Iterations(1)->Repetitions(1);
            }
        }
    }
}

// `workloads --export-setup DIR [W1 ...]`: writes the setups and typegrad's reference steps of the
// workloads named (all by default) for bench/peers/pytorch_workloads.py (setup_export.hpp), and exits.
int export_setups_to(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s --export-setup DIRECTORY [W1 W2 W3 W4 W5]\n", argv[0]);
        return 2;
    }
    try {
        std::vector<workload> chosen;
        for (int i = 3; i < argc; ++i) chosen.push_back(workload_named(argv[i]));
        export_setups(argv[2], chosen.empty() ? all_workloads : chosen);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s --export-setup: %s\n", argv[0], e.what());
        return 1;
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc >= 2 && std::string(argv[1]) == "--export-setup") return export_setups_to(argc, argv);
    register_benchmarks();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
