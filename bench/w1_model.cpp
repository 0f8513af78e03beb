// W1 alone (the tiny MLP of ../shared/workloads.md, trained with MSE and SGD): the small model whose
// compile time bench/compile_time measures, beside the main job's.
#include <cstdio>
#include <vector>

#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
    const auto x = tg::named_input<"x", 16>;
    auto net = tg::compile<float>(tg::mse_loss(x | tg::dense<64> | tg::tanh | tg::dense<64> | tg::tanh | tg::dense<1>, tg::target<1>));
    tg::random_generator rng{1};
    std::vector<float> inputs(32 * 16), targets(32);
    for (auto& v : inputs) v = float(rng.normal());
    for (auto& v : targets) v = float(rng.normal());
    net.bind(x, inputs);
    net.bind(tg::target<1>, targets);
    tg::sgd<float> opt{{.learning_rate = 0.01}};
    for (int step = 0; step < 100; ++step) {
        net.forward(32);
        net.backward();
        tg::step(opt, net);
    }
    std::printf("W1 loss after 100 steps: %g\n", double(net.loss()));
}
