#pragma once
// Gradient checking: compares backward()'s gradients with central finite differences,
// (L(v + h) - L(v - h)) / 2h, in double precision: of every parameter (gradient_check), or of the
// values bound to an input (input_gradient_check).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <vector>

#include <typegrad/autodiff/graph.hpp>

namespace typegrad {

struct gradient_check_result {
    double max_relative_error = 0;  // over every value checked, see below
    std::size_t worst_index = 0;    // index of the worst value (into parameters() or the input's values)
    double analytic = 0, numeric = 0;  // the two gradients there
    std::size_t checked = 0;
};

namespace detail {

// Perturbs each of `values` in turn and compares the loss's central difference with `analytic`.
// The relative error of one value is |a - n| / max(|a|, |n|, floor), where the floor is 1e-3 of the
// largest numeric gradient: gradients far below the others are compared on the others' scale.
template <class Graph>
gradient_check_result compare_with_finite_differences(Graph& g, std::size_t batch, std::span<double> values,
                                                      const std::vector<double>& analytic, double step) {
    std::vector<double> numeric(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
        const double saved = values[i];
        values[i] = saved + step;
        g.forward(batch);
        const double up = g.loss();
        values[i] = saved - step;
        g.forward(batch);
        const double down = g.loss();
        values[i] = saved;
        numeric[i] = (up - down) / (2 * step);
    }
    double largest = 0;
    for (double n : numeric) largest = std::max(largest, std::abs(n));
    const double floor = std::max(1e-3 * largest, 1e-12);
    gradient_check_result result;
    for (std::size_t i = 0; i < values.size(); ++i) {
        const double a = analytic[i], n = numeric[i];
        const double error = std::abs(a - n) / std::max({std::abs(a), std::abs(n), floor});
        if (i == 0 || error > result.max_relative_error) result = {error, i, a, n, 0};
    }
    result.checked = values.size();
    g.forward(batch);  // leave the graph as it was: values of the unperturbed point
    g.backward();
    return result;
}

}  // namespace detail

// Every parameter's gradient. The inputs must already be bound; `batch` is the number of samples bound.
template <class... Roots>
gradient_check_result gradient_check(graph<double, Roots...>& g, std::size_t batch, double step = 1e-6) {
    g.forward(batch);
    g.backward();
    const std::vector<double> analytic(g.gradients().begin(), g.gradients().end());
    return detail::compare_with_finite_differences(g, batch, g.parameters(), analytic, step);
}

// The gradient with respect to an input leaf, whose bound values are `values` (they are perturbed
// in place and restored).
template <class Input, class... Roots>
gradient_check_result input_gradient_check(graph<double, Roots...>& g, const Input& input, std::span<double> values, std::size_t batch,
                                           double step = 1e-6) {
    g.bind(input, std::span<const double>(values));
    g.track_gradient(input);
    g.forward(batch);
    g.backward();
    const auto gradient = g.gradient(input).flat();
    const std::vector<double> analytic(gradient.begin(), gradient.end());
    return detail::compare_with_finite_differences(g, batch, values.first(analytic.size()), analytic, step);
}

}  // namespace typegrad
