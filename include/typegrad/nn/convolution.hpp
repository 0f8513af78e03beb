#pragma once
// User-facing convolution and pooling layers, for NCHW samples of shape (channels, height, width).
//   tg::conv2d<32, 3>                                     32 filters 3x3, stride 1, valid, bias, He-uniform
//   tg::conv2d<32, 3, 2, tg::padding::same>               stride 2, zero padding to ceil(size / 2)
//   tg::conv2d<32, 3>.without_bias(), .with_init(...), .named<"conv1">()   as for dense
//   tg::max_pool<2>, tg::max_pool<3, 2>, tg::avg_pool<2>, tg::global_average_pool
#include <typegrad/expr/conv2d.hpp>
#include <typegrad/expr/node.hpp>
#include <typegrad/expr/pooling.hpp>
#include <typegrad/nn/functions.hpp>

namespace typegrad {

template <std::size_t Filters, std::size_t Kernel, std::size_t Stride = 1, padding Pad = padding::valid, bool Bias = true,
          fixed_string Name = "">
struct conv2d_layer {
    init_scheme init = init_scheme::he_uniform;

    template <expression X>
    node<ops::conv2d<Filters, Kernel, Stride, Pad, Bias, Name>, X> operator()(X x) const {  // spelled out: see dense_layer
        return node<ops::conv2d<Filters, Kernel, Stride, Pad, Bias, Name>, X>{{init}, std::move(x)};
    }
    constexpr conv2d_layer<Filters, Kernel, Stride, Pad, false, Name> without_bias() const { return {init}; }
    constexpr conv2d_layer with_init(init_scheme scheme) const { return {scheme}; }
    template <fixed_string NewName>
    constexpr conv2d_layer<Filters, Kernel, Stride, Pad, Bias, NewName> named() const {
        return {init};
    }
};

template <std::size_t Filters, std::size_t Kernel, std::size_t Stride = 1, padding Pad = padding::valid>
inline constexpr conv2d_layer<Filters, Kernel, Stride, Pad> conv2d{};

template <std::size_t Window, std::size_t Stride = Window>
inline constexpr unary_layer<ops::pool<true, Window, Stride>> max_pool{};
template <std::size_t Window, std::size_t Stride = Window>
inline constexpr unary_layer<ops::pool<false, Window, Stride>> avg_pool{};
inline constexpr unary_layer<ops::global_average_pool> global_average_pool{};

}  // namespace typegrad
