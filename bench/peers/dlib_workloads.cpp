// The workloads as a dlib user writes them: networks as nested layer types, trained step by step
// with compute_parameter_gradients and update_parameters through dlib::sgd solvers set to plain SGD
// (dlib's defaults are weight decay 5e-4 and momentum 0.9). W4 is a forward pass of the W1 network.
//
// dlib numbers layers from the loss (layer<0>) down to the input; its fc layer keeps its weights as
// [in, out] with the bias as an extra last row, its con layer as [out, in, kh, kw] then the bias, as
// PyTorch does. The starting weights are copied in, and the gradients read out, in these layouts.
#include "dlib_workloads.hpp"

#include <dlib/dnn.h>

#include <algorithm>
#include <iterator>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "../blas_threads.hpp"

namespace bench {

namespace {

// dlib's con pads to keep the size ("same") by default; the workloads' convolutions are "valid".
template <long Filters, long Size, class Subnet>
using con_valid = dlib::add_layer<dlib::con_<Filters, Size, Size, 1, 1, 0, 0>, Subnet>;
template <class Subnet>
using max_pool_2x2 = dlib::max_pool<2, 2, 2, 2, Subnet>;

using samples = dlib::input<dlib::matrix<float>>;
using mlp_net = dlib::loss_mean_squared<dlib::fc<1, dlib::htan<dlib::fc<64, dlib::htan<dlib::fc<64, samples>>>>>>;
using mnist_mlp_net = dlib::loss_multiclass_log<dlib::fc<10, dlib::relu<dlib::fc<128, dlib::relu<dlib::fc<256, samples>>>>>>;
using cnn_net = dlib::loss_multiclass_log<dlib::fc<10, dlib::relu<dlib::fc<128, max_pool_2x2<dlib::relu<con_valid<64, 3,
                max_pool_2x2<dlib::relu<con_valid<32, 3, samples>>>>>>>>>>;

enum class layout { dense, convolution };

// A layer with parameters: typegrad's (PyTorch's) name for it, and how dlib stores its weights.
struct parameter_layer {
    const char* name;
    layout kind;
};

// The parameter layers of each network, from the input up, and their indices I in dlib::layer<I>(net).
template <class Net>
struct layers_of;
template <>
struct layers_of<mlp_net> {
    static constexpr std::size_t index[] = {5, 3, 1};
    static constexpr parameter_layer layers[] = {{"0", layout::dense}, {"2", layout::dense}, {"4", layout::dense}};
};
template <>
struct layers_of<mnist_mlp_net> {
    static constexpr std::size_t index[] = {5, 3, 1};
    static constexpr parameter_layer layers[] = {{"0", layout::dense}, {"2", layout::dense}, {"4", layout::dense}};
};
template <>
struct layers_of<cnn_net> {
    static constexpr std::size_t index[] = {9, 6, 3, 1};
    static constexpr parameter_layer layers[] = {{"0", layout::convolution}, {"3", layout::convolution}, {"7", layout::dense}, {"9", layout::dense}};
};

// PyTorch's weight [out, in, ...] and bias [out] as dlib's parameter tensor of the layer.
void put_parameters(const named_tensor& weight, const named_tensor& bias, layout kind, dlib::tensor& params) {
    const std::size_t out = weight.shape[0], in = weight.values.size() / out;
    if (std::size_t(params.size()) != weight.values.size() + bias.values.size() || bias.values.size() != out)
        throw std::invalid_argument("dlib: layer " + weight.name + " holds " + std::to_string(params.size()) + " parameters, the starting weights " +
                                    std::to_string(weight.values.size() + bias.values.size()));
    float* p = params.host();
    for (std::size_t o = 0; o < out; ++o)
        for (std::size_t i = 0; i < in; ++i) p[kind == layout::dense ? i * out + o : o * in + i] = weight.values[o * in + i];
    std::copy(bias.values.begin(), bias.values.end(), p + out * in);
}

// The inverse: dlib's tensor (parameters or their gradients) as PyTorch's weight and bias.
void take_parameters(const dlib::tensor& params, layout kind, float scale, named_tensor& weight, named_tensor& bias) {
    const std::size_t out = weight.shape[0], in = weight.values.size() / out;
    const float* p = params.host();
    for (std::size_t o = 0; o < out; ++o)
        for (std::size_t i = 0; i < in; ++i) weight.values[o * in + i] = scale * p[kind == layout::dense ? i * out + o : o * in + i];
    for (std::size_t o = 0; o < out; ++o) bias.values[o] = scale * p[out * in + o];
}

template <class Net, class F, std::size_t... K>
void for_each_parameter_layer(Net& net, F&& f, std::index_sequence<K...>) {
    (f(dlib::layer<layers_of<Net>::index[K]>(net), layers_of<Net>::layers[K]), ...);
}

// Calls f(layer<I>(net), parameter_layer) for each parameter layer of the network.
template <class Net, class F>
void for_each_parameter_layer(Net& net, F&& f) {
    for_each_parameter_layer(net, f, std::make_index_sequence<std::size(layers_of<Net>::index)>{});
}

template <class Net>
void load_starting_weights(Net& net, const workload_setup& setup) {
    std::size_t loaded = 0;
    for_each_parameter_layer(net, [&](auto& layer, parameter_layer p) {
        const std::string name = p.name;
        put_parameters(parameter_named(setup, name + ".weight"), parameter_named(setup, name + ".bias"), p.kind, layer.layer_details().get_layer_params());
        loaded += 2;
    });
    if (loaded != setup.initial_parameters.size())
        throw std::invalid_argument("dlib: the network has " + std::to_string(loaded) + " parameter tensors, the starting weights " +
                                    std::to_string(setup.initial_parameters.size()));
}

// The samples of a setup as dlib's input tensor: one matrix per sample, [rows, cols] = its last two
// dimensions (W1: 16 x 1, W2: 784 x 1, W3: 28 x 28).
template <class Net>
dlib::resizable_tensor input_tensor(Net& net, const workload_setup& setup) {
    const std::size_t size = setup.inputs.size() / setup.batch;
    const long cols = setup.sample_shape.size() == 3 ? long(setup.sample_shape[2]) : 1, rows = long(size) / cols;
    std::vector<dlib::matrix<float>> matrices(setup.batch, dlib::matrix<float>(rows, cols));
    for (std::size_t n = 0; n < setup.batch; ++n) std::copy_n(setup.inputs.begin() + std::ptrdiff_t(n * size), size, matrices[n].begin());
    dlib::resizable_tensor x;
    net.to_tensor(matrices.begin(), matrices.end(), x);
    return x;
}

template <class Net>
class dlib_runner final : public workload_runner {
public:
    dlib_runner(workload w, std::size_t threads) : workload_{w} {
        set_blas_threads(threads);
        const workload_setup& setup = setup_of(w);
        inputs_ = input_tensor(net_, setup);
        net_.forward(inputs_);  // dlib allocates a layer's parameters on its first forward pass
        load_starting_weights(net_, setup);
        if constexpr (std::is_same_v<Net, mlp_net>) {
            labels_.assign(setup.targets.begin(), setup.targets.end());
        } else {
            labels_.assign(setup.labels.begin(), setup.labels.end());
        }
        solvers_.assign(Net::num_computational_layers, dlib::sgd(0, 0));
    }

