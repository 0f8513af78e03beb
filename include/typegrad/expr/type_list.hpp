#pragma once
// Lists of types and the few operations the tape needs on them, each in a constant number of
// template instantiations (no recursion over the list): a graph of a few hundred layers must compile
// in seconds, and recursion would also run into the compilers' instantiation-depth limits.
//   contains<T, set_of<List>>   membership, through derived-to-base conversion
//   nth<I, List>                the I-th type, through overload resolution on indexed bases
//   index_in<T, List>           the position of T in a list holding it once
//   ordered_union<A, B>         A, then the types of B not in A, in B's order
#include <array>
#include <cstddef>
#include <type_traits>
#include <utility>

namespace typegrad::meta {

template <class... Ts>
struct type_list {
    static constexpr std::size_t size = sizeof...(Ts);
};

template <class T>
struct type_tag {};
// Only for lists without repetitions (a repeated base is ill-formed), which every list here is.
template <class... Ts>
struct type_set : type_tag<Ts>... {};

template <class List>
struct set_of_impl;
template <class... Ts>
struct set_of_impl<type_list<Ts...>> {
    using type = type_set<Ts...>;
};
template <class List>
using set_of = typename set_of_impl<List>::type;

template <class T, class Set>
inline constexpr bool contains = std::is_base_of_v<type_tag<T>, Set>;

template <std::size_t I, class T>
struct indexed {
    using type = T;
};
template <class Sequence, class... Ts>
struct indexer;
template <std::size_t... I, class... Ts>
struct indexer<std::index_sequence<I...>, Ts...> : indexed<I, Ts>... {};

template <class List>
struct indexer_of_impl;
template <class... Ts>
struct indexer_of_impl<type_list<Ts...>> {
    using type = indexer<std::index_sequence_for<Ts...>, Ts...>;
};
template <class List>
using indexer_of = typename indexer_of_impl<List>::type;

template <std::size_t I, class T>
indexed<I, T> select_index(const indexed<I, T>&);  // declared only: used in decltype
template <class T, std::size_t I>
std::integral_constant<std::size_t, I> select_type(const indexed<I, T>&);

template <std::size_t I, class List>
using nth = typename decltype(select_index<I>(std::declval<indexer_of<List>>()))::type;

template <class T, class List>
inline constexpr std::size_t index_in = decltype(select_type<T>(std::declval<indexer_of<List>>()))::value;

template <class List, class T>
struct append_impl;
template <class... Ts, class T>
struct append_impl<type_list<Ts...>, T> {
    using type = type_list<Ts..., T>;
};
template <class List, class T>
using append = typename append_impl<List, T>::type;

// The positions in B of its types that A does not hold.
template <class SetA, class... B>
constexpr auto positions_not_in() {
    constexpr std::array<bool, sizeof...(B)> fresh{!contains<B, SetA>...};
    constexpr std::size_t count = [&] {
        std::size_t n = 0;
        for (bool f : fresh) n += f;
        return n;
    }();
    std::array<std::size_t, count> positions{};
    std::size_t k = 0;
    for (std::size_t i = 0; i < fresh.size(); ++i)
        if (fresh[i]) positions[k++] = i;
    return positions;
}

template <class A, class B>
struct ordered_union_impl;
template <class... A, class... B>
struct ordered_union_impl<type_list<A...>, type_list<B...>> {
    static constexpr auto fresh = positions_not_in<type_set<A...>, B...>();
    template <std::size_t... K>
    static auto join(std::index_sequence<K...>) -> type_list<A..., nth<fresh[K], type_list<B...>>...>;
    using type = decltype(join(std::make_index_sequence<fresh.size()>{}));
};
template <class A, class B>
using ordered_union = typename ordered_union_impl<A, B>::type;

}  // namespace typegrad::meta
