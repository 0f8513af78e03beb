#pragma once
// The optimiser interface: anything with step(parameters, gradients) over the graph's flat vectors.
// Optimisers see one contiguous vector, so their update is one loop whatever the network.
#include <concepts>
#include <span>

namespace typegrad {

template <class Opt, class T>
concept optimizer = requires(Opt& opt, std::span<T> parameters, std::span<const T> gradients) {
    opt.step(parameters, gradients);
};

// One update of a graph's parameters from the gradients of its last backward().
template <class Graph, optimizer<typename Graph::value_type> Opt>
void step(Opt& opt, Graph& graph) {
    opt.step(graph.parameters(), std::span<const typename Graph::value_type>(graph.gradients()));
}

}  // namespace typegrad
