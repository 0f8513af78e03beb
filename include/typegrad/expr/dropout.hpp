#pragma once
// Dropout (inverted): in training, each value is kept with probability 1 - rate and scaled by
// 1 / (1 - rate), so that evaluation (where dropout does nothing) sees the same expected values.
// The mask comes from the graph's generator, seeded by graph::initialize: same seed, same masks.
#include <algorithm>
#include <string_view>

#include <typegrad/expr/elementwise.hpp>
#include <typegrad/expr/node.hpp>
#include <typegrad/expr/op_args.hpp>
#include <typegrad/kernels/random.hpp>

namespace typegrad::ops {

struct dropout {
    static constexpr std::string_view kind = "dropout";
    double rate = 0.5;

    template <class X>
    using traits = elementwise_traits<X>;

    // The mask (0 or 1 / (1 - rate)) of the last training forward.
    template <class T, class X>
    static std::size_t scratch_size(std::size_t batch) {
        return count_of<X>(batch);
    }

    template <class T, class X>
    void forward(const op_args<T>& a) const {
        const std::size_t n = count_of<X>(a.batch);
        if (!a.training) {
            std::copy_n(a.in[0], n, a.out);
            return;
        }
        const double keep = 1.0 - rate;
        const T scale = T(1.0 / keep);
        const std::size_t per_row = a.batch ? n / a.batch : 0;
        a.rng->discard(a.rows_before * per_row);  // other ranks' rows of the batch (op_args::rows_before)
        for (std::size_t i = 0; i < n; ++i) {
            a.scratch[i] = a.rng->uniform() < keep ? scale : T(0);
            a.out[i] = a.in[0][i] * a.scratch[i];
        }
        a.rng->discard(a.rows_after * per_row);
    }
    template <class T, class X>
    void backward(const op_args<T>& a) const {
        if (!a.grad_in[0]) return;
        const std::size_t n = count_of<X>(a.batch);
        for (std::size_t i = 0; i < n; ++i) a.grad_in[0][i] += a.grad_out[i] * (a.training ? a.scratch[i] : T(1));
    }
};

}  // namespace typegrad::ops
