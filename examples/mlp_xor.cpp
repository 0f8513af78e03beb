// Lecture example: XOR needs a hidden layer.
//
// No single line separates XOR's classes, so the perceptron fails on it; one hidden layer of tanh
// units is enough. The network 2 -> dense<8>, tanh -> dense<1> is trained on the four points with
// the binary cross-entropy of its logit and SGD with momentum, then every point must be classified
// right. The outputs are printed as probabilities, sigmoid(logit).
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <span>
#include <vector>

#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
    // ---- the four points of XOR ----
    const std::vector<float> xs{0, 0, 0, 1, 1, 0, 1, 1};
    const std::vector<float> ts{0, 1, 1, 0};
    constexpr std::size_t n = 4;
    std::printf("data: XOR, (0,0)->0 (0,1)->1 (1,0)->1 (1,1)->0\n");

    // ---- 2 -> 8 tanh -> 1, binary cross-entropy from the logit; the probability is a second output ----
    auto logit = tg::input<2> | tg::dense<8> | tg::tanh | tg::dense<1>;
    auto probability = tg::sigmoid(logit);
    auto loss = tg::binary_cross_entropy(logit, tg::target<1>);
    auto g = tg::compile<float>(loss, logit, probability);
    g.initialize(42);
    g.bind(tg::input<2>, std::span<const float>(xs));
    g.bind(tg::target<1>, std::span<const float>(ts));

    // ---- full-batch SGD with momentum ----
    tg::sgd<float> opt{{.learning_rate = 0.1, .momentum = 0.9}};
    constexpr int steps = 1000;
    g.forward(n);
    const double initial_loss = g.loss();
    for (int step = 1; step <= steps; ++step) {
        g.backward();
        tg::step(opt, g);
        g.forward(n);
        if (step % 100 == 0) std::printf("step %4d  loss %.6f\n", step, double(g.loss()));
    }
    const double final_loss = g.loss();

    // ---- results ----
    const auto logits = g.value(logit);
    const auto probabilities = g.value(probability);
    std::size_t correct = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const bool predicted = logits(i, 0) > 0;
        const bool right = predicted == (ts[i] > 0.5f);
        correct += right;
        std::printf("  (%g, %g) -> p(1) = %.4f  predicted %d  target %g  %s\n", double(xs[2 * i]), double(xs[2 * i + 1]),
                    double(probabilities(i, 0)), int(predicted), double(ts[i]), right ? "right" : "WRONG");
    }
    std::printf("loss %.4f -> %.6f, %zu / %zu points right\n", initial_loss, final_loss, correct, n);

    if (correct != n) {
        std::printf("FAILED: %zu of the 4 XOR points are misclassified\n", n - correct);
        return 1;
    }
    std::printf("OK: the hidden layer solves XOR\n");
    return 0;
}
