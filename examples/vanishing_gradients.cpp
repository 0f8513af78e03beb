// Lecture example: vanishing gradients, and the cure.
//
// The same deep MLP (8 hidden layers of 32) is built twice: with sigmoid activations and Glorot
// initialisation, as in the 1990s, and with ReLU and He initialisation. One backward pass on the
// same batch gives each layer's weight-gradient norm. Through a sigmoid the chain rule multiplies
// by sigma'(x) <= 1/4 per layer, so the first layer's gradient of the sigmoid network is orders of
// magnitude smaller than its last layer's: the first layers barely learn. ReLU passes gradients
// through unchanged where it is active, and He initialisation keeps their scale from layer to layer.
// The example checks that the first layer's gradient differs by at least 100x between the two.
#include <cmath>
#include <cstdio>
#include <vector>

#include <typegrad/train/parameter_norms.hpp>
#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

namespace {

constexpr std::size_t batch = 64;

// Weight-gradient norms per dense layer, first layer first, after one backward on a fixed batch.
template <class Net>
std::vector<double> weight_gradient_norms(Net& net, const auto& x) {
    tg::random_generator rng{5};
    std::vector<float> inputs(batch * 16), targets(batch);
    for (auto& v : inputs) v = float(rng.normal());
    for (std::size_t i = 0; i < batch; ++i) targets[i] = inputs[i * 16] > 0 ? 1.f : 0.f;
    net.bind(x, inputs);
    net.bind(tg::target<1>, targets);
    net.forward(batch);
    net.backward();
    std::vector<double> norms;
    for (const auto& t : tg::parameter_norms(net))
        if (t.name.ends_with(".weight")) norms.push_back(t.gradient_norm);
    return norms;
}

}  // namespace

int main() {
    const auto x = tg::input<16>;
    const auto glorot = tg::dense<32>;
    const auto he = tg::dense<32>.with_init(tg::init_scheme::he_normal);
    const auto deep_sigmoid = x | glorot | tg::sigmoid | glorot | tg::sigmoid | glorot | tg::sigmoid | glorot | tg::sigmoid | glorot |
                              tg::sigmoid | glorot | tg::sigmoid | glorot | tg::sigmoid | glorot | tg::sigmoid | tg::dense<1>;
    const auto deep_relu = x | he | tg::relu | he | tg::relu | he | tg::relu | he | tg::relu | he | tg::relu | he | tg::relu | he |
                           tg::relu | he | tg::relu | tg::dense<1>;
    auto sigmoid_net = tg::compile<float>(tg::mse_loss(deep_sigmoid, tg::target<1>));
    auto relu_net = tg::compile<float>(tg::mse_loss(deep_relu, tg::target<1>));
    sigmoid_net.initialize(1);
    relu_net.initialize(1);
    const auto sigmoid_norms = weight_gradient_norms(sigmoid_net, x);
    const auto relu_norms = weight_gradient_norms(relu_net, x);

    std::printf("weight-gradient norm per layer (one backward pass, batch %zu)\n", batch);
    std::printf("%-8s %18s %18s\n", "layer", "sigmoid + Glorot", "ReLU + He");
    for (std::size_t l = 0; l < sigmoid_norms.size(); ++l)
        std::printf("%-8zu %18.3e %18.3e\n", l + 1, sigmoid_norms[l], relu_norms[l]);
    const double ratio = relu_norms.front() / sigmoid_norms.front();
    std::printf("first layer: ReLU + He's gradient is %.0fx the sigmoid network's\n", ratio);
    std::printf("sigmoid network: the first layer's gradient is %.1e of the last hidden layer's\n",
                sigmoid_norms.front() / sigmoid_norms[sigmoid_norms.size() - 2]);
    if (!(ratio >= 100)) {
        std::printf("FAILED: expected at least 100x between the first layers' gradient norms\n");
        return 1;
    }
    return 0;
}
