// Lecture example: writing your own loss, and checking its gradient.
//
// A loss is just an expression that reduces to a scalar, so a user can write one from elementwise
// operations and reverse-mode autodiff differentiates it with no extra code. Here the log-cosh loss
//     L = mean(log(cosh(d))),  d = y - t,  cosh(d) = (exp(d) + exp(-d)) / 2,
// which behaves like d^2 / 2 for small residuals and like |d| - log 2 for large ones (robust to
// outliers, like the Huber loss, but smooth everywhere). It is compiled in double and its gradient is
// compared with central finite differences (tg::gradient_check); then the same expression is
// compiled in float and used to train a small regression network on data with a few outliers.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <span>
#include <vector>

#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

// The user's loss: any two expressions of the same shape in, an unbatched scalar out. `d` is one
// node used in two places, so it is computed once and its gradient is the sum of both uses.
template <tg::expression Y, tg::expression Tg>
auto log_cosh_loss(Y y, Tg t) {
    auto d = y - t;
    return tg::mean(tg::log((tg::exp(d) + tg::exp(-d)) * 0.5));
}

int main() {
    // ---- data: y = sin(2 x1) + x2 - x3^2 + N(0, 0.05^2), x ~ U[-1, 1]^3, and 3 % outliers off by N(0, 3^2) ----
    constexpr std::size_t n = 512;
    tg::random_generator rng{77};
    tg::dataset<float, float> data{.feature_size = 3, .target_size = 1, .features = {}, .targets = {}};
    std::size_t outliers = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const double x1 = rng.uniform(-1.0, 1.0), x2 = rng.uniform(-1.0, 1.0), x3 = rng.uniform(-1.0, 1.0);
        double y = std::sin(2 * x1) + x2 - x3 * x3 + rng.normal(0.0, 0.05);
        if (rng.uniform() < 0.03) {
            y += rng.normal(0.0, 3.0);
            ++outliers;
        }
        data.features.insert(data.features.end(), {float(x1), float(x2), float(x3)});
        data.targets.push_back(float(y));
    }
    std::printf("data: %zu samples of y = sin(2 x1) + x2 - x3^2 + noise, %zu of them outliers\n", n, outliers);

    // ---- the model and the user-written loss ----
    auto prediction = tg::input<3> | tg::dense<16> | tg::tanh | tg::dense<1>;
    auto loss = log_cosh_loss(prediction, tg::target<1>);

    // ---- 1. gradient check in double on a batch of 64 samples ----
    {
        auto g = tg::compile<double>(loss, prediction);
        g.initialize(1);
        constexpr std::size_t batch = 64;
        const std::vector<double> xs(data.features.begin(), data.features.begin() + batch * 3);
        const std::vector<double> ts(data.targets.begin(), data.targets.begin() + batch);
        g.bind(tg::input<3>, std::span<const double>(xs));
        g.bind(tg::target<1>, std::span<const double>(ts));
        const tg::gradient_check_result check = tg::gradient_check(g, batch);
        std::printf("gradient check (double, batch %zu): %zu parameters, max relative error %.3g at parameter %zu "
                    "(analytic %.10f, numeric %.10f)\n",
                    batch, check.checked, check.max_relative_error, check.worst_index, check.analytic, check.numeric);

        // The forward value is the formula: recompute it from the predictions, with std::log(std::cosh).
        const auto y = g.value(prediction);
        double direct = 0;
        for (std::size_t i = 0; i < batch; ++i) direct += std::log(std::cosh(y(i, 0) - ts[i]));
        direct /= double(batch);
        std::printf("log-cosh loss: graph %.12f, direct %.12f\n", g.loss(), direct);

        if (check.checked != g.parameter_count() || !(check.max_relative_error <= 1e-6)) {
            std::printf("FAILED: the gradient of the custom loss disagrees with finite differences "
                        "(max relative error %.3g > 1e-6)\n",
                        check.max_relative_error);
            return 1;
        }
        if (!(std::abs(g.loss() - direct) <= 1e-12 * std::max(1.0, std::abs(direct)))) {
            std::printf("FAILED: the graph computes %.15f, log(cosh(y - t)) averages to %.15f\n", g.loss(), direct);
            return 1;
        }
    }

    // ---- 2. training in float with the same loss expression ----
    auto g = tg::compile<float>(loss, prediction);
    g.initialize(1);
    tg::sgd<float> opt{{.learning_rate = 0.05, .momentum = 0.9}};
    const double initial = tg::evaluate(g, data, tg::input<3>, tg::target<1>, {.batch_size = n}).loss;
    std::printf("initial loss %.5f\n", initial);
    const auto report = [](const tg::epoch_report& r) {
        if (r.epoch % 20 == 0) std::printf("epoch %3zu  loss %.5f\n", r.epoch, r.loss);
    };
    tg::fit(g, opt, data, tg::input<3>, tg::target<1>, {.epochs = 100, .batch_size = 32, .seed = 2, .shuffle = true, .on_epoch = report});
    const double final_loss = tg::evaluate(g, data, tg::input<3>, tg::target<1>, {.batch_size = n}).loss;
    std::printf("final loss %.5f: %.1f times smaller\n", final_loss, initial / final_loss);

    constexpr double factor = 5;
    if (!(final_loss * factor <= initial)) {
        std::printf("FAILED: training with the custom loss took it from %.5f only to %.5f (expected at least %gx smaller)\n",
                    initial, final_loss, factor);
        return 1;
    }
    std::printf("OK: the custom loss has a correct gradient and trains the network\n");
    return 0;
}
