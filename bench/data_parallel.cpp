// Data-parallel training over MPI (../shared/workloads.md, W5-mpi), run by scripts/bench: under
// `mpirun -np 2` for the transport and W5 on 2 ranks x 1 thread, alone for W5 on 1 process x 2 and
// x 1 thread (--threads). Rank 0 reports; every benchmark runs a fixed number of iterations on every
// rank, so that the ranks' collectives match.
//
//   pingpong/<bytes>      rank 0 -> 1 -> 0: alpha (half a round trip of 8 bytes) and the bandwidth B
//   sum/w3_gradient       tg::mpi::communicator::sum of W3's 225,034 float gradients, as fit() sums them;
//                         counter model_us: the ring model 2(N-1) alpha + 2 (N-1)/N S/B from the ping-pong
//   allreduce/w3_gradient MPI_Allreduce of the same, for comparison
//   W5-mpi/typegrad/ranks:N/threads:T   W5 by tg::fit on N ranks x T threads: wall time, test accuracy
//                         (--seed S: the seed of the weights, the shuffling and dropout; 5 by default)
#include <benchmark/benchmark.h>

#include <chrono>
#include <optional>
#include <cstdio>
#include <string>
#include <vector>

#include <typegrad/parallel/mpi.hpp>
#include <typegrad/typegrad.hpp>

#include "blas_threads.hpp"
#include "typegrad_networks.hpp"
#include "workload.hpp"

namespace tg = typegrad;
namespace nets = bench::typegrad_networks;

namespace {

tg::mpi::communicator* world = nullptr;
std::size_t threads = 1;
std::uint64_t seed = 5;  // of the weights, the shuffling and dropout (--seed)
double alpha_seconds = 0, bytes_per_second = 0;  // from the ping-pongs, for the model

constexpr std::size_t w3_gradients = 225034;

void barrier() { MPI_Barrier(world->native()); }

// One round trip of `buffer`, rank 0 -> 1 -> 0 (other ranks wait it out).
void round_trip(std::vector<std::byte>& buffer) {
    const int bytes = int(buffer.size());
    if (world->rank() == 0) {
        MPI_Send(buffer.data(), bytes, MPI_BYTE, 1, 0, world->native());
        MPI_Recv(buffer.data(), bytes, MPI_BYTE, 1, 0, world->native(), MPI_STATUS_IGNORE);
    } else if (world->rank() == 1) {
        MPI_Recv(buffer.data(), bytes, MPI_BYTE, 0, 0, world->native(), MPI_STATUS_IGNORE);
        MPI_Send(buffer.data(), bytes, MPI_BYTE, 0, 0, world->native());
    }
}

void pingpong(benchmark::State& state) {
    const std::size_t bytes = std::size_t(state.range(0));
    std::vector<std::byte> buffer(bytes);
    barrier();
    for (auto _ : state) round_trip(buffer);
    state.SetBytesProcessed(std::int64_t(2 * bytes) * state.iterations());
}

// The ping-pongs are timed again by hand here, so that every rank gets the same alpha and B.
void measure_link() {
    const auto round_trip_seconds = [](std::size_t bytes, int repeats) {
        std::vector<std::byte> buffer(bytes);
        barrier();
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < repeats; ++i) round_trip(buffer);
        double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / repeats;
        world->broadcast(std::span<double>(&seconds, 1), 0);
        return seconds;
    };
    alpha_seconds = round_trip_seconds(8, 2000) / 2;
    const std::size_t large = std::size_t(4) << 20;
    bytes_per_second = double(large) / (round_trip_seconds(large, 50) / 2 - alpha_seconds);
}

double ring_model_seconds(std::size_t bytes) {
    const double n = double(world->size());
    return 2 * (n - 1) * alpha_seconds + 2 * (n - 1) / n * double(bytes) / bytes_per_second;
}

void sum_w3_gradient(benchmark::State& state) {
    std::vector<float> gradient(w3_gradients, 1.f);
    barrier();
    for (auto _ : state) world->sum(std::span<float>(gradient));
    state.counters["model_us"] = ring_model_seconds(w3_gradients * sizeof(float)) * 1e6;
    state.counters["alpha_us"] = alpha_seconds * 1e6;
    state.counters["bandwidth_GBps"] = bytes_per_second / 1e9;
    state.counters["ranks"] = double(world->size());
}

