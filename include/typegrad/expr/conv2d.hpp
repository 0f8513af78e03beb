#pragma once
// 2-D convolution over NCHW samples: per sample an input of shape (C, H, W) and `Filters` kernels of
// shape (C, K, K) give an output (Filters, H', W'). Weights are [Filters, C, K, K] as in PyTorch.
// Padding `valid` uses only whole windows; `same` pads with zeros so that H' = ceil(H / stride)
// (the extra row, if any, at the bottom, as in Keras).
#include <algorithm>
#include <string_view>

#include <typegrad/expr/node.hpp>
#include <typegrad/expr/op_args.hpp>
#include <typegrad/expr/parameters.hpp>
#include <typegrad/kernels/convolution.hpp>
#include <typegrad/kernels/elementwise.hpp>
#include <typegrad/kernels/gemm.hpp>
#include <typegrad/shape/fixed_string.hpp>

namespace typegrad {

enum class padding { valid, same };

namespace ops {

// Output size and padding of a window sliding over `size` positions.
struct window_extent {
    std::size_t out, pad_before;
};
constexpr window_extent slide(std::size_t size, std::size_t kernel, std::size_t stride, padding pad) {
    if (pad == padding::same) {
        const std::size_t out = (size + stride - 1) / stride;
        const std::size_t needed = (out - 1) * stride + kernel;
        return {out, needed > size ? (needed - size) / 2 : 0};
    }
    return {kernel <= size ? (size - kernel) / stride + 1 : 1, 0};  // 1 keeps shapes valid after an error
}

// Reads (C, H, W) of a per-sample shape. For a shape of another rank (already a compile error) it
// gives 1, 1, 1, so that no further error follows from the sizes.
template <class S>
struct planes {
    static constexpr bool ok = false;
    static constexpr std::size_t channels = 1, height = 1, width = 1;
};
template <std::size_t C, std::size_t H, std::size_t W>
struct planes<shape<C, H, W>> {
    static constexpr bool ok = true;
    static constexpr std::size_t channels = C, height = H, width = W;
};

// InChannels: the channel count the input must have, or 0 to take whatever it has.
template <std::size_t Filters, std::size_t Kernel, std::size_t Stride = 1, padding Pad = padding::valid, bool Bias = true,
          fixed_string Name = "", std::size_t InChannels = 0>
struct conv2d {
    static_assert(Filters > 0 && Kernel > 0 && Stride > 0, "typegrad: conv2d needs positive filter count, kernel size and stride");
    static constexpr std::string_view kind = "conv2d";
    static constexpr bool backward_reads_output = false;  // an in-place activation may overwrite it
    static constexpr bool writes_fresh_input_gradients = true;
    static constexpr std::string_view layer_name = Name.view();
    init_scheme init = init_scheme::he_uniform;

    template <class X>
    struct traits {
        using in = planes<typename X::shape>;
        static constexpr errors::require<in::ok, errors::layer_needs_a_rank3_input_channels_height_width<layer_at<conv2d, X>, got<typename X::shape>>>
            check_rank{};
        static constexpr errors::require<!in::ok || Pad == padding::same || (Kernel <= in::height && Kernel <= in::width),
                                         errors::kernel_must_fit_in_the_input<layer_at<conv2d, X>, got<typename X::shape>>>
            check_kernel{};
        static constexpr errors::require<!in::ok || InChannels == 0 || InChannels == in::channels,
                                         errors::input_channels_must_match_the_declared_count<layer_at<conv2d, X>, declared_channels<InChannels>,
                                                                                               got<typename X::shape>>>
            check_channels{};
        static constexpr window_extent rows = slide(in::height, Kernel, Stride, Pad), cols = slide(in::width, Kernel, Stride, Pad);
        static constexpr kernels::window_geometry geometry{in::height, in::width, Kernel, Stride, rows.pad_before, cols.pad_before, rows.out, cols.out};
        static constexpr std::size_t patch = in::channels * Kernel * Kernel;  // values per receptive field
        static constexpr std::size_t plane = rows.out * cols.out;
        using shape = typegrad::shape<Filters, rows.out, cols.out>;
        static constexpr bool batched = X::batched;
        static constexpr std::size_t parameter_count = Filters * patch + (Bias ? Filters : 0);
        static constexpr std::size_t flops = 2 * Filters * patch * plane + (Bias ? Filters * plane : 0);
    };

    template <class X>
    static constexpr auto param_blocks = [] {
        using t = traits<X>;
        const param_block weight{"weight", Filters * t::patch, t::patch, Filters * Kernel * Kernel, true, {Filters, t::in::channels, Kernel, Kernel}};
        if constexpr (Bias)
            return std::array<param_block, 2>{{weight, {"bias", Filters, t::patch, Filters, false, {Filters}}}};
        else
            return std::array<param_block, 1>{{weight}};
    }();

