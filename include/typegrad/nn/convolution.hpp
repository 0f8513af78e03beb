#pragma once
// User-facing convolution and pooling layers, for NCHW samples of shape (channels, height, width).
//   tg::conv2d<32, 3>                                     32 filters 3x3, stride 1, valid, bias, He-uniform
//   tg::conv2d<32, 3, 2, tg::padding::same>               stride 2, zero padding to ceil(size / 2)
//   tg::conv2d<32, 3>.without_bias(), .with_init(...), .named<"conv1">()   as for dense
//   tg::conv2d<32, 3>.expects_channels<1>()              a compile error unless the input has 1 channel
//   tg::max_pool<2>, tg::max_pool<3, 2>, tg::avg_pool<2>, tg::global_average_pool
//   tg::max_pool<2>.must_tile()                           a compile error if windows would leave a row out
#include <typegrad/expr/conv2d.hpp>
#include <typegrad/expr/node.hpp>
#include <typegrad/expr/pooling.hpp>
#include <typegrad/nn/functions.hpp>

namespace typegrad {

template <std::size_t Filters, std::size_t Kernel, std::size_t Stride = 1, padding Pad = padding::valid, bool Bias = true,
          fixed_string Name = "", std::size_t InChannels = 0>
struct conv2d_layer {
    using op = ops::conv2d<Filters, Kernel, Stride, Pad, Bias, Name, InChannels>;
    init_scheme init = init_scheme::he_uniform;

    template <expression X>
    node_of<op, X> operator()(X x) const {  // spelled out: see dense_layer
        return node_of<op, X>{{init}, std::move(x)};
    }
    constexpr conv2d_layer<Filters, Kernel, Stride, Pad, false, Name, InChannels> without_bias() const { return {init}; }
    constexpr conv2d_layer with_init(init_scheme scheme) const { return {scheme}; }
    template <fixed_string NewName>
    constexpr conv2d_layer<Filters, Kernel, Stride, Pad, Bias, NewName, InChannels> named() const {
        return {init};
    }
    template <std::size_t Channels>
    constexpr conv2d_layer<Filters, Kernel, Stride, Pad, Bias, Name, Channels> expects_channels() const {
        static_assert(Channels > 0, "typegrad: expects_channels<C>() needs a positive channel count");
        return {init};
    }
};

// A pooling layer; .must_tile() turns a window that would leave a row or column out into a compile error.
template <bool Max, std::size_t Window, std::size_t Stride, bool MustTile = false>
struct pool_layer : unary_layer<ops::pool<Max, Window, Stride, MustTile>> {
    constexpr pool_layer<Max, Window, Stride, true> must_tile() const { return {}; }
};

template <std::size_t Filters, std::size_t Kernel, std::size_t Stride = 1, padding Pad = padding::valid>
inline constexpr conv2d_layer<Filters, Kernel, Stride, Pad> conv2d{};

template <std::size_t Window, std::size_t Stride = Window>
inline constexpr pool_layer<true, Window, Stride> max_pool{};
template <std::size_t Window, std::size_t Stride = Window>
inline constexpr pool_layer<false, Window, Stride> avg_pool{};
inline constexpr unary_layer<ops::global_average_pool> global_average_pool{};

}  // namespace typegrad
