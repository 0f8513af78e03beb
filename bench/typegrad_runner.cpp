// typegrad's side of the workloads: the compiled graphs of typegrad_networks.hpp, loaded with the
// shared starting weights, stepped with tg::sgd (lr 0.01; W5: tg::adam, lr 1e-3).
#include "typegrad_runner.hpp"

#include <algorithm>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "blas_threads.hpp"
#include "typegrad_networks.hpp"

namespace bench {

namespace {

namespace tg = typegrad;
namespace nets = typegrad_networks;

// Copies the shared starting weights into the graph by PyTorch name, checking every shape.
template <class Graph>
void load_starting_weights(Graph& net, const workload_setup& setup) {
    const auto tensors = net.parameter_tensors();
    if (tensors.size() != setup.initial_parameters.size())
        throw std::invalid_argument("typegrad: the graph has " + std::to_string(tensors.size()) + " parameter tensors, the starting weights " +
                                    std::to_string(setup.initial_parameters.size()));
    for (const tg::parameter_tensor& t : tensors) {
        const named_tensor& source = parameter_named(setup, t.name);
        if (source.shape != t.shape) throw std::invalid_argument("typegrad: parameter " + t.name + " has another shape in the starting weights");
        std::copy(source.values.begin(), source.values.end(), net.parameters().begin() + std::ptrdiff_t(t.offset));
    }
}

template <class Graph>
std::vector<named_tensor> gradients_of(const Graph& net) {
    std::vector<named_tensor> tensors;
    const auto gradients = net.gradients();
    for (const tg::parameter_tensor& t : net.parameter_tensors())
        tensors.push_back({t.name, t.shape, {gradients.begin() + std::ptrdiff_t(t.offset), gradients.begin() + std::ptrdiff_t(t.offset + t.size)}});
    return tensors;
}

// The rows of `values` (a setup's inputs, targets or labels) that batch `b` covers.
template <class T>
std::span<const T> rows_of(const std::vector<T>& values, std::size_t samples, batch_order::batch b) {
    const std::size_t row = values.size() / samples;
    return {values.data() + b.first * row, b.size * row};
}

// Trains a compiled graph from the shared starting weights: each step binds the next batch of the
// setup to `input` and `target`, then runs forward, backward and the optimiser. A classifier given
// its `logits` can also classify the setup's test images (W5).
template <class Graph, class Input, class Target, class Optimizer, class Logits>
class training_runner final : public workload_runner {
public:
    training_runner(Graph net, const workload_setup& setup, std::size_t threads, Input input, Target target, Optimizer optimizer, Logits logits)
        : net_{std::move(net)}, setup_{setup}, order_{setup}, input_{input}, target_{target}, optimizer_{std::move(optimizer)}, logits_{logits} {
        set_blas_threads(1);
        net_.set_threads(threads);
        load_starting_weights(net_, setup);
        net_.reserve(setup.batch);
    }
    void step() override {
        const batch_order::batch b = order_.next();
        net_.bind(input_, rows_of(setup_.inputs, setup_.samples(), b));
        if constexpr (Target::feed == tg::feed_kind::labels)
            net_.bind(target_, rows_of(setup_.labels, setup_.samples(), b));
        else
            net_.bind(target_, rows_of(setup_.targets, setup_.samples(), b));
        net_.forward(b.size);
        net_.backward();
        tg::step(optimizer_, net_);
    }
    step_record last_step() override { return {net_.loss(), gradients_of(net_)}; }
    double test_accuracy() override {
        if constexpr (std::is_same_v<Logits, tg::no_logits>) {
            return workload_runner::test_accuracy();
        } else {
            // A copy, since a typegrad dataset owns its values; it is not timed.
            const tg::dataset<float, std::int32_t> test{setup_.sample_size(), 1, setup_.test_inputs, setup_.test_labels};
            return tg::accuracy(net_, test, input_, logits_, {.batch_size = setup_.batch});
        }
    }

private:
    Graph net_;
    const workload_setup& setup_;
    batch_order order_;
    Input input_;
    Target target_;
    Optimizer optimizer_;
    Logits logits_;
};

template <class Graph, class Input, class Target, class Optimizer, class Logits = tg::no_logits>
std::unique_ptr<workload_runner> make_training_runner(Graph net, const workload_setup& setup, std::size_t threads, const Input& input,
                                                      const Target& target, Optimizer optimizer, const Logits& logits = {}) {
    return std::make_unique<training_runner<Graph, Input, Target, Optimizer, Logits>>(std::move(net), setup, threads, input, target,
                                                                                      std::move(optimizer), logits);
}

// W4: one forward pass of one sample.
class inference_runner final : public workload_runner {
public:
    inference_runner(const workload_setup& setup, std::size_t threads) {
        set_blas_threads(1);
        net_.set_threads(threads);
        load_starting_weights(net_, setup);
        net_.bind(nets::mlp_input, setup.inputs);
        net_.reserve(setup.batch);
    }
    void step() override { net_.forward(1); }
    step_record last_step() override {
        const auto output = net_.value(nets::mlp_output);
        return {0, {{"output", {1, 1}, {output.data(), output.data() + 1}}}};
    }

private:
    decltype(nets::w4_graph()) net_ = nets::w4_graph();
};

}  // namespace

std::unique_ptr<workload_runner> make_typegrad_runner(workload w, std::size_t threads) {
    const workload_setup& setup = setup_of(w);
    const tg::sgd<float> sgd{{.learning_rate = 0.01}};
    switch (w) {
        case workload::w1: return make_training_runner(nets::w1_graph(), setup, threads, nets::mlp_input, tg::target<1>, sgd);
        case workload::w2: return make_training_runner(nets::w2_graph(), setup, threads, nets::mnist_mlp_pixels, tg::labels<10>, sgd);
        case workload::w3: return make_training_runner(nets::w3_graph(), setup, threads, nets::cnn_pixels, tg::labels<10>, sgd);
        case workload::w4: return std::make_unique<inference_runner>(setup, threads);
        case workload::w5:
            return make_training_runner(nets::w3_graph(), setup, threads, nets::cnn_pixels, tg::labels<10>, tg::adam<float>{{.learning_rate = 1e-3}},
                                        nets::cnn_logits);
    }
    throw std::logic_error("make_typegrad_runner: unknown workload");
}

}  // namespace bench