void allreduce_w3_gradient(benchmark::State& state) {
    std::vector<float> gradient(w3_gradients, 1.f);
    barrier();
    for (auto _ : state) MPI_Allreduce(MPI_IN_PLACE, gradient.data(), int(gradient.size()), MPI_FLOAT, MPI_SUM, world->native());
    state.counters["model_us"] = ring_model_seconds(w3_gradients * sizeof(float)) * 1e6;
}

// W5 by tg::fit: 2 epochs of Fashion-MNIST, batch 64 (the global batch), Adam 1e-3.
void w5(benchmark::State& state) {
    const bench::workload_setup& setup = bench::setup_of(bench::workload::w5);
    const tg::dataset<float, std::int32_t> train{setup.sample_size(), 1, setup.inputs, setup.labels};
    const tg::dataset<float, std::int32_t> test{setup.sample_size(), 1, setup.test_inputs, setup.test_labels};
    tg::communicator* ranks = world && world->size() > 1 ? world : nullptr;
    double accuracy = 0, seconds = 0;
    for (auto _ : state) {
        auto net = nets::w3_graph();
        net.set_threads(threads);
        net.initialize(seed);
        tg::adam<float> adam{{.learning_rate = 1e-3}};
        if (ranks) barrier();
        const auto start = std::chrono::steady_clock::now();
        tg::fit(net, adam, train, nets::cnn_pixels, tg::labels<10>, {.epochs = bench::w5_epochs, .batch_size = setup.batch, .seed = seed, .ranks = ranks});
        seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        state.PauseTiming();
        accuracy = tg::accuracy(net, test, nets::cnn_pixels, nets::cnn_logits, {.batch_size = 1000, .ranks = ranks});
        state.ResumeTiming();
    }
    state.counters["test_accuracy"] = accuracy;
    state.counters["train_s"] = seconds;
}

class silent_reporter : public benchmark::BenchmarkReporter {
public:
    bool ReportContext(const Context&) override { return true; }
    void ReportRuns(const std::vector<Run>&) override {}
};

}  // namespace

int main(int argc, char** argv) {
    // MPI only under a launcher: an MPI process started alone (a singleton) may be bound to one core,
    // which would put a 1-process run's threads on one core.
    std::optional<tg::mpi::environment> mpi;
    std::optional<tg::mpi::communicator> communicator;
    if (tg::mpi::launched_by_mpi()) {
        mpi.emplace(argc, argv);
        communicator.emplace();
        world = &*communicator;
    }
    const std::size_t rank = world ? world->rank() : 0, ranks = world ? world->size() : 1;
    for (int i = 1; i + 1 < argc; ++i)
        if (std::string(argv[i]) == "--threads") threads = std::size_t(std::stoul(argv[i + 1]));
        else if (std::string(argv[i]) == "--seed") seed = std::stoull(argv[i + 1]);
    bench::set_blas_threads(1);
    benchmark::Initialize(&argc, argv);

    if (ranks > 1) {
        measure_link();
        for (const std::int64_t bytes : {std::int64_t(8), std::int64_t(1) << 16, std::int64_t(4) << 20})
            benchmark::RegisterBenchmark(("pingpong/" + std::to_string(bytes)).c_str(), pingpong)->Arg(bytes)->Iterations(bytes > 100000 ? 50 : 2000)->UseRealTime();
        benchmark::RegisterBenchmark("sum/w3_gradient", sum_w3_gradient)->Iterations(200)->UseRealTime()->Unit(benchmark::kMicrosecond);
        benchmark::RegisterBenchmark("allreduce/w3_gradient", allreduce_w3_gradient)->Iterations(200)->UseRealTime()->Unit(benchmark::kMicrosecond);
    }
    const std::string name = "W5-mpi/typegrad/ranks:" + std::to_string(ranks) + "/threads:" + std::to_string(threads);
    benchmark::RegisterBenchmark(name.c_str(), w5)->Iterations(1)->UseRealTime()->Unit(benchmark::kSecond);

    if (rank == 0) {
        benchmark::RunSpecifiedBenchmarks();
    } else {
        silent_reporter silent;
        benchmark::RunSpecifiedBenchmarks(&silent, &silent);
    }
    benchmark::Shutdown();
    return 0;
}
