#pragma once
// Weight penalties: sum of |w| (L1) or w^2 (L2) over the weights (not the biases) of every layer in
// an expression. Composable into any loss: loss + 1e-4 * l2_penalty(weights_of(y)).
#include <string_view>
#include <utility>

#include <typegrad/expr/node.hpp>
#include <typegrad/expr/op_args.hpp>

namespace typegrad {

template <class Y>
struct weights_ref {
    Y expression;
};

namespace ops {

template <bool L1, class Y>
struct penalty {
    static constexpr std::string_view kind = L1 ? "l1_penalty" : "l2_penalty";
    Y source;  // the expression whose layers' weights are penalised; the graph finds their blocks (op_args::penalised)

    template <class...>
    struct traits {
        using shape = typegrad::shape<>;
        static constexpr bool batched = false;
        static constexpr std::size_t parameter_count = 0;
        static constexpr std::size_t flops = 2 * Y::parameter_count;
    };

    template <class T>
    void forward(const op_args<T>& a) const {
        double total = 0;
        for (auto [offset, size] : a.penalised)
            for (std::size_t i = 0; i < size; ++i) {
                const double w = a.all_params[offset + i];
                total += L1 ? (w < 0 ? -w : w) : w * w;
            }
        a.out[0] = static_cast<T>(total);
    }
    template <class T>
    void backward(const op_args<T>& a) const {
        const T g = a.grad_out[0];
        for (auto [offset, size] : a.penalised)
            for (std::size_t i = 0; i < size; ++i) {
                const T w = a.all_params[offset + i];
                a.all_param_grads[offset + i] += L1 ? g * T(w > 0 ? 1 : (w < 0 ? -1 : 0)) : T(2) * g * w;
            }
    }
};

}  // namespace ops
}  // namespace typegrad