    // Samples are convolved a group at a time, the im2col matrices of one group in the scratch:
    // keeping a whole batch's for backward would take more memory than every activation of a small
    // CNN together (W3: 8.9 MB of 47), and backward rebuilds a group's faster than it reads a batch's
    // back from memory.
    static constexpr std::size_t samples_per_group = 16;

    template <class T, class X>
    static std::size_t scratch_size(std::size_t batch) {
        return std::min(rows_of<X>(batch), samples_per_group) * traits<X>::patch * traits<X>::plane;
    }

    // Calls fn(first, count) for each group of samples, in order.
    template <class X, class Fn>
    static void for_each_group(std::size_t batch, Fn&& fn) {
        const std::size_t samples = rows_of<X>(batch);
        for (std::size_t first = 0; first < samples; first += samples_per_group) fn(first, std::min(samples_per_group, samples - first));
    }

    // Sample `first + i`'s receptive fields into the group's slot i, for i in [0, count), a run of
    // samples per thread.
    template <class T, class X>
    static void im2col_group(const op_args<T>& a, std::size_t first, std::size_t count) {
        using t = traits<X>;
        kernels::parallel_for(a.pool, count, [&](std::size_t begin, std::size_t end) {
            for (std::size_t i = begin; i < end; ++i)
                kernels::im2col(t::geometry, t::in::channels, a.in[0] + (first + i) * X::shape::size, a.scratch + i * t::patch * t::plane);
        });
    }

    // Samples are independent: each thread convolves a contiguous run of a group's samples.
    template <class T, class X>
    void forward(const op_args<T>& a) const {
        using t = traits<X>;
        for_each_group<X>(a.batch, [&](std::size_t first, std::size_t count) {
            kernels::parallel_for(a.pool, count, [&](std::size_t begin, std::size_t end) {
                for (std::size_t i = begin; i < end; ++i) {
                    T* cols = a.scratch + i * t::patch * t::plane;
                    T* y = a.out + (first + i) * Filters * t::plane;
                    kernels::im2col(t::geometry, t::in::channels, a.in[0] + (first + i) * X::shape::size, cols);
                    kernels::gemm(kernels::transpose::no, kernels::transpose::no, Filters, t::plane, t::patch, T(1), a.params, t::patch, cols,
                                  t::plane, T(0), y, t::plane);
                    if constexpr (Bias)
                        for (std::size_t f = 0; f < Filters; ++f) kernels::add_constant(t::plane, a.params[Filters * t::patch + f], y + f * t::plane);
                }
            });
        });
    }

    // The parameter gradients sum over the batch: each thread owns a run of filters (rows of the
    // weight gradient and their biases) and adds every sample into them in order, so no sum is
    // split between threads. The input gradient is per sample. Per group: rebuild the columns, take
    // the weight gradients from them, then overwrite them with the input gradient's columns.
    template <class T, class X>
    void backward(const op_args<T>& a) const {
        using t = traits<X>;
        for_each_group<X>(a.batch, [&](std::size_t first, std::size_t count) {
            im2col_group<T, X>(a, first, count);
            kernels::parallel_for(a.pool, Filters, [&](std::size_t first_filter, std::size_t last_filter) {
                for (std::size_t i = 0; i < count; ++i) {
                    const T* cols = a.scratch + i * t::patch * t::plane;
                    const T* g = a.grad_out + (first + i) * Filters * t::plane;
                    kernels::gemm(kernels::transpose::no, kernels::transpose::yes, last_filter - first_filter, t::patch, t::plane, T(1),
                                  g + first_filter * t::plane, t::plane, cols, t::plane, T(1), a.param_grads + first_filter * t::patch, t::patch);
                    if constexpr (Bias)
                        for (std::size_t f = first_filter; f < last_filter; ++f)
                            a.param_grads[Filters * t::patch + f] += kernels::sum_in_lanes(t::plane, g + f * t::plane);
                }
            });
            if (!a.grad_in[0]) return;
            kernels::parallel_for(a.pool, count, [&](std::size_t begin, std::size_t end) {
                for (std::size_t i = begin; i < end; ++i) {
                    T* cols = a.scratch + i * t::patch * t::plane;
                    kernels::gemm(kernels::transpose::yes, kernels::transpose::no, t::patch, t::plane, Filters, T(1), a.params, t::patch,
                                  a.grad_out + (first + i) * Filters * t::plane, t::plane, T(0), cols, t::plane);
                    T* gx = a.grad_in[0] + (first + i) * X::shape::size;
                    if (a.grad_in_fresh[0]) std::fill_n(gx, X::shape::size, T(0));
                    kernels::col2im_add(t::geometry, t::in::channels, cols, gx);
                }
            });
        });
    }
};

}  // namespace ops
}  // namespace typegrad
