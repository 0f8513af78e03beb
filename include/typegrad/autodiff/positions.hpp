#pragma once
// The tape's structure, derived from the graph's type: one position per distinct node type of the
// roots' DAG, in the topological order the node types carry (expr/node.hpp): inputs before the nodes
// that use them, the first root's DAG first. Each position knows, at compile time, its node type and
// the positions of its inputs. Laying it out costs time linear in the positions.
#include <array>
#include <cstddef>
#include <utility>

#include <typegrad/expr/node.hpp>
#include <typegrad/expr/type_list.hpp>

namespace typegrad::tape {

using meta::type_list;

template <class Node, std::size_t Index, class InputPositions>
struct position {
    using node_type = Node;
    static constexpr std::size_t index = Index;
    using inputs = InputPositions;  // std::index_sequence of input positions
};

template <class... Orders>
struct union_of_orders;
template <class First>
struct union_of_orders<First> {
    using type = First;
};
template <class First, class Second, class... Rest>
struct union_of_orders<First, Second, Rest...> : union_of_orders<meta::ordered_union<First, Second>, Rest...> {};

template <class Node, class Order>
struct input_positions;
template <class Op, auto... In, class Order>
struct input_positions<node<Op, In...>, Order> {
    using type = std::index_sequence<meta::index_in<type_of_value<In>, Order>...>;
};

template <class... Roots>
struct layout {
    using order = typename union_of_orders<typename Roots::order...>::type;
    template <std::size_t... I>
    static auto lay_out(std::index_sequence<I...>)
        -> type_list<position<meta::nth<I, order>, I, typename input_positions<meta::nth<I, order>, order>::type>...>;
    using type = decltype(lay_out(std::make_index_sequence<order::size>{}));
    static constexpr std::array<std::size_t, sizeof...(Roots)> root_positions{meta::index_in<Roots, order>...};
};

}  // namespace typegrad::tape
