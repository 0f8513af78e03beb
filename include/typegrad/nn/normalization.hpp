#pragma once
// The user-facing batch normalisation (expr/batch_norm.hpp):
//   x | tg::batch_norm                      per feature after a rank-1 value, per channel after a (C, H, W) one
//   tg::batch_norm(x)                       the same, as a function
//   tg::batch_norm.with_momentum(0.01).with_epsilon(1e-3)
//   tg::batch_norm.named<"bn1">()           every use of the name shares one set of parameters and statistics
#include <stdexcept>
#include <string>

#include <typegrad/expr/batch_norm.hpp>
#include <typegrad/expr/node.hpp>

namespace typegrad {

template <fixed_string Name = "">
struct batch_norm_layer {
    double momentum = 0.1;
    double epsilon = 1e-5;

    template <expression X>
    node_of<ops::batch_norm<Name>, X> operator()(X x) const {  // spelled out: see dense_layer
        return node_of<ops::batch_norm<Name>, X>{{momentum, epsilon}, std::move(x)};
    }
    // The weight of a new batch's statistics in the running averages, in (0, 1].
    constexpr batch_norm_layer with_momentum(double m) const {
        if (!(m > 0 && m <= 1)) throw std::invalid_argument("typegrad: batch_norm.with_momentum(" + std::to_string(m) + "): the momentum must be in (0, 1]");
        return {m, epsilon};
    }
    // Added to the variance before its square root, > 0.
    constexpr batch_norm_layer with_epsilon(double e) const {
        if (!(e > 0)) throw std::invalid_argument("typegrad: batch_norm.with_epsilon(" + std::to_string(e) + "): epsilon must be positive");
        return {momentum, e};
    }
    template <fixed_string NewName>
    constexpr batch_norm_layer<NewName> named() const {
        return {momentum, epsilon};
    }
};

inline constexpr batch_norm_layer<> batch_norm{};

}  // namespace typegrad
