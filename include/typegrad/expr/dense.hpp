#pragma once
// Fully connected layer: y = x W^T + b, with W stored [out, in] as in PyTorch.
#include <string_view>

#include <typegrad/expr/node.hpp>
#include <typegrad/expr/op_args.hpp>
#include <typegrad/expr/parameters.hpp>
#include <typegrad/kernels/gemm.hpp>
#include <typegrad/shape/fixed_string.hpp>

namespace typegrad::ops {

// A named dense layer shares its parameters with every other use of the same name.
template <std::size_t Out, bool Bias = true, fixed_string Name = "">
struct dense {
    static constexpr std::string_view kind = "dense";
    static constexpr std::string_view layer_name = Name.view();
    init_scheme init = init_scheme::glorot_uniform;

    template <class X>
    struct traits {
        static constexpr errors::require<X::shape::rank == 1,
                                         errors::dense_needs_a_rank1_input<layer_at<dense, X>, got<typename X::shape>>>
            check{};
        static constexpr std::size_t in = X::shape::size;
        using shape = typegrad::shape<Out>;
        static constexpr bool batched = X::batched;
        static constexpr std::size_t parameter_count = Out * in + (Bias ? Out : 0);
        static constexpr std::size_t flops = 2 * Out * in + (Bias ? Out : 0);
    };

    template <class X>
    static constexpr auto param_blocks = [] {
        constexpr std::size_t in = X::shape::size;
        if constexpr (Bias)
            return std::array<param_block, 2>{{{"weight", Out * in, in, Out, true}, {"bias", Out, in, Out, false}}};
        else
            return std::array<param_block, 1>{{{"weight", Out * in, in, Out, true}}};
    }();

    template <class T, class X>
    void forward(const op_args<T>& a) const {
        constexpr std::size_t in = X::shape::size;
        const std::size_t rows = rows_of<X>(a.batch);
        kernels::gemm(kernels::transpose::no, kernels::transpose::yes, rows, Out, in, T(1), a.in[0], in, a.params, in, T(0),
                      a.out, Out);
        if constexpr (Bias) kernels::add_row_vector(rows, Out, a.params + Out * in, a.out);
    }

    template <class T, class X>
    void backward(const op_args<T>& a) const {
        constexpr std::size_t in = X::shape::size;
        const std::size_t rows = rows_of<X>(a.batch);
        kernels::gemm(kernels::transpose::yes, kernels::transpose::no, Out, in, rows, T(1), a.grad_out, Out, a.in[0], in, T(1),
                      a.param_grads, in);
        if constexpr (Bias) kernels::add_column_sums(rows, Out, a.grad_out, a.param_grads + Out * in);
        if (a.grad_in[0])
            kernels::gemm(kernels::transpose::no, kernels::transpose::no, rows, in, Out, T(1), a.grad_out, Out, a.params, in,
                          T(1), a.grad_in[0], in);
    }
};

}  // namespace typegrad::ops
