#pragma once
// Matrix product of per-sample matrices: [M, K] x [K, N] -> [M, N]. Either operand may be unbatched
// (a parameter), and is then shared by every sample.
#include <string_view>

#include <typegrad/expr/node.hpp>
#include <typegrad/expr/op_args.hpp>
#include <typegrad/kernels/gemm.hpp>

namespace typegrad::ops {

struct matmul {
    static constexpr std::string_view kind = "matmul";
    static constexpr bool backward_reads_output = false;  // an in-place activation may overwrite it

    template <class S>
    static constexpr std::size_t dim(std::size_t axis) {
        if constexpr (S::rank == 2)
            return S::dims[axis];
        else
            return 1;
    }

    template <class A, class B>
    struct traits {
        using a_shape = typename A::shape;
        using b_shape = typename B::shape;
        static constexpr std::size_t m = dim<a_shape>(0), k = dim<a_shape>(1), n = dim<b_shape>(1);
        static constexpr errors::require<a_shape::rank == 2 && b_shape::rank == 2 && k == dim<b_shape>(0),
                                         errors::matmul_inner_sizes_must_agree<layer_at<matmul, A, B>, left<a_shape>, right<b_shape>>>
            check{};
        using shape = typegrad::shape<m, n>;
        static constexpr bool batched = A::batched || B::batched;
        static constexpr std::size_t parameter_count = 0;
        static constexpr std::size_t flops = 2 * m * n * k;
    };

    template <class T, class A, class B>
    void forward(const op_args<T>& a) const {
        using t = traits<A, B>;
        for (std::size_t r = 0; r < rows_of<t>(a.batch); ++r)
            kernels::gemm(kernels::transpose::no, kernels::transpose::no, t::m, t::n, t::k, T(1), a.in[0] + (A::batched ? r * t::m * t::k : 0),
                          t::k, a.in[1] + (B::batched ? r * t::k * t::n : 0), t::n, T(0), a.out + r * t::m * t::n, t::n);
    }
    template <class T, class A, class B>
    void backward(const op_args<T>& a) const {
        using t = traits<A, B>;
        for (std::size_t r = 0; r < rows_of<t>(a.batch); ++r) {
            const T* g = a.grad_out + r * t::m * t::n;
            const std::size_t a_off = A::batched ? r * t::m * t::k : 0, b_off = B::batched ? r * t::k * t::n : 0;
            if (a.grad_in[0])
                kernels::gemm(kernels::transpose::no, kernels::transpose::yes, t::m, t::k, t::n, T(1), g, t::n, a.in[1] + b_off, t::n,
                              T(1), a.grad_in[0] + a_off, t::k);
            if (a.grad_in[1])
                kernels::gemm(kernels::transpose::yes, kernels::transpose::no, t::k, t::n, t::m, T(1), a.in[0] + a_off, t::k, g, t::n,
                              T(1), a.grad_in[1] + b_off, t::n);
        }
    }
};

}  // namespace typegrad::ops
