#pragma once
// Concatenation along the first axis of each sample (features for rank 1, channels for rank 3).
#include <algorithm>
#include <string_view>
#include <type_traits>

#include <typegrad/expr/node.hpp>
#include <typegrad/expr/op_args.hpp>

namespace typegrad::ops {

template <class A, class B>
struct concat_shape {
    static constexpr bool ok = false;
    using type = A;
};
template <std::size_t A0, std::size_t... ARest, std::size_t B0, std::size_t... BRest>
struct concat_shape<shape<A0, ARest...>, shape<B0, BRest...>> {
    static constexpr bool ok = std::is_same_v<shape<ARest...>, shape<BRest...>>;
    using type = shape<A0 + B0, ARest...>;
};

struct concat {
    static constexpr std::string_view kind = "concat";

    template <class A, class B>
    struct traits {
        using a_shape = typename A::shape;
        using b_shape = typename B::shape;
        static constexpr errors::require<concat_shape<a_shape, b_shape>::ok,
                                         errors::concatenated_shapes_must_agree_except_on_the_first_axis<layer_at<concat, A, B>,
                                                                                                        left<a_shape>, right<b_shape>>>
            check{};
        using shape = typename concat_shape<a_shape, b_shape>::type;
        static constexpr bool batched = A::batched || B::batched;
        static constexpr std::size_t parameter_count = 0;
        static constexpr std::size_t flops = 0;
    };

    template <class T, class A, class B>
    void forward(const op_args<T>& a) const {
        constexpr std::size_t na = A::shape::size, nb = B::shape::size;
        for (std::size_t r = 0; r < rows_of<traits<A, B>>(a.batch); ++r) {
            T* out = a.out + r * (na + nb);
            std::copy_n(a.in[0] + (A::batched ? r * na : 0), na, out);
            std::copy_n(a.in[1] + (B::batched ? r * nb : 0), nb, out + na);
        }
    }
    template <class T, class A, class B>
    void backward(const op_args<T>& a) const {
        constexpr std::size_t na = A::shape::size, nb = B::shape::size;
        for (std::size_t r = 0; r < rows_of<traits<A, B>>(a.batch); ++r) {
            const T* g = a.grad_out + r * (na + nb);
            if (T* ga = a.grad_in[0])
                for (std::size_t i = 0; i < na; ++i) ga[(A::batched ? r * na : 0) + i] += g[i];
            if (T* gb = a.grad_in[1])
                for (std::size_t i = 0; i < nb; ++i) gb[(B::batched ? r * nb : 0) + i] += g[na + i];
        }
    }
};

}  // namespace typegrad::ops
