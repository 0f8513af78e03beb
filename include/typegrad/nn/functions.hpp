#pragma once
// Elementwise functions, softmax, reductions, matmul and concatenation as user-facing objects.
// Each is callable on an expression (tg::relu(x)) and can be piped in a chain (x | tg::relu).
#include <concepts>
#include <stdexcept>
#include <string>
#include <type_traits>

#include <typegrad/expr/concat.hpp>
#include <typegrad/expr/dropout.hpp>
#include <typegrad/expr/elementwise.hpp>
#include <typegrad/expr/matmul.hpp>
#include <typegrad/expr/node.hpp>
#include <typegrad/expr/reduce.hpp>
#include <typegrad/expr/reshape.hpp>
#include <typegrad/expr/softmax.hpp>

namespace typegrad {

template <class S>
concept scalar = std::is_arithmetic_v<S>;

// An operation with no inputs but the one it is applied to.
template <class Op>
struct unary_layer {
    Op op{};
    template <expression X>
    node_of<Op, X> operator()(X x) const {  // spelled out: see dense_layer
        return node_of<Op, X>{op, std::move(x)};
    }
};

template <class Fn>
using elementwise = unary_layer<ops::unary<Fn>>;

inline constexpr elementwise<fn::identity> identity{};
inline constexpr elementwise<fn::relu> relu{};
inline constexpr elementwise<fn::sigmoid> sigmoid{};
inline constexpr elementwise<fn::tanh> tanh{};
inline constexpr elementwise<fn::softplus> softplus{};
inline constexpr elementwise<fn::exp> exp{};
inline constexpr elementwise<fn::log> log{};
inline constexpr elementwise<fn::sqrt> sqrt{};
inline constexpr elementwise<fn::abs> abs{};
inline constexpr elementwise<fn::square> square{};
inline constexpr unary_layer<ops::softmax<false>> softmax{};
inline constexpr unary_layer<ops::softmax<true>> log_softmax{};
inline constexpr unary_layer<ops::reduce<false>> sum{};
inline constexpr unary_layer<ops::reduce<true>> mean{};
inline constexpr unary_layer<ops::flatten> flatten{};
template <std::size_t... Dims>
inline constexpr unary_layer<ops::reshape<shape<Dims...>>> reshape{};

// dropout: x | tg::dropout(0.5) or tg::dropout(0.5)(x); rate in [0, 1).
inline unary_layer<ops::dropout> dropout(double rate) {
    if (!(rate >= 0 && rate < 1)) throw std::invalid_argument("typegrad: dropout(" + std::to_string(rate) + "): the rate must be in [0, 1)");
    return {ops::dropout{rate}};
}

// leaky_relu: tg::leaky_relu(x) with slope 0.01, tg::leaky_relu.with_slope(0.2) as a layer.
struct leaky_relu_layer : elementwise<fn::leaky_relu> {
    constexpr leaky_relu_layer with_slope(double slope) const { return {{ops::unary<fn::leaky_relu>{fn::leaky_relu{slope}}}}; }
};
inline constexpr leaky_relu_layer leaky_relu{};

template <class Fn, expression X>
auto apply(Fn fn, X x) {
    return node_of<ops::unary<Fn>, X>{ops::unary<Fn>{fn}, std::move(x)};
}
template <class Fn, expression A, expression B>
auto apply(Fn fn, A a, B b) {
    return node_of<ops::binary<Fn>, A, B>{ops::binary<Fn>{fn}, std::move(a), std::move(b)};
}

template <expression X>
auto pow(X x, double exponent) {
    return apply(fn::power{exponent}, std::move(x));
}
template <expression X>
auto clamp(X x, double low, double high) {
    return apply(fn::clamp{low, high}, std::move(x));
}
template <expression A, expression B>
auto min(A a, B b) {
    return apply(fn::minimum{}, std::move(a), std::move(b));
}
template <expression A, expression B>
auto max(A a, B b) {
    return apply(fn::maximum{}, std::move(a), std::move(b));
}
template <expression X, scalar S>
auto min(X x, S s) {
    return apply(fn::min_scalar{double(s)}, std::move(x));
}
template <expression X, scalar S>
auto max(X x, S s) {
    return apply(fn::max_scalar{double(s)}, std::move(x));
}

template <expression A, expression B>
auto matmul(A a, B b) {
    return node_of<ops::matmul, A, B>{ops::matmul{}, std::move(a), std::move(b)};
}
template <expression A, expression B>
auto concat(A a, B b) {
    return node_of<ops::concat, A, B>{ops::concat{}, std::move(a), std::move(b)};
}

// Arithmetic between expressions, and between an expression and a number.
template <expression A, expression B>
auto operator+(A a, B b) { return apply(fn::add{}, std::move(a), std::move(b)); }
template <expression A, expression B>
auto operator-(A a, B b) { return apply(fn::subtract{}, std::move(a), std::move(b)); }
template <expression A, expression B>
auto operator*(A a, B b) { return apply(fn::multiply{}, std::move(a), std::move(b)); }
template <expression A, expression B>
auto operator/(A a, B b) { return apply(fn::divide{}, std::move(a), std::move(b)); }

template <expression X, scalar S>
auto operator+(X x, S s) { return apply(fn::add_scalar{double(s)}, std::move(x)); }
template <expression X, scalar S>
auto operator+(S s, X x) { return apply(fn::add_scalar{double(s)}, std::move(x)); }
template <expression X, scalar S>
auto operator-(X x, S s) { return apply(fn::add_scalar{-double(s)}, std::move(x)); }
template <expression X, scalar S>
auto operator-(S s, X x) { return apply(fn::scalar_minus{double(s)}, std::move(x)); }
template <expression X, scalar S>
auto operator*(X x, S s) { return apply(fn::multiply_scalar{double(s)}, std::move(x)); }
template <expression X, scalar S>
auto operator*(S s, X x) { return apply(fn::multiply_scalar{double(s)}, std::move(x)); }
template <expression X, scalar S>
auto operator/(X x, S s) { return apply(fn::multiply_scalar{1.0 / double(s)}, std::move(x)); }
template <expression X, scalar S>
auto operator/(S s, X x) { return apply(fn::scalar_divide{double(s)}, std::move(x)); }
template <expression X>
auto operator-(X x) { return apply(fn::negate{}, std::move(x)); }

// Chain form: x | layer is layer(x).
template <expression X, class Layer>
    requires(!expression<Layer> && std::invocable<const Layer&, X>)
auto operator|(X x, const Layer& layer) {
    return layer(std::move(x));
}

}  // namespace typegrad
