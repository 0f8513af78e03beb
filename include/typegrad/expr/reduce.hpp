#pragma once
// sum and mean over every element of a tensor, batch included: the result is one scalar per step,
// the form a loss takes.
#include <string_view>

#include <typegrad/expr/node.hpp>
#include <typegrad/expr/op_args.hpp>
#include <typegrad/kernels/elementwise.hpp>

namespace typegrad::ops {

template <bool Mean>
struct reduce {
    static constexpr std::string_view kind = Mean ? "mean" : "sum";

    template <class X>
    struct traits {
        using shape = typegrad::shape<>;
        static constexpr bool batched = false;
        static constexpr std::size_t parameter_count = 0;
        static constexpr std::size_t flops = X::shape::size;
    };

    template <class T, class X>
    void forward(const op_args<T>& a) const {
        const std::size_t n = count_of<X>(a.batch);
        const T total = kernels::sum(n, a.in[0]);
        a.out[0] = Mean ? total / T(n) : total;
    }
    template <class T, class X>
    void backward(const op_args<T>& a) const {
        if (!a.grad_in[0]) return;
        const std::size_t n = count_of<X>(a.batch);
        kernels::add_constant(n, Mean ? a.grad_out[0] / T(n) : a.grad_out[0], a.grad_in[0]);
    }
};

}  // namespace typegrad::ops
