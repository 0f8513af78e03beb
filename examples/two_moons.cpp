// Lecture example: a non-linear decision boundary, and measuring it on held-out data.
//
// The two-moons data set is two interleaving half circles: no line separates them. An MLP
// 2 -> 32 relu -> 32 relu -> 2 is trained with the softmax cross-entropy against integer labels
// (tg::labels<2>) by tg::fit: shuffled minibatches and SGD with momentum. Its accuracy is measured
// on a separate test set drawn with a different seed, which the network never saw in training.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <numbers>

#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

// n points, half on each moon, with Gaussian noise of standard deviation `noise` on both coordinates:
//   class 0: (cos t, sin t),            t ~ U[0, pi]   (the upper moon)
//   class 1: (1 - cos t, 0.5 - sin t),  t ~ U[0, pi]   (the lower moon, shifted into the upper one)
tg::dataset<float, std::int32_t> make_moons(std::size_t n, double noise, std::uint64_t seed) {
    tg::random_generator rng{seed};
    tg::dataset<float, std::int32_t> data{.feature_size = 2, .target_size = 1, .features = {}, .targets = {}};
    data.features.reserve(2 * n);
    data.targets.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        const std::int32_t label = i % 2 == 0 ? 0 : 1;
        const double t = rng.uniform(0.0, std::numbers::pi);
        const double x = label == 0 ? std::cos(t) : 1 - std::cos(t);
        const double y = label == 0 ? std::sin(t) : 0.5 - std::sin(t);
        data.features.push_back(float(x + rng.normal(0.0, noise)));
        data.features.push_back(float(y + rng.normal(0.0, noise)));
        data.targets.push_back(label);
    }
    return data;
}

int main() {
    constexpr double noise = 0.1;
    const auto train = make_moons(1000, noise, 1);
    const auto test = make_moons(500, noise, 2);
    std::printf("data: two moons, noise sd %.2f, %zu training points (seed 1), %zu test points (seed 2)\n", noise, train.size(),
                test.size());

    // ---- the network: 2 -> 32 relu -> 32 relu -> 2 logits ----
    auto logits = tg::input<2> | tg::dense<32> | tg::relu | tg::dense<32> | tg::relu | tg::dense<2>;
    auto loss = tg::cross_entropy(logits, tg::labels<2>);
    auto g = tg::compile<float>(loss, logits);
    g.initialize(5);
    std::printf("parameters: %zu\n", g.parameter_count());

    const double before = tg::accuracy(g, test, tg::input<2>, logits, {.batch_size = 250});
    std::printf("test accuracy before training: %.1f %%\n", 100 * before);

    // ---- training with tg::fit ----
    tg::sgd<float> opt{{.learning_rate = 0.02, .momentum = 0.9}};
    constexpr std::size_t epochs = 40;
    const auto report = [](const tg::epoch_report& r) {
        if (r.epoch == 1 || r.epoch % 5 == 0) std::printf("epoch %2zu  training loss %.5f  (%.1f ms)\n", r.epoch, r.loss, 1e3 * r.seconds);
    };
    const auto history = tg::fit(g, opt, train, tg::input<2>, tg::labels<2>,
                                 {.epochs = epochs, .batch_size = 32, .seed = 3, .shuffle = true, .on_epoch = report});

    // ---- evaluation on the held-out points ----
    const double train_accuracy = tg::accuracy(g, train, tg::input<2>, logits, {.batch_size = 250});
    const double test_accuracy = tg::accuracy(g, test, tg::input<2>, logits, {.batch_size = 250});
    const double test_loss = tg::evaluate(g, test, tg::input<2>, tg::labels<2>, {.batch_size = 250}).loss;
    if (!history.empty())
        std::printf("training loss %.5f -> %.5f over %zu epochs\n", history.front().loss, history.back().loss, history.size());
    std::printf("training accuracy %.1f %%, test accuracy %.1f %% (test loss %.5f)\n", 100 * train_accuracy, 100 * test_accuracy,
                test_loss);

    if (!(test_accuracy >= 0.97)) {
        std::printf("FAILED: test accuracy %.1f %% is below 97 %%\n", 100 * test_accuracy);
        return 1;
    }
    std::printf("OK: the MLP learns the two moons and generalises to held-out points\n");
    return 0;
}
