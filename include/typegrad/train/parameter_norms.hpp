#pragma once
// Per-tensor norms of a graph's parameters and of their gradients: how to see vanishing or exploding
// gradients layer by layer (a first layer whose gradient is a millionth of the last one's learns
// nothing).
#include <span>
#include <string>
#include <vector>

#include <typegrad/autodiff/graph.hpp>
#include <typegrad/train/gradient_clipping.hpp>
#include <typegrad/train/history.hpp>

namespace typegrad {

// Gradients are those of the last backward().
template <class Graph>
std::vector<tensor_norms> parameter_norms(const Graph& graph) {
    using T = typename Graph::value_type;
    std::vector<tensor_norms> norms;
    for (const auto& t : graph.parameter_tensors())
        norms.push_back({t.name, gradient_norm(std::span<const T>(graph.parameters().subspan(t.offset, t.size))),
                         gradient_norm(std::span<const T>(graph.gradients().subspan(t.offset, t.size)))});
    return norms;
}

}  // namespace typegrad
