#pragma once
// The tape's structure, derived from the graph's type: the expression trees of the roots are laid
// out in post-order (inputs before the node that uses them). Each position knows, at compile time,
// its node type, the positions of its inputs, and its path from the roots (to reach its value).
#include <array>
#include <cstddef>
#include <tuple>
#include <utility>

#include <typegrad/expr/node.hpp>

namespace typegrad::tape {

template <class... Ts>
struct type_list {
    static constexpr std::size_t size = sizeof...(Ts);
};

template <class... Lists>
struct concat;
template <>
struct concat<> {
    using type = type_list<>;
};
template <class... A>
struct concat<type_list<A...>> {
    using type = type_list<A...>;
};
template <class... A, class... B, class... Rest>
struct concat<type_list<A...>, type_list<B...>, Rest...> : concat<type_list<A..., B...>, Rest...> {};

template <class Node, std::size_t Index, class InputPositions, class Path>
struct position {
    using node_type = Node;
    static constexpr std::size_t index = Index;
    using inputs = InputPositions;  // std::index_sequence of input positions
    using path = Path;              // std::index_sequence: root index, then input indices
};

template <class Node>
struct tree_size;
template <class Op, class... In>
struct tree_size<node<Op, In...>> : std::integral_constant<std::size_t, 1 + (std::size_t{0} + ... + tree_size<In>::value)> {};

// First position of each of a list of subtrees laid out one after another from `offset`; the last
// entry is where the list ends.
template <std::size_t Offset, class... Trees>
constexpr std::array<std::size_t, sizeof...(Trees) + 1> subtree_starts() {
    std::array<std::size_t, sizeof...(Trees) + 1> starts{};
    starts[0] = Offset;
    std::size_t i = 0;
    ((starts[i + 1] = starts[i] + tree_size<Trees>::value, ++i), ...);
    return starts;
}

template <class Node, std::size_t Offset, class Path>
struct flatten;

template <class Op, class... In, std::size_t Offset, std::size_t... P>
struct flatten<node<Op, In...>, Offset, std::index_sequence<P...>> {
    static constexpr auto starts = subtree_starts<Offset, In...>();
    template <std::size_t... I>
    static auto lay_out(std::index_sequence<I...>)
        -> typename concat<typename flatten<In, starts[I], std::index_sequence<P..., I>>::type...,
                           type_list<position<node<Op, In...>, starts[sizeof...(In)], std::index_sequence<(starts[I + 1] - 1)...>,
                                              std::index_sequence<P...>>>>::type;
    using type = decltype(lay_out(std::index_sequence_for<In...>{}));
};

template <class... Roots>
struct flatten_roots {
    static constexpr auto starts = subtree_starts<0, Roots...>();
    template <std::size_t... I>
    static auto lay_out(std::index_sequence<I...>) ->
        typename concat<typename flatten<Roots, starts[I], std::index_sequence<I>>::type...>::type;
    using type = decltype(lay_out(std::index_sequence_for<Roots...>{}));
    static constexpr std::array<std::size_t, sizeof...(Roots)> root_positions = [] {
        std::array<std::size_t, sizeof...(Roots)> out{};
        for (std::size_t i = 0; i < sizeof...(Roots); ++i) out[i] = starts[i + 1] - 1;
        return out;
    }();
};

// The node at a path inside a tuple of roots.
template <std::size_t First, std::size_t... Rest, class Tuple>
constexpr auto& at_path(Tuple& roots) {
    auto& here = std::get<First>(roots);
    if constexpr (sizeof...(Rest) == 0)
        return here;
    else
        return at_path<Rest...>(here.inputs);
}
template <std::size_t... P, class Tuple>
constexpr auto& at_path(Tuple& roots, std::index_sequence<P...>) {
    return at_path<P...>(roots);
}

}  // namespace typegrad::tape
