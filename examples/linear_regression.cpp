// Lecture example: linear regression by gradient descent.
//
// Fits y = a*x + b to noisy data with the smallest possible network, tg::input<1> | tg::dense<1>,
// the mean squared error and plain full-batch gradient descent written out as the explicit loop
// bind -> forward -> backward -> step. The result is compared with the closed-form least-squares
// solution from the normal equations: gradient descent on the MSE converges to exactly that point.
// The graph computes in double so that the two can be compared tightly.
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <span>
#include <vector>

#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
    // ---- data: y = 2.5 x - 1.0 + N(0, 0.1^2), x ~ U[-2, 2] ----
    constexpr double a_true = 2.5, b_true = -1.0, noise = 0.1;
    constexpr std::size_t n = 2000;
    tg::random_generator rng{2024};
    std::vector<double> xs(n), ys(n);
    for (std::size_t i = 0; i < n; ++i) {
        xs[i] = rng.uniform(-2.0, 2.0);
        ys[i] = a_true * xs[i] + b_true + rng.normal(0.0, noise);
    }
    std::printf("data: %zu points, y = %.2f x %+.2f + N(0, %.2f^2), x ~ U[-2, 2]\n", n, a_true, b_true, noise);

    // ---- closed form: the normal equations [sum x^2, sum x; sum x, n] [a; b] = [sum xy; sum y] ----
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (std::size_t i = 0; i < n; ++i) {
        sx += xs[i];
        sy += ys[i];
        sxx += xs[i] * xs[i];
        sxy += xs[i] * ys[i];
    }
    const double det = sxx * double(n) - sx * sx;
    const double a_ls = (sxy * double(n) - sx * sy) / det;
    const double b_ls = (sxx * sy - sx * sxy) / det;

    // ---- the model and the loss ----
    auto line = tg::input<1> | tg::dense<1>;                 // y_hat = w x + c: w is a, c is b
    auto loss = tg::mse_loss(line, tg::target<1>);
    auto g = tg::compile<double>(loss, line);
    g.initialize(7);
    g.bind(tg::input<1>, std::span<const double>(xs));
    g.bind(tg::target<1>, std::span<const double>(ys));

    // ---- plain gradient descent, full batch ----
    tg::sgd<double> opt{{.learning_rate = 0.1}};
    constexpr int iterations = 200;
    for (int it = 0; it <= iterations; ++it) {
        g.forward(n);
        if (it % 25 == 0) {
            const auto p = g.parameters_of(line);
            std::printf("iteration %3d  loss %.8f  a %.6f  b %.6f\n", it, g.loss(), p[0], p[1]);
        }
        if (it == iterations) break;
        g.backward();
        tg::step(opt, g);
    }

    const auto p = g.parameters_of(line);  // weight [1, 1], then bias [1]
    const double a_gd = p[0], b_gd = p[1];
    std::printf("gradient descent: a = %.8f  b = %.8f  (final loss %.6f, noise variance %.6f)\n", a_gd, b_gd, g.loss(),
                noise * noise);
    std::printf("least squares   : a = %.8f  b = %.8f\n", a_ls, b_ls);
    std::printf("true            : a = %.8f  b = %.8f\n", a_true, b_true);
    std::printf("|a_gd - a_true| / |a_true| = %.3f %%   |b_gd - b_true| / |b_true| = %.3f %%\n",
                100 * std::abs(a_gd - a_true) / std::abs(a_true), 100 * std::abs(b_gd - b_true) / std::abs(b_true));
    std::printf("|a_gd - a_ls| = %.3g   |b_gd - b_ls| = %.3g\n", std::abs(a_gd - a_ls), std::abs(b_gd - b_ls));

    // ---- checks ----
    if (!(std::abs(a_gd - a_true) <= 0.01 * std::abs(a_true))) {
        std::printf("FAILED: a = %.6f is not within 1%% of the true %.6f\n", a_gd, a_true);
        return 1;
    }
    if (!(std::abs(b_gd - b_true) <= 0.01 * std::abs(b_true))) {
        std::printf("FAILED: b = %.6f is not within 1%% of the true %.6f\n", b_gd, b_true);
        return 1;
    }
    if (!(std::abs(a_gd - a_ls) <= 1e-4 && std::abs(b_gd - b_ls) <= 1e-4)) {
        std::printf("FAILED: gradient descent (%.8f, %.8f) differs from least squares (%.8f, %.8f) by more than 1e-4\n", a_gd,
                    b_gd, a_ls, b_ls);
        return 1;
    }
    std::printf("OK: gradient descent recovers the line and agrees with the normal equations\n");
    return 0;
}
