#pragma once
// softmax and log_softmax over the last axis of each sample.
#include <string_view>

#include <typegrad/expr/node.hpp>
#include <typegrad/expr/op_args.hpp>
#include <typegrad/kernels/softmax.hpp>

namespace typegrad::ops {

template <bool Log>
struct softmax {
    static constexpr std::string_view kind = Log ? "log_softmax" : "softmax";

    template <class X>
    struct traits {
        static constexpr errors::require<(X::shape::rank >= 1),
                                         errors::softmax_needs_a_rank1_or_higher_input<layer_at<softmax, X>, got<typename X::shape>>>
            check{};
        using shape = typename X::shape;
        static constexpr bool batched = X::batched;
        static constexpr std::size_t parameter_count = 0;
        static constexpr std::size_t flops = 4 * shape::size;
        static constexpr std::size_t cols = shape::rank == 0 ? 1 : shape::dims[shape::rank == 0 ? 0 : shape::rank - 1];
    };

    template <class T, class X>
    void forward(const op_args<T>& a) const {
        constexpr std::size_t cols = traits<X>::cols;
        const std::size_t rows = count_of<X>(a.batch) / cols;
        if constexpr (Log)
            kernels::log_softmax_rows(rows, cols, a.in[0], a.out);
        else
            kernels::softmax_rows(rows, cols, a.in[0], a.out);
    }
    template <class T, class X>
    void backward(const op_args<T>& a) const {
        if (!a.grad_in[0]) return;
        constexpr std::size_t cols = traits<X>::cols;
        const std::size_t rows = count_of<X>(a.batch) / cols;
        if constexpr (Log)
            kernels::log_softmax_rows_backward(rows, cols, a.out, a.grad_out, a.grad_in[0]);
        else
            kernels::softmax_rows_backward(rows, cols, a.out, a.grad_out, a.grad_in[0]);
    }
};

}  // namespace typegrad::ops
