#pragma once
// ResNet's basic block (He et al. 2016), the residual unit of ResNet-18 and -34: two 3x3
// convolutions, each followed by batch normalisation, added to the block's input, or to its 1x1
// projection when the block changes the channel count or strides, then relu.
//   x | ... | tg::conv2d<32, 3, 1, tg::padding::same> | tg::batch_norm | tg::relu   (a stem)
//   auto h = tg::basic_block<64, 2>(tg::basic_block<32>(stem));
// The convolutions have no bias: the batch normalisation after each would cancel it.
#include <cstddef>

#include <typegrad/expr/node.hpp>
#include <typegrad/nn/convolution.hpp>
#include <typegrad/nn/functions.hpp>
#include <typegrad/nn/normalization.hpp>

namespace typegrad {

template <std::size_t Filters, std::size_t Stride = 1, expression X>
auto basic_block(const X& x) {
    const auto branch = x | conv2d<Filters, 3, Stride, padding::same>.without_bias() | batch_norm | relu |
                        conv2d<Filters, 3, 1, padding::same>.without_bias() | batch_norm;
    if constexpr (Stride == 1 && X::shape::dims[0] == Filters)
        return relu(branch + x);
    else
        return relu(branch + (x | conv2d<Filters, 1, Stride>.without_bias() | batch_norm));
}

}  // namespace typegrad
