#pragma once
// Losses: each compares a per-sample output with a target and reduces to one scalar per step.
// Reductions follow PyTorch: mean over every element (L1, L2, binary cross-entropy), mean over
// samples weighted by class weight (cross-entropy with labels), or the plain sum.
#include <cmath>
#include <string_view>
#include <vector>

#include <typegrad/expr/leaves.hpp>
#include <typegrad/expr/node.hpp>
#include <typegrad/expr/op_args.hpp>
#include <typegrad/kernels/elementwise.hpp>
#include <typegrad/kernels/losses.hpp>

namespace typegrad {

enum class reduction { mean, sum };

namespace loss_fn {
struct absolute_error {
    static constexpr std::string_view name = "l1_loss";
    template <class T> T value(T y, T t) const { return std::abs(y - t); }
    template <class T> T d_output(T y, T t) const { return y > t ? T(1) : (y < t ? T(-1) : T(0)); }
};
struct squared_error {
    static constexpr std::string_view name = "mse_loss";
    template <class T> T value(T y, T t) const { return (y - t) * (y - t); }
    template <class T> T d_output(T y, T t) const { return T(2) * (y - t); }
};
// -t log sigmoid(x) - (1 - t) log(1 - sigmoid(x)), rewritten so that no exponent is positive.
struct binary_cross_entropy_from_logits {
    static constexpr std::string_view name = "binary_cross_entropy";
    template <class T> T value(T x, T t) const { return (x > T(0) ? x : T(0)) - x * t + std::log1p(std::exp(-std::abs(x))); }
    template <class T> T d_output(T x, T t) const {
        const T s = x >= T(0) ? T(1) / (T(1) + std::exp(-x)) : std::exp(x) / (T(1) + std::exp(x));
        return s - t;
    }
    template <class T> T d_target(T x, T) const { return -x; }
};
}  // namespace loss_fn

namespace ops {

template <class Loss, class Output, class Target>
using check_loss_target = errors::require<std::is_same_v<typename Output::shape, typename Target::shape>,
                                          errors::loss_target_must_match_the_output_shape<layer_at<Loss, Output, Target>,
                                                                                          expected<typename Output::shape>,
                                                                                          got<typename Target::shape>>>;

template <class Fn>
struct pointwise_loss {
    static constexpr std::string_view kind = Fn::name;
    Fn fn{};
    reduction mode = reduction::mean;

    template <class Y, class Tg>
    struct traits {
        static constexpr check_loss_target<pointwise_loss, Y, Tg> check{};
        using shape = typegrad::shape<>;
        static constexpr bool batched = false;
        static constexpr std::size_t parameter_count = 0;
        static constexpr std::size_t flops = 3 * Y::shape::size;
    };

    template <class Y, class Tg>
    static std::size_t elements(std::size_t batch) {
        return (Y::batched || Tg::batched ? batch : 1) * Y::shape::size;
    }
    template <class T, class X>
    static kernels::strided<T> operand(const T* data) {
        return {data, X::batched ? X::shape::size : 0, 1};
    }

    template <class T, class Y, class Tg>
    void forward(const op_args<T>& a) const {
        const std::size_t rows = Y::batched || Tg::batched ? a.batch : 1;
        const auto y = operand<T, Y>(a.in[0]);
        const auto t = operand<T, Tg>(a.in[1]);
        double total = 0;
        for (std::size_t r = 0; r < rows; ++r)
            for (std::size_t i = 0; i < Y::shape::size; ++i) total += static_cast<double>(fn.value(y.at(r, i), t.at(r, i)));
        a.out[0] = static_cast<T>(mode == reduction::mean ? total / double(elements<Y, Tg>(a.batch)) : total);
    }

