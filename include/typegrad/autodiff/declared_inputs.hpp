#pragma once
// compile<T>(tg::inputs(x, labels), outputs...): a graph whose inputs are declared, and checked at
// compile time: every output must depend on a declared input, and on no input that is not declared.
#include <type_traits>

#include <typegrad/autodiff/graph.hpp>

namespace typegrad {

template <class... Leaves>
struct input_list {};

template <expression... Leaves>
constexpr input_list<Leaves...> inputs(const Leaves&...) {
    static_assert((is_leaf<Leaves> && ...), "typegrad: inputs(...) lists input, target and labels leaves only");
    return {};
}

namespace detail {

template <class Node, class Leaf>
struct depends_on;
template <class Op, class... In, class Leaf>
struct depends_on<node<Op, In...>, Leaf>
    : std::bool_constant<std::is_same_v<node<Op, In...>, Leaf> || (depends_on<In, Leaf>::value || ...)> {};

// The first leaf of Node (in post-order) that is not among Declared, or void.
template <class Node, class... Declared>
struct first_undeclared;
template <class Op, class... In, class... Declared>
struct first_undeclared<node<Op, In...>, Declared...> {
    template <class Found, class Next>
    using or_next = std::conditional_t<std::is_void_v<Found>, typename first_undeclared<Next, Declared...>::type, Found>;
    template <class... Ns>
    struct scan {
        using type = void;
    };
    template <class N, class... Ns>
    struct scan<N, Ns...> {
        using here = typename first_undeclared<N, Declared...>::type;
        using type = std::conditional_t<std::is_void_v<here>, typename scan<Ns...>::type, here>;
    };
    using self = node<Op, In...>;
    static constexpr bool undeclared_leaf = self::feed != feed_kind::none && !(std::is_same_v<self, Declared> || ...);
    using type = std::conditional_t<undeclared_leaf, self, typename scan<In...>::type>;
};

template <std::size_t Index, class Root, class... Declared>
struct check_output {
    using undeclared = typename first_undeclared<Root, Declared...>::type;
    static constexpr errors::require<(depends_on<Root, Declared>::value || ...),
                                     errors::output_does_not_depend_on_the_declared_input<output<Index>, declared<Declared...>>>
        check_depends{};
    static constexpr errors::require<std::is_void_v<undeclared>, errors::output_depends_on_an_undeclared_input<output<Index>, undeclared>>
        check_undeclared{};
};

}  // namespace detail

template <class T, class... Declared, expression... Roots>
graph<T, Roots...> compile(input_list<Declared...>, Roots... roots) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (static_cast<void>(detail::check_output<I, Roots, Declared...>{}), ...);
    }(std::index_sequence_for<Roots...>{});
    return graph<T, Roots...>{std::move(roots)...};
}

}  // namespace typegrad
