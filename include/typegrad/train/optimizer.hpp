#pragma once
// The optimiser interface: anything with step(parameters, gradients) over the graph's flat vectors.
// Optimisers see one contiguous vector, so their update is one loop whatever the network.
#include <concepts>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

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

// What a checkpoint keeps of an optimiser (train/checkpoint.hpp): its kind, its step count and its
// vectors parallel to the parameters (Adam's moments, SGD's momentum buffer), each empty before the
// first step. Setting a state read back gives the same next updates, bit for bit.
template <class T>
struct optimizer_state {
    std::string kind;  // "adam", "sgd": a checkpoint names its tensors optimizer.<kind>.<vector>.<parameter>
    std::size_t steps = 0;
    std::vector<std::pair<std::string, std::vector<T>>> vectors;
};

template <class Opt, class T>
concept checkpointable_optimizer = optimizer<Opt, T> && requires(Opt& opt, const Opt& c, const optimizer_state<T>& s) {
    { c.state() } -> std::same_as<optimizer_state<T>>;
    opt.set_state(s);
};

namespace detail {

// An optimiser's check of a state given to set_state(): its own kind and vectors, of one size.
template <class T>
void require_state_of(const optimizer_state<T>& given, const optimizer_state<T>& own) {
    bool same = given.kind == own.kind && given.vectors.size() == own.vectors.size();
    for (std::size_t i = 0; same && i < own.vectors.size(); ++i)
        same = given.vectors[i].first == own.vectors[i].first && given.vectors[i].second.size() == given.vectors[0].second.size();
    if (!same) throw std::invalid_argument("typegrad: " + own.kind + ": set_state() was given the state of another kind of optimiser");
}

}  // namespace detail

}  // namespace typegrad
