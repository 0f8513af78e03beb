// typegrad's side of the workloads: the compiled graphs of typegrad_networks.hpp, loaded with the
// shared starting weights, stepped with tg::sgd (lr 0.01).
#include "typegrad_runner.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

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

template <class Graph>
class training_runner final : public workload_runner {
public:
    training_runner(Graph net, const workload_setup& setup, std::size_t threads) : net_{std::move(net)}, batch_{setup.batch} {
        set_blas_threads(1);
        net_.set_threads(threads);
        load_starting_weights(net_, setup);
        net_.reserve(batch_);
    }
    void step() override {
        net_.forward(batch_);
        net_.backward();
        tg::step(optimizer_, net_);
    }
    step_record last_step() override { return {net_.loss(), gradients_of(net_)}; }

private:
    Graph net_;
    tg::sgd<float> optimizer_{{.learning_rate = 0.01}};
    std::size_t batch_;
};

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

template <class Graph>
std::unique_ptr<workload_runner> make_classifier_runner(Graph net, const workload_setup& setup, std::size_t threads, const auto& pixels) {
    net.bind(pixels, setup.inputs);
    net.bind(tg::labels<10>, setup.labels);
    return std::make_unique<training_runner<Graph>>(std::move(net), setup, threads);
}

}  // namespace

std::unique_ptr<workload_runner> make_typegrad_runner(workload w, std::size_t threads) {
    const workload_setup& setup = setup_of(w);
    switch (w) {
        case workload::w1: {
            auto net = nets::w1_graph();
            net.bind(nets::mlp_input, setup.inputs);
            net.bind(tg::target<1>, setup.targets);
            return std::make_unique<training_runner<decltype(net)>>(std::move(net), setup, threads);
        }
        case workload::w2: return make_classifier_runner(nets::w2_graph(), setup, threads, nets::mnist_mlp_pixels);
        case workload::w3: return make_classifier_runner(nets::w3_graph(), setup, threads, nets::cnn_pixels);
        case workload::w4: return std::make_unique<inference_runner>(setup, threads);
    }
    throw std::logic_error("make_typegrad_runner: unknown workload");
}

}  // namespace bench
