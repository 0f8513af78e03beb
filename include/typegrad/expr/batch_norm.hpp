#pragma once
// Batch normalisation (Ioffe & Szegedy 2015), the minibatch form of the lecture's "whitening": each
// feature of a rank-1 value, or each channel of a (C, H, W) one, is normalised by the mean and
// variance over the batch (and the plane), then scaled and shifted by trained parameters. In training
// the batch's own statistics are used and running averages of them kept (momentum 0.1, epsilon 1e-5,
// the running variance unbiased: PyTorch's BatchNorm1d and BatchNorm2d); in evaluation the running
// averages are. Parameters and state are named as PyTorch names them: weight, bias, running_mean,
// running_var, num_batches_tracked.
#include <array>
#include <cmath>
#include <stdexcept>
#include <string>
#include <string_view>

#include <typegrad/expr/node.hpp>
#include <typegrad/expr/op_args.hpp>
#include <typegrad/expr/parameters.hpp>
#include <typegrad/kernels/batch_norm.hpp>
#include <typegrad/shape/fixed_string.hpp>

namespace typegrad::ops {

template <fixed_string Name = "">
struct batch_norm {
    static constexpr std::string_view kind = "batch_norm";
    static constexpr std::string_view layer_name = Name.view();
    static constexpr bool backward_reads_output = false;  // backward reads its input: a relu after it may run in place
    double momentum = 0.1;
    double epsilon = 1e-5;

    // Features (rank 1) or channels (rank 3, the first axis), and the values of each per sample.
    template <class S>
    struct channels_of {
        static constexpr bool ok = S::rank == 1 || S::rank == 3;
        static constexpr std::size_t count = S::rank == 3 ? S::dims[0] : S::size;
        static constexpr std::size_t plane = S::size / count;
    };

    template <class X>
    struct traits {
        using in = channels_of<typename X::shape>;
        static constexpr errors::require<in::ok && X::batched,
                                         errors::batch_norm_needs_a_batch_of_features_or_channels<layer_at<batch_norm, X>, got<typename X::shape>>>
            check{};
        using shape = typename X::shape;
        static constexpr bool batched = X::batched;
        static constexpr std::size_t parameter_count = 2 * in::count;
        static constexpr std::size_t flops = 4 * X::shape::size;
    };

    template <class X>
    static constexpr std::array<param_block, 2> param_blocks{{{"weight", channels_of<typename X::shape>::count, 1, 1, false, {channels_of<typename X::shape>::count}, 1.0},
                                                              {"bias", channels_of<typename X::shape>::count, 1, 1, false, {channels_of<typename X::shape>::count}, 0.0}}};
    template <class X>
    static constexpr std::array<state_block, 3> state_blocks{{{"running_mean", channels_of<typename X::shape>::count, {channels_of<typename X::shape>::count}, 0.0},
                                                              {"running_var", channels_of<typename X::shape>::count, {channels_of<typename X::shape>::count}, 1.0},
                                                              {"num_batches_tracked", 1, {}, 0.0, true}}};

    // The mean and 1 / sqrt(variance + epsilon) of each channel that forward() used.
    template <class T, class X>
    static std::size_t scratch_size(std::size_t) {
        return 2 * channels_of<typename X::shape>::count;
    }

    template <class X>
    static kernels::batch_norm_layout layout(std::size_t batch) {
        return {batch, channels_of<typename X::shape>::count, channels_of<typename X::shape>::plane};
    }

    template <class T, class X>
    void forward(const op_args<T>& a) const {
        const kernels::batch_norm_layout l = layout<X>(a.batch);
        const std::size_t C = l.channels;
        T* mean = a.scratch;
        T* inv_std = a.scratch + C;
        T* running_mean = a.state;
        T* running_var = a.state + C;
        if (a.training && l.count() < 2)
            throw std::invalid_argument("typegrad: batch_norm: a batch of " + std::to_string(a.batch) + " gives each " +
                                        (l.plane == 1 ? "feature" : "channel") +
                                        " one value, and training normalises by the batch's variance; train on batches of 2 or more "
                                        "(or evaluate, set_training(false), which uses the running statistics)");
        kernels::for_each_channel(a.pool, l, [&](std::size_t c) {
            if (a.training) {
                double m = 0, v = 0;
                kernels::channel_moments(l, a.in[0], c, m, v);
                mean[c] = T(m);
                inv_std[c] = T(1.0 / std::sqrt(v + epsilon));
                const double unbiased = v * double(l.count()) / double(l.count() - 1);
                running_mean[c] = T((1 - momentum) * double(running_mean[c]) + momentum * m);
                running_var[c] = T((1 - momentum) * double(running_var[c]) + momentum * unbiased);
            } else {
                mean[c] = running_mean[c];
                inv_std[c] = T(1.0 / std::sqrt(double(running_var[c]) + epsilon));
            }
            kernels::normalise_channel(l, a.in[0], c, mean[c], inv_std[c], a.params[c], a.params[C + c], a.out);
        });
        if (a.training) a.state[2 * C] += T(1);
    }

    template <class T, class X>
    void backward(const op_args<T>& a) const {
        const kernels::batch_norm_layout l = layout<X>(a.batch);
        const std::size_t C = l.channels;
        kernels::for_each_channel(a.pool, l, [&](std::size_t c) {
            kernels::normalise_channel_backward(l, a.in[0], a.grad_out, c, a.scratch[c], a.scratch[C + c], a.params[c], a.training,
                                                a.param_grads, a.param_grads + C, a.grad_in[0]);
        });
    }
};

}  // namespace typegrad::ops
