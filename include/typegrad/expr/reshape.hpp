#pragma once
// reshape<D...> and flatten: the same values per sample under another shape. The layout is
// row-major, so only the type changes; the values are copied so that every node owns its buffer.
#include <algorithm>
#include <string_view>

#include <typegrad/expr/node.hpp>
#include <typegrad/expr/op_args.hpp>
#include <typegrad/kernels/elementwise.hpp>

namespace typegrad::ops {

template <class Shape>
struct reshape {
    static constexpr std::string_view kind = "reshape";

    template <class X>
    struct traits {
        static constexpr errors::require<X::shape::size == Shape::size,
                                         errors::reshape_must_keep_the_number_of_values<layer_at<reshape, X>, got<typename X::shape>,
                                                                                        expected<Shape>>>
            check{};
        using shape = Shape;
        static constexpr bool batched = X::batched;
        static constexpr std::size_t parameter_count = 0;
        static constexpr std::size_t flops = 0;
    };

    template <class T, class X>
    void forward(const op_args<T>& a) const {
        std::copy_n(a.in[0], count_of<X>(a.batch), a.out);
    }
    template <class T, class X>
    void backward(const op_args<T>& a) const {
        if (a.grad_in[0]) kernels::accumulate(count_of<X>(a.batch), a.grad_out, a.grad_in[0]);
    }
};

struct flatten {
    static constexpr std::string_view kind = "flatten";

    template <class X>
    struct traits : reshape<shape<X::shape::size>>::template traits<X> {
        static constexpr errors::require<(X::shape::rank >= 2), errors::flatten_needs_an_input_of_rank_2_or_more<layer_at<flatten, X>, got<typename X::shape>>>
            check_rank{};
    };

    template <class T, class X>
    void forward(const op_args<T>& a) const {
        reshape<shape<X::shape::size>>{}.template forward<T, X>(a);
    }
    template <class T, class X>
    void backward(const op_args<T>& a) const {
        reshape<shape<X::shape::size>>{}.template backward<T, X>(a);
    }
};

}  // namespace typegrad::ops