    template <class T, class Y, class Tg>
    void backward(const op_args<T>& a) const {
        const std::size_t rows = Y::batched || Tg::batched ? a.batch : 1;
        const T scale = mode == reduction::mean ? a.grad_out[0] / T(elements<Y, Tg>(a.batch)) : a.grad_out[0];
        const auto y = operand<T, Y>(a.in[0]);
        const auto t = operand<T, Tg>(a.in[1]);
        for (std::size_t r = 0; r < rows; ++r)
            for (std::size_t i = 0; i < Y::shape::size; ++i) {
                const T yv = y.at(r, i), tv = t.at(r, i);
                if (a.grad_in[0]) a.grad_in[0][y.offset(r, i)] += scale * fn.d_output(yv, tv);
                if (a.grad_in[1]) {
                    if constexpr (requires { fn.d_target(yv, tv); })
                        a.grad_in[1][t.offset(r, i)] += scale * fn.d_target(yv, tv);
                    else  // L1 and L2 depend on y - t only
                        a.grad_in[1][t.offset(r, i)] -= scale * fn.d_output(yv, tv);
                }
            }
    }
};

// Softmax cross-entropy from logits, against integer labels or per-class probabilities.
struct cross_entropy {
    static constexpr std::string_view kind = "cross_entropy";
    reduction mode = reduction::mean;
    std::vector<double> class_weights;  // empty: every class weighs 1

    template <class X, class L>
    struct traits {
        static constexpr std::size_t classes = X::shape::size;
        static constexpr bool labels_ok = [] {
            if constexpr (is_labels<L>)
                return L::classes == classes;
            else
                return true;
        }();
        static constexpr errors::require<X::shape::rank == 1 && labels_ok,
                                         errors::labels_must_have_as_many_classes_as_the_output<layer_at<cross_entropy, X, L>,
                                                                                              got<typename X::shape>, L>>
            check_labels{};
        static constexpr std::conditional_t<is_labels<L>, errors::require<true, void>, check_loss_target<cross_entropy, X, L>>
            check_target{};
        using shape = typegrad::shape<>;
        static constexpr bool batched = false;
        static constexpr std::size_t parameter_count = 0;
        static constexpr std::size_t flops = 5 * classes;
    };

    // Softmax (labels) or log-softmax (probabilities) of the batch, then the normaliser of the mean.
    template <class T, class X, class L>
    static std::size_t scratch_size(std::size_t batch) {
        return rows_of<X>(batch) * X::shape::size + 1;
    }

    const double* weights() const { return class_weights.empty() ? nullptr : class_weights.data(); }

    template <class T, class X, class L>
    void forward(const op_args<T>& a) const {
        constexpr std::size_t classes = X::shape::size;
        const std::size_t rows = rows_of<X>(a.batch);
        T* normaliser = a.scratch + rows * classes;
        double loss = 0, weight_total = 0;
        if constexpr (is_labels<L>) {
            loss = kernels::cross_entropy_labels_forward(rows, classes, a.in[0], a.labels[1], weights(), a.scratch, weight_total);
        } else {
            loss = kernels::cross_entropy_targets_forward(rows, classes, a.in[0], a.in[1], weights(), a.scratch);
            weight_total = double(rows);
        }
        *normaliser = mode == reduction::mean ? T(1.0 / weight_total) : T(1);
        a.out[0] = static_cast<T>(loss * (mode == reduction::mean ? 1.0 / weight_total : 1.0));
    }

    template <class T, class X, class L>
    void backward(const op_args<T>& a) const {
        constexpr std::size_t classes = X::shape::size;
        const std::size_t rows = rows_of<X>(a.batch);
        const T scale = a.grad_out[0] * a.scratch[rows * classes];
        if constexpr (is_labels<L>) {
            if (a.grad_in[0])
                kernels::cross_entropy_labels_backward(rows, classes, a.scratch, a.labels[1], weights(), scale, a.grad_in[0]);
        } else {
            kernels::cross_entropy_targets_backward(rows, classes, a.scratch, a.in[1], weights(), scale, a.grad_in[0], a.grad_in[1]);
        }
    }
};

}  // namespace ops
}  // namespace typegrad
