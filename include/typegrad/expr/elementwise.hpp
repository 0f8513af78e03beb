#pragma once
// Elementwise operations: a unary function of one tensor, or a binary function of two tensors of the
// same shape, where either may also be a scalar (shape<>) or unbatched (a loss, a parameter), and is
// then broadcast.
#include <string_view>

#include <typegrad/expr/functions.hpp>
#include <typegrad/expr/node.hpp>
#include <typegrad/expr/op_args.hpp>
#include <typegrad/kernels/elementwise.hpp>
#include <typegrad/kernels/parallel.hpp>

namespace typegrad::ops {

// Traits of an operation that maps each value of its input to one value of its output.
template <class X>
struct elementwise_traits {
    using shape = typename X::shape;
    static constexpr bool batched = X::batched;
    static constexpr std::size_t parameter_count = 0;
    static constexpr std::size_t flops = X::shape::size;
};

template <class Fn>
struct unary {
    static constexpr std::string_view kind = Fn::name;
    // The graph may give it its input's buffers as its own (in == out, grad_in == grad_out).
    static constexpr bool runs_in_place = [] {
        if constexpr (requires { Fn::in_place_safe; }) return Fn::in_place_safe;
        return false;
    }();
    Fn fn{};

    template <class X>
    using traits = elementwise_traits<X>;

    // Large tensors (a convolution's feature maps) are split over the threads in contiguous runs.
    template <class T, class X>
    void forward(const op_args<T>& a) const {
        kernels::parallel_for(
            a.pool, count_of<X>(a.batch),
            [&](std::size_t first, std::size_t last) { kernels::unary_forward(fn, last - first, a.in[0] + first, a.out + first); },
            kernels::elementwise_grain);
    }
    template <class T, class X>
    void backward(const op_args<T>& a) const {
        if (!a.grad_in[0]) return;
        const bool in_place = a.grad_in[0] == a.grad_out;  // the only user of its input: turn its gradient into the input's
        kernels::parallel_for(
            a.pool, count_of<X>(a.batch),
            [&](std::size_t first, std::size_t last) {
                if (in_place)
                    kernels::unary_backward_in_place(fn, last - first, a.out + first, a.grad_in[0] + first);
                else
                    kernels::unary_backward(fn, last - first, a.in[0] + first, a.out + first, a.grad_out + first, a.grad_in[0] + first);
            },
            kernels::elementwise_grain);
    }
};

template <class Fn>
struct binary {
    static constexpr std::string_view kind = Fn::name;
    static constexpr bool backward_reads_output = false;
    Fn fn{};

    template <class A, class B>
    struct traits {
        using a_shape = typename A::shape;
        using b_shape = typename B::shape;
        static constexpr bool same = std::is_same_v<a_shape, b_shape>;
        static constexpr bool a_scalar = a_shape::rank == 0, b_scalar = b_shape::rank == 0;
        static constexpr errors::require<same || a_scalar || b_scalar,
                                         errors::operands_must_have_the_same_shape<layer_at<binary, A, B>, left<a_shape>, right<b_shape>>>
            check{};
        using shape = std::conditional_t<a_scalar, b_shape, a_shape>;
        static constexpr bool batched = A::batched || B::batched;
        static constexpr std::size_t parameter_count = 0;
        static constexpr std::size_t flops = shape::size;
    };

    template <class T, class X>
    static kernels::strided<T> operand(const T* data, std::size_t size) {
        return {data, X::batched ? X::shape::size : 0, std::size_t{X::shape::size == 1 && size > 1 ? 0u : 1u}};
    }

    template <class T, class A, class B>
    void forward(const op_args<T>& a) const {
        using S = typename traits<A, B>::shape;
        const std::size_t rows = traits<A, B>::batched ? a.batch : 1;
        kernels::binary_forward(fn, rows, S::size, operand<T, A>(a.in[0], S::size), operand<T, B>(a.in[1], S::size), a.out);
    }
    template <class T, class A, class B>
    void backward(const op_args<T>& a) const {
        using S = typename traits<A, B>::shape;
        const std::size_t rows = traits<A, B>::batched ? a.batch : 1;
        kernels::binary_backward(fn, rows, S::size, operand<T, A>(a.in[0], S::size), operand<T, B>(a.in[1], S::size),
                                 a.grad_out, a.grad_in[0], a.grad_in[1]);
    }
};

}  // namespace typegrad::ops
