// Lecture example: the perceptron, a single neuron that separates two classes with a line.
//
// Two classes of 2-D points lie on either side of a line, with a margin between them. One unit,
// tg::input<2> | tg::dense<1>, computes the logit w1 x1 + w2 x2 + c; its sign is the class. It is
// trained by gradient descent on the binary cross-entropy of the logits (logistic regression, the
// smooth version of the perceptron rule), and on linearly separable data it reaches 100 % training
// accuracy. The learned decision line w1 x1 + w2 x2 + c = 0 is printed next to the true one.
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <span>
#include <vector>

#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
    // ---- data: class 1 above the line x2 = 0.5 x1 + 0.25, class 0 below, nobody within the margin ----
    constexpr double slope = 0.5, intercept = 0.25, margin = 0.3;  // margin: distance from the line
    constexpr std::size_t n = 200;
    tg::random_generator rng{11};
    tg::dataset<float, float> data{.feature_size = 2, .target_size = 1, .features = {}, .targets = {}};
    std::size_t positives = 0;
    while (data.size() < n) {
        const double x1 = rng.uniform(-3.0, 3.0), x2 = rng.uniform(-3.0, 3.0);
        const double distance = (x2 - slope * x1 - intercept) / std::sqrt(1 + slope * slope);  // signed
        if (std::abs(distance) < margin) continue;
        data.features.push_back(float(x1));
        data.features.push_back(float(x2));
        data.targets.push_back(distance > 0 ? 1.0f : 0.0f);
        positives += distance > 0;
    }
    std::printf("data: %zu points in [-3, 3]^2, %zu of class 1 above x2 = %.2f x1 %+.2f, %zu of class 0 below, margin %.2f\n", n,
                positives, slope, intercept, n - positives, margin);

    // ---- one neuron, binary cross-entropy from the logit ----
    auto logit = tg::input<2> | tg::dense<1>;
    auto loss = tg::binary_cross_entropy(logit, tg::target<1>);
    auto g = tg::compile<float>(loss, logit);
    g.initialize(3);

    // ---- full-batch gradient descent ----
    tg::sgd<float> opt{{.learning_rate = 0.5}};
    g.bind(tg::input<2>, std::span<const float>(data.features));
    g.bind(tg::target<1>, std::span<const float>(data.targets));
    constexpr int epochs = 300;
    double accuracy = 0;
    for (int epoch = 0; epoch <= epochs; ++epoch) {
        if (epoch % 50 == 0) {
            const double loss_now = tg::evaluate(g, data, tg::input<2>, tg::target<1>, {.batch_size = n}).loss;
            accuracy = tg::accuracy(g, data, tg::input<2>, logit, {.batch_size = n});  // logit > 0 means class 1
            std::printf("epoch %3d  loss %.5f  training accuracy %.1f %%\n", epoch, loss_now, 100 * accuracy);
        }
        if (epoch == epochs) break;
        g.bind(tg::input<2>, std::span<const float>(data.features));
        g.bind(tg::target<1>, std::span<const float>(data.targets));
        g.forward(n);
        g.backward();
        tg::step(opt, g);
    }

    // ---- the learned line: w1 x1 + w2 x2 + c = 0, i.e. x2 = -(w1 x1 + c) / w2 ----
    const auto p = g.parameters_of(logit);  // weight [1, 2], then bias [1]
    const double w1 = p[0], w2 = p[1], c = p[2];
    std::printf("learned: %.3f x1 %+.3f x2 %+.3f = 0", w1, w2, c);
    if (w2 != 0) std::printf("  ->  x2 = %.3f x1 %+.3f", -w1 / w2, -c / w2);
    std::printf("\ntrue   : x2 = %.3f x1 %+.3f\n", slope, intercept);

    // Count the correct signs by hand as well: the check does not rest on tg::accuracy alone.
    std::size_t correct = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const double z = w1 * data.features[2 * i] + w2 * data.features[2 * i + 1] + c;
        correct += (z > 0) == (data.targets[i] > 0.5f);
    }
    std::printf("training accuracy: %.1f %% (%zu / %zu)\n", 100 * accuracy, correct, n);

    if (correct != n || accuracy != 1.0) {
        std::printf("FAILED: %zu of %zu training points are misclassified (tg::accuracy %.4f); separable data needs 100 %%\n",
                    n - correct, n, accuracy);
        return 1;
    }
    std::printf("OK: the single neuron separates the two classes\n");
    return 0;
}
