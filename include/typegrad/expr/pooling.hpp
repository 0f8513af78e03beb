#pragma once
// Pooling over NCHW samples: max or average over Window x Window windows moved by Stride, channel by
// channel. As in PyTorch, only whole windows count: a last row or column that a window would only
// partly cover is left out (11 -> 5 for 2x2 windows of stride 2), unless MustTile asks for a compile
// error instead. global_average_pool averages each channel's whole plane.
#include <algorithm>
#include <string_view>
#include <type_traits>

#include <typegrad/expr/conv2d.hpp>
#include <typegrad/expr/node.hpp>
#include <typegrad/expr/op_args.hpp>
#include <typegrad/kernels/convolution.hpp>
#include <typegrad/kernels/elementwise.hpp>
#include <typegrad/kernels/parallel.hpp>

namespace typegrad::ops {

template <bool Max, std::size_t Window, std::size_t Stride = Window, bool MustTile = false>
struct pool {
    static_assert(Window > 0 && Stride > 0, "typegrad: a pooling window and stride must be positive");
    static constexpr std::string_view kind = Max ? "max_pool" : "avg_pool";
    static constexpr bool backward_reads_output = false;  // an in-place activation may overwrite it
    static constexpr bool writes_fresh_input_gradients = true;

    template <class X>
    struct traits {
        using in = planes<typename X::shape>;
        static constexpr errors::require<in::ok, errors::layer_needs_a_rank3_input_channels_height_width<layer_at<pool, X>, got<typename X::shape>>>
            check_rank{};
        static constexpr bool fits = Window <= in::height && Window <= in::width;
        static constexpr errors::require<!in::ok || fits, errors::kernel_must_fit_in_the_input<layer_at<pool, X>, got<typename X::shape>>>
            check_window{};
        static constexpr bool tiles = (in::height - Window) % Stride == 0 && (in::width - Window) % Stride == 0;
        static constexpr errors::require<!MustTile || !in::ok || !fits || tiles, errors::pooling_windows_must_tile_the_input<layer_at<pool, X>, got<typename X::shape>>>
            check_tiling{};
        static constexpr window_extent rows = slide(in::height, Window, Stride, padding::valid),
                                       cols = slide(in::width, Window, Stride, padding::valid);
        static constexpr kernels::window_geometry geometry{in::height, in::width, Window, Stride, 0, 0, rows.out, cols.out};
        static constexpr std::size_t plane = rows.out * cols.out, in_plane = in::height * in::width;
        using shape = typegrad::shape<in::channels, rows.out, cols.out>;
        static constexpr bool batched = X::batched;
        static constexpr std::size_t parameter_count = 0;
        static constexpr std::size_t flops = in::channels * plane * Window * Window;
    };

    // Max pooling keeps, per output, where in its window the maximum was: a byte for windows up to
    // 16 x 16 (a quarter of the memory of a float index), else an index in T.
    template <class T>
    using window_index = std::conditional_t<Window * Window <= 256, unsigned char, T>;
    template <class T, class X>
    static std::size_t scratch_size(std::size_t batch) {
        const std::size_t indices = rows_of<X>(batch) * traits<X>::shape::size;
        return Max ? (indices * sizeof(window_index<T>) + sizeof(T) - 1) / sizeof(T) : 0;
    }
    template <class T>
    static window_index<T>* winners(T* scratch) {
        if constexpr (std::is_same_v<window_index<T>, T>)
            return scratch;
        else
            return reinterpret_cast<window_index<T>*>(scratch);
    }

    // Calls pool_plane(p) for every (sample, channel) plane p of the batch. Planes are independent:
    // each thread pools a contiguous run of them, big enough to pay for it.
    template <class X, class T, class F>
    static void for_each_plane(const op_args<T>& a, F&& pool_plane) {
        constexpr std::size_t planes_per_chunk = std::max<std::size_t>(1, kernels::elementwise_grain / traits<X>::in_plane);
        kernels::parallel_for(
            a.pool, rows_of<X>(a.batch) * traits<X>::in::channels,
            [&](std::size_t first, std::size_t last) {
                for (std::size_t p = first; p < last; ++p) pool_plane(p);
            },
            planes_per_chunk);
    }

    template <class T, class X>
    void forward(const op_args<T>& a) const {
        using t = traits<X>;
        for_each_plane<X>(a, [&](std::size_t p) {
            if constexpr (Max)
                kernels::max_pool_plane(t::geometry, a.in[0] + p * t::in_plane, a.out + p * t::plane, winners(a.scratch) + p * t::plane);
            else
                kernels::avg_pool_plane(t::geometry, a.in[0] + p * t::in_plane, a.out + p * t::plane);
        });
    }

    template <class T, class X>
    void backward(const op_args<T>& a) const {
        if (!a.grad_in[0]) return;
        using t = traits<X>;
        for_each_plane<X>(a, [&](std::size_t p) {
            T* gx = a.grad_in[0] + p * t::in_plane;
            const T* g = a.grad_out + p * t::plane;
            if (a.grad_in_fresh[0]) std::fill_n(gx, t::in_plane, T(0));  // here, in cache, rather than in a pass of its own
            if constexpr (Max) {
                kernels::max_pool_plane_backward(t::geometry, g, winners(a.scratch) + p * t::plane, gx);
            } else {
                kernels::avg_pool_plane_backward(t::geometry, g, gx);
            }
        });
    }
};

struct global_average_pool {
    static constexpr std::string_view kind = "global_average_pool";

    template <class X>
    struct traits {
        using in = planes<typename X::shape>;
        static constexpr errors::require<in::ok, errors::layer_needs_a_rank3_input_channels_height_width<layer_at<global_average_pool, X>,
                                                                                                       got<typename X::shape>>>
            check_rank{};
        static constexpr std::size_t plane = in::height * in::width;
        using shape = typegrad::shape<in::channels>;
        static constexpr bool batched = X::batched;
        static constexpr std::size_t parameter_count = 0;
        static constexpr std::size_t flops = X::shape::size;
    };

    template <class T, class X>
    void forward(const op_args<T>& a) const {
        using t = traits<X>;
        for (std::size_t p = 0; p < rows_of<X>(a.batch) * t::in::channels; ++p) a.out[p] = kernels::sum(t::plane, a.in[0] + p * t::plane) / T(t::plane);
    }
    template <class T, class X>
    void backward(const op_args<T>& a) const {
        if (!a.grad_in[0]) return;
        using t = traits<X>;
        for (std::size_t p = 0; p < rows_of<X>(a.batch) * t::in::channels; ++p)
            kernels::add_constant(t::plane, a.grad_out[p] / T(t::plane), a.grad_in[0] + p * t::plane);
    }
};

}  // namespace typegrad::ops
