#pragma once
// Fully connected layer: y = x W^T + b, with W stored [out, in] as in PyTorch.
#include <algorithm>
#include <string_view>

#include <typegrad/expr/node.hpp>
#include <typegrad/expr/op_args.hpp>
#include <typegrad/expr/parameters.hpp>
#include <typegrad/kernels/gemm.hpp>
#include <typegrad/kernels/parallel.hpp>
#include <typegrad/shape/fixed_string.hpp>

namespace typegrad::ops {

// A named dense layer shares its parameters with every other use of the same name.
template <std::size_t Out, bool Bias = true, fixed_string Name = "">
struct dense {
    static constexpr std::string_view kind = "dense";
    static constexpr bool backward_reads_output = false;  // an in-place activation may overwrite it
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
            return std::array<param_block, 2>{{{"weight", Out * in, in, Out, true, {Out, in}}, {"bias", Out, in, Out, false, {Out}}}};
        else
            return std::array<param_block, 1>{{{"weight", Out * in, in, Out, true, {Out, in}}}};
    }();

    // Rows of work per thread: a chunk of samples (or of the weight gradient's rows) smaller than
    // this costs less than handing it to a worker.
    static constexpr std::size_t rows_per_chunk(std::size_t row_size) { return std::max<std::size_t>(1, kernels::gemm_grain / row_size); }

    // Samples are independent: each thread computes a run of output rows.
    template <class T, class X>
    void forward(const op_args<T>& a) const {
        constexpr std::size_t in = X::shape::size;
        kernels::parallel_for(
            a.pool, rows_of<X>(a.batch),
            [&](std::size_t first, std::size_t last) {
                T* y = a.out + first * Out;
                kernels::gemm(kernels::transpose::no, kernels::transpose::yes, last - first, Out, in, T(1), a.in[0] + first * in, in,
                              a.params, in, T(0), y, Out);
                if constexpr (Bias) kernels::add_row_vector(last - first, Out, a.params + Out * in, y);
            },
            rows_per_chunk(Out * in));
    }

    // The parameter gradients sum over the batch: each thread owns a run of output units (rows of
    // the weight gradient and their biases) and sums every sample into them, so no sum is split
    // between threads. The input gradient is split by samples.
    template <class T, class X>
    void backward(const op_args<T>& a) const {
        constexpr std::size_t in = X::shape::size;
        const std::size_t rows = rows_of<X>(a.batch);
        kernels::parallel_for(
            a.pool, Out,
            [&](std::size_t first, std::size_t last) {
                kernels::gemm(kernels::transpose::yes, kernels::transpose::no, last - first, in, rows, T(1), a.grad_out + first, Out, a.in[0],
                              in, T(1), a.param_grads + first * in, in);
                if constexpr (Bias) kernels::add_column_sums(rows, last - first, a.grad_out + first, Out, a.param_grads + Out * in + first);
            },
            rows_per_chunk(rows * in));
        if (!a.grad_in[0]) return;
        kernels::parallel_for(
            a.pool, rows,
            [&](std::size_t first, std::size_t last) {
                kernels::gemm(kernels::transpose::no, kernels::transpose::no, last - first, in, Out, T(1), a.grad_out + first * Out, Out,
                              a.params, in, T(1), a.grad_in[0] + first * in, in);
            },
            rows_per_chunk(Out * in));
    }
};

}  // namespace typegrad::ops
