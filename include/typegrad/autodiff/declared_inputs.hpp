#pragma once
// compile<T>(tg::inputs(x, labels), outputs...): a graph whose inputs are declared, and checked at
// compile time: every output must depend on a declared input, and on no input that is not declared.
#include <array>
#include <cstddef>
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

template <class Root, class Leaf>
inline constexpr bool depends_on = meta::contains<Leaf, meta::set_of<typename Root::order>>;

template <class N, class... Declared>
inline constexpr bool undeclared_leaf = N::feed != feed_kind::none && !(std::is_same_v<N, Declared> || ...);

// The first leaf of Root's order that is not among Declared, or void.
template <class Order, class... Declared>
struct first_undeclared;
template <class... N, class... Declared>
struct first_undeclared<meta::type_list<N...>, Declared...> {
    static constexpr std::array<bool, sizeof...(N)> undeclared{undeclared_leaf<N, Declared...>...};
    static constexpr std::size_t index = [] {
        for (std::size_t i = 0; i < undeclared.size(); ++i)
            if (undeclared[i]) return i;
        return undeclared.size();
    }();
    using type = typename decltype([] {
        if constexpr (index < sizeof...(N))
            return std::type_identity<meta::nth<index, meta::type_list<N...>>>{};
        else
            return std::type_identity<void>{};
    }())::type;
};

template <std::size_t Index, class Root, class... Declared>
struct check_output {
    using undeclared = typename first_undeclared<typename Root::order, Declared...>::type;
    static constexpr errors::require<(depends_on<Root, Declared> || ...),
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
