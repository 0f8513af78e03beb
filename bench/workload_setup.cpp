// The data and starting weights of each workload: inputs from a seeded normal, labels uniform over
// the 10 classes (W5: Fashion-MNIST), weights from typegrad's initialisation of the workload's graph
// (Glorot uniform, biases zero), named and shaped as in PyTorch. Every implementation copies them.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <typegrad/io/fashion_mnist.hpp>

#include "typegrad_networks.hpp"
#include "workload.hpp"

namespace bench {

namespace {

namespace tg = typegrad;
namespace nets = typegrad_networks;

constexpr std::uint64_t initial_weights_seed = 1;

std::vector<float> normal_values(std::size_t n, std::uint64_t seed) {
    tg::random_generator rng{seed};
    std::vector<float> v(n);
    for (auto& x : v) x = float(rng.normal());
    return v;
}

std::vector<std::int32_t> uniform_labels(std::size_t n, std::uint64_t seed) {
    tg::random_generator rng{seed};
    std::vector<std::int32_t> labels(n);
    for (auto& l : labels) l = std::int32_t(rng.below(10));
    return labels;
}

template <class Graph>
std::vector<named_tensor> initial_parameters_of(Graph&& net) {
    net.initialize(initial_weights_seed);
    const auto parameters = net.parameters();
    std::vector<named_tensor> tensors;
    for (const tg::parameter_tensor& t : net.parameter_tensors())
        tensors.push_back({t.name, t.shape, {parameters.begin() + std::ptrdiff_t(t.offset), parameters.begin() + std::ptrdiff_t(t.offset + t.size)}});
    return tensors;
}

// W5: W3's network and starting weights, trained on the Fashion-MNIST training images (pixels in
// [0, 1], as the library reads them) and tested on its test images.
workload_setup fashion_mnist_setup() {
    tg::dataset<float, std::int32_t> train, test;
    try {
        train = tg::io::read_fashion_mnist(tg::io::fashion_mnist_directory, "train");
        test = tg::io::read_fashion_mnist(tg::io::fashion_mnist_directory, "t10k");
    } catch (const tg::io::io_error& e) {
        throw std::runtime_error(std::string("the Fashion-MNIST data cannot be read: ") + e.what());
    }
    return {.batch = 64,
            .sample_shape = {1, 28, 28},
            .inputs = std::move(train.features),
            .targets = {},
            .labels = std::move(train.targets),
            .initial_parameters = initial_parameters_of(nets::w3_graph()),
            .test_inputs = std::move(test.features),
            .test_labels = std::move(test.targets)};
}

// Seeds as in the typegrad-only benchmarks that came before, so that figures stay comparable.
workload_setup make_setup(workload w) {
    switch (w) {
        case workload::w1: return {32, {16}, normal_values(32 * 16, 1), normal_values(32, 2), {}, initial_parameters_of(nets::w1_graph())};
        case workload::w4: return {1, {16}, normal_values(16, 3), {}, {}, initial_parameters_of(nets::w4_graph())};
        case workload::w2: return {128, {784}, normal_values(128 * 784, 4), {}, uniform_labels(128, 5), initial_parameters_of(nets::w2_graph())};
        case workload::w3:
            return {64, {1, 28, 28}, normal_values(64 * 784, 6), {}, uniform_labels(64, 7), initial_parameters_of(nets::w3_graph())};
        case workload::w5: return fashion_mnist_setup();
    }
    throw std::logic_error("make_setup: unknown workload");
}

// Built on first use, one per workload, so that a process that runs one workload (peak_memory_*)
// holds only its data.
template <workload W>
const workload_setup& setup_built_once() {
    static const workload_setup setup = make_setup(W);
    return setup;
}

}  // namespace

const workload_setup& setup_of(workload w) {
    switch (w) {
        case workload::w1: return setup_built_once<workload::w1>();
        case workload::w2: return setup_built_once<workload::w2>();
        case workload::w3: return setup_built_once<workload::w3>();
        case workload::w4: return setup_built_once<workload::w4>();
        case workload::w5: return setup_built_once<workload::w5>();
    }
    throw std::logic_error("setup_of: unknown workload");
}

}  // namespace bench
