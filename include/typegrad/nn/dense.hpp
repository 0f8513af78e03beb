#pragma once
// The user-facing dense layer: tg::dense<64> is a layer that, applied to an expression (or piped
// after one), creates a new fully connected layer with its own weights.
//   tg::dense<64>(x)                      a layer with bias, Glorot-uniform weights
//   tg::dense<64>.without_bias()          no bias
//   tg::dense<64>.with_init(tg::init_scheme::he_normal)
//   tg::dense<64>.named<"encoder">()      every use of this name shares one set of weights
#include <typegrad/expr/dense.hpp>
#include <typegrad/expr/node.hpp>

namespace typegrad {

template <std::size_t Out, bool Bias = true, fixed_string Name = "">
struct dense_layer {
    init_scheme init = init_scheme::glorot_uniform;

    // The return type is spelled out so that a shape error is reported from the node's type, not
    // from deducing the body (which would put a page of <type_traits> above the message).
    template <expression X>
    node_of<ops::dense<Out, Bias, Name>, X> operator()(X x) const {
        return node_of<ops::dense<Out, Bias, Name>, X>{ops::dense<Out, Bias, Name>{init}, std::move(x)};
    }
    constexpr dense_layer<Out, false, Name> without_bias() const { return {init}; }
    constexpr dense_layer with_init(init_scheme scheme) const { return {scheme}; }
    template <fixed_string NewName>
    constexpr dense_layer<Out, Bias, NewName> named() const {
        return {init};
    }
};

template <std::size_t Out>
inline constexpr dense_layer<Out> dense{};

}  // namespace typegrad
