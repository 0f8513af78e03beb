#pragma once
// Scalar functions and their derivatives: the local rules of every elementwise operation. A unary
// function gives value(x) and derivative(x, y) with y = value(x), so rules such as tanh' = 1 - y^2
// reuse the forward result. Run-time settings (a slope, an exponent) are members.
// `in_place_safe` marks functions whose derivative(y, y) equals derivative(x, y): their operation may
// overwrite its input with its output (the graph's memory plan, autodiff/graph.hpp).
#include <cmath>
#include <string_view>
#include <type_traits>

#include <typegrad/kernels/fast_math.hpp>

namespace typegrad::fn {

struct identity {
    static constexpr std::string_view name = "identity";
    static constexpr bool in_place_safe = true;
    template <class T> T value(T x) const { return x; }
    template <class T> T derivative(T, T) const { return T(1); }
};
struct relu {
    static constexpr std::string_view name = "relu";
    static constexpr bool in_place_safe = true;
    template <class T> T value(T x) const { return x > T(0) ? x : T(0); }
    template <class T> T derivative(T x, T) const { return x > T(0) ? T(1) : T(0); }
};
struct leaky_relu {
    static constexpr std::string_view name = "leaky_relu";
    double slope = 0.01;
    template <class T> T value(T x) const { return x > T(0) ? x : T(slope) * x; }
    template <class T> T derivative(T x, T) const { return x > T(0) ? T(1) : T(slope); }
};
struct sigmoid {
    static constexpr std::string_view name = "sigmoid";
    static constexpr bool in_place_safe = true;
    // Both branches keep exp's argument non-positive, so no overflow for large |x|.
    template <class T> T value(T x) const {
        if constexpr (std::is_same_v<T, float>) return kernels::sigmoid_float(x);  // vectorises
        if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
        const T e = std::exp(x);
        return e / (T(1) + e);
    }
    template <class T> T derivative(T, T y) const { return y * (T(1) - y); }
};
struct tanh {
    static constexpr std::string_view name = "tanh";
    static constexpr bool in_place_safe = true;
    template <class T> T value(T x) const {
        if constexpr (std::is_same_v<T, float>) return kernels::tanh_float(x);  // vectorises
        return std::tanh(x);
    }
    template <class T> T derivative(T, T y) const { return T(1) - y * y; }
};
struct softplus {
    static constexpr std::string_view name = "softplus";
    template <class T> T value(T x) const { return std::log1p(std::exp(-std::abs(x))) + (x > T(0) ? x : T(0)); }
    template <class T> T derivative(T x, T) const { return sigmoid{}.value(x); }
};
struct exp {
    static constexpr std::string_view name = "exp";
    static constexpr bool in_place_safe = true;
    template <class T> T value(T x) const { return std::exp(x); }
    template <class T> T derivative(T, T y) const { return y; }
};
struct log {
    static constexpr std::string_view name = "log";
    template <class T> T value(T x) const { return std::log(x); }
    template <class T> T derivative(T x, T) const { return T(1) / x; }
};
struct sqrt {
    static constexpr std::string_view name = "sqrt";
    static constexpr bool in_place_safe = true;
    template <class T> T value(T x) const { return std::sqrt(x); }
    template <class T> T derivative(T, T y) const { return T(0.5) / y; }
};
struct abs {
    static constexpr std::string_view name = "abs";
    template <class T> T value(T x) const { return std::abs(x); }
    template <class T> T derivative(T x, T) const { return x > T(0) ? T(1) : (x < T(0) ? T(-1) : T(0)); }
};
struct square {
    static constexpr std::string_view name = "square";
    template <class T> T value(T x) const { return x * x; }
    template <class T> T derivative(T x, T) const { return T(2) * x; }
};
struct negate {
    static constexpr std::string_view name = "negate";
    template <class T> T value(T x) const { return -x; }
    template <class T> T derivative(T, T) const { return T(-1); }
};
struct power {
    static constexpr std::string_view name = "pow";
    double exponent = 1;
    template <class T> T value(T x) const { return std::pow(x, T(exponent)); }
    template <class T> T derivative(T x, T) const { return T(exponent) * std::pow(x, T(exponent - 1)); }
};
// Gradient 1 inside [low, high], 0 outside, as in PyTorch's clamp.
struct clamp {
    static constexpr std::string_view name = "clamp";
    double low = 0, high = 1;
    template <class T> T value(T x) const { return x < T(low) ? T(low) : (x > T(high) ? T(high) : x); }
    template <class T> T derivative(T x, T) const { return x >= T(low) && x <= T(high) ? T(1) : T(0); }
};
// x + s, x * s, s - x, s / x, min(x, s), max(x, s): a tensor with a run-time scalar.
struct add_scalar {
    static constexpr std::string_view name = "add_scalar";
    double s = 0;
    template <class T> T value(T x) const { return x + T(s); }
    template <class T> T derivative(T, T) const { return T(1); }
};
struct multiply_scalar {
    static constexpr std::string_view name = "multiply_scalar";
    double s = 1;
    template <class T> T value(T x) const { return x * T(s); }
    template <class T> T derivative(T, T) const { return T(s); }
};
struct scalar_minus {
    static constexpr std::string_view name = "scalar_minus";
    double s = 0;
    template <class T> T value(T x) const { return T(s) - x; }
    template <class T> T derivative(T, T) const { return T(-1); }
};
struct scalar_divide {
    static constexpr std::string_view name = "scalar_divide";
    double s = 1;
    template <class T> T value(T x) const { return T(s) / x; }
    template <class T> T derivative(T x, T) const { return -T(s) / (x * x); }
};
struct min_scalar {
    static constexpr std::string_view name = "min_scalar";
    double s = 0;
    template <class T> T value(T x) const { return x < T(s) ? x : T(s); }
    template <class T> T derivative(T x, T) const { return x < T(s) ? T(1) : T(0); }
};
struct max_scalar {
    static constexpr std::string_view name = "max_scalar";
    double s = 0;
    template <class T> T value(T x) const { return x > T(s) ? x : T(s); }
    template <class T> T derivative(T x, T) const { return x > T(s) ? T(1) : T(0); }
};

// Binary functions: value(a, b) and the two partial derivatives.
struct add {
    static constexpr std::string_view name = "add";
    template <class T> T value(T a, T b) const { return a + b; }
    template <class T> T d_left(T, T) const { return T(1); }
    template <class T> T d_right(T, T) const { return T(1); }
};
struct subtract {
    static constexpr std::string_view name = "subtract";
    template <class T> T value(T a, T b) const { return a - b; }
    template <class T> T d_left(T, T) const { return T(1); }
    template <class T> T d_right(T, T) const { return T(-1); }
};
struct multiply {
    static constexpr std::string_view name = "multiply";
    template <class T> T value(T a, T b) const { return a * b; }
    template <class T> T d_left(T, T b) const { return b; }
    template <class T> T d_right(T a, T) const { return a; }
};
struct divide {
    static constexpr std::string_view name = "divide";
    template <class T> T value(T a, T b) const { return a / b; }
    template <class T> T d_left(T, T b) const { return T(1) / b; }
    template <class T> T d_right(T a, T b) const { return -a / (b * b); }
};
// Ties send the gradient to the left operand.
struct minimum {
    static constexpr std::string_view name = "minimum";
    template <class T> T value(T a, T b) const { return a <= b ? a : b; }
    template <class T> T d_left(T a, T b) const { return a <= b ? T(1) : T(0); }
    template <class T> T d_right(T a, T b) const { return a <= b ? T(0) : T(1); }
};
struct maximum {
    static constexpr std::string_view name = "maximum";
    template <class T> T value(T a, T b) const { return a >= b ? a : b; }
    template <class T> T d_left(T a, T b) const { return a >= b ? T(1) : T(0); }
    template <class T> T d_right(T a, T b) const { return a >= b ? T(0) : T(1); }
};

}  // namespace typegrad::fn
