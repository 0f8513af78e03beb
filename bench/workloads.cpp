// Google Benchmark programs for the reference workloads of ../shared/workloads.md, typegrad side.
// Names follow <workload>/<implementation>/<threads>. The peers (libtorch, dlib) and the ratio table
// come with the speed work; these give typegrad's own figures, measured the same way.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

namespace {

std::vector<float> normal_values(std::size_t n, std::uint64_t seed) {
    tg::random_generator rng{seed};
    std::vector<float> v(n);
    for (auto& x : v) x = float(rng.normal());
    return v;
}

// Forward, loss, backward and an SGD update (lr 0.01) per iteration.
template <class Graph>
void time_training_steps(benchmark::State& state, Graph& net, std::size_t batch) {
    tg::sgd<float> opt{{.learning_rate = 0.01}};
    for (auto _ : state) {
        net.forward(batch);
        net.backward();
        tg::step(opt, net);
        benchmark::DoNotOptimize(net.parameters().data());
    }
}

const auto w1_input = tg::named_input<"x", 16>;
const auto w1_network = w1_input | tg::dense<64> | tg::tanh | tg::dense<64> | tg::tanh | tg::dense<1>;

// W1: tiny MLP training step (forward, MSE, backward, SGD lr 0.01), batch 32.
void w1_training_step(benchmark::State& state) {
    constexpr std::size_t batch = 32;
    auto net = tg::compile<float>(tg::mse_loss(w1_network, tg::target<1>));
    const auto x = normal_values(batch * 16, 1), t = normal_values(batch, 2);
    net.bind(w1_input, x);
    net.bind(tg::target<1>, t);
    time_training_steps(state, net, batch);
}

// W4: W1's network, inference, batch 1.
void w4_inference(benchmark::State& state) {
    auto net = tg::compile<float>(w1_network);
    const auto x = normal_values(16, 3);
    net.bind(w1_input, x);
    for (auto _ : state) {
        net.forward(1);
        benchmark::DoNotOptimize(net.value(w1_network).data());
    }
}

// A classifier's training step (softmax cross-entropy against 10 classes) on random pixels and labels.
template <class Pixels, class Logits>
void time_classifier_steps(benchmark::State& state, const Pixels& pixels, const Logits& logits, std::size_t batch, std::size_t threads,
                           std::uint64_t seed) {
    auto net = tg::compile<float>(tg::cross_entropy(logits, tg::labels<10>));
    net.set_threads(threads);
    const auto x = normal_values(batch * Pixels::shape::size, seed);
    std::vector<std::int32_t> labels(batch);
    tg::random_generator rng{seed + 1};
    for (auto& l : labels) l = std::int32_t(rng.below(10));
    net.bind(pixels, x);
    net.bind(tg::labels<10>, labels);
    time_training_steps(state, net, batch);
}

// W2: MNIST MLP training step (softmax cross-entropy, SGD lr 0.01), batch 128, on `Threads` threads.
template <std::size_t Threads>
void w2_training_step(benchmark::State& state) {
    const auto pixels = tg::named_input<"pixels", 784>;
    const auto logits = pixels | tg::dense<256> | tg::relu | tg::dense<128> | tg::relu | tg::dense<10>;
    time_classifier_steps(state, pixels, logits, 128, Threads, 4);
}

// W3: MNIST CNN training step (softmax cross-entropy, SGD lr 0.01), batch 64, on `Threads` threads.
template <std::size_t Threads>
void w3_training_step(benchmark::State& state) {
    const auto pixels = tg::named_input<"pixels", 1, 28, 28>;
    const auto logits = pixels | tg::conv2d<32, 3> | tg::relu | tg::max_pool<2> | tg::conv2d<64, 3> | tg::relu | tg::max_pool<2> |
                        tg::flatten | tg::dense<128> | tg::relu | tg::dense<10>;
    time_classifier_steps(state, pixels, logits, 64, Threads, 6);
}

}  // namespace

// OpenBLAS is limited to one thread by scripts/bench (OPENBLAS_NUM_THREADS=1); typegrad's own
// threads (graph::set_threads) split each batch, as the last part of the name says.
BENCHMARK(w1_training_step)->Name("W1/typegrad/1")->Unit(benchmark::kMicrosecond);
BENCHMARK(w4_inference)->Name("W4/typegrad/1")->Unit(benchmark::kMicrosecond);
BENCHMARK_TEMPLATE(w2_training_step, 1)->Name("W2/typegrad/1")->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(w2_training_step, 2)->Name("W2/typegrad/2")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_TEMPLATE(w3_training_step, 1)->Name("W3/typegrad/1")->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(w3_training_step, 2)->Name("W3/typegrad/2")->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