    void step() override {
        if (workload_ == workload::w4) {
            net_.forward(inputs_);
            return;
        }
        loss_ = net_.compute_parameter_gradients(inputs_, labels_.begin());
        net_.update_parameters(solvers_, learning_rate);
    }

    step_record last_step() override {
        if (workload_ == workload::w4) {
            const dlib::tensor& output = net_.subnet().get_output();
            return {0, {{"output", {1, 1}, {output.host(), output.host() + output.size()}}}};
        }
        step_record record{loss_, {}};
        const workload_setup& setup = setup_of(workload_);
        for_each_parameter_layer(net_, [&](auto& layer, parameter_layer p) {
            const std::string name = p.name;
            named_tensor weight = parameter_named(setup, name + ".weight"), bias = parameter_named(setup, name + ".bias");
            take_parameters(layer.get_parameter_gradient(), p.kind, gradient_scale, weight, bias);
            record.tensors.push_back(std::move(weight));
            record.tensors.push_back(std::move(bias));
        });
        return record;
    }

private:
    // dlib's loss_mean_squared reports the mean of (y - o)^2 but back-propagates the gradient of half
    // of it. To take the same SGD step (lr 0.01 on the mean squared error) W1 runs dlib with lr 0.02,
    // and its recorded gradients are doubled to be those of the loss it reports.
    static constexpr bool halves_gradient = std::is_same_v<Net, mlp_net>;
    static constexpr double learning_rate = halves_gradient ? 0.02 : 0.01;
    static constexpr float gradient_scale = halves_gradient ? 2.0f : 1.0f;

    workload workload_;
    Net net_;
    dlib::resizable_tensor inputs_;
    std::vector<typename Net::training_label_type> labels_;
    std::vector<dlib::sgd> solvers_;
    double loss_ = 0;
};

}  // namespace

std::unique_ptr<workload_runner> make_dlib_runner(workload w, std::size_t threads) {
    switch (w) {
        case workload::w1:
        case workload::w4: return std::make_unique<dlib_runner<mlp_net>>(w, threads);
        case workload::w2: return std::make_unique<dlib_runner<mnist_mlp_net>>(w, threads);
        case workload::w3: return std::make_unique<dlib_runner<cnn_net>>(w, threads);
        case workload::w5: throw std::invalid_argument("dlib: W5 is not implemented (the harness does not register it for dlib)");
    }
    throw std::logic_error("dlib: unknown workload");
}

}  // namespace bench
