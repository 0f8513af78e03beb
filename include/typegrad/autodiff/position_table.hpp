#pragma once
// What set-up, planning and reporting need to know of each position of a tape, computed once per
// graph type as a constexpr table. Only forward() and backward() are unrolled per position; the
// rest of the graph's machinery loops over this table, which keeps compile times down.
#include <array>
#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include <typegrad/autodiff/positions.hpp>
#include <typegrad/expr/node.hpp>
#include <typegrad/expr/parameters.hpp>

namespace typegrad::tape {

inline constexpr std::size_t npos = std::numeric_limits<std::size_t>::max();

struct position_info {
    feed_kind feed = feed_kind::none;
    bool batched = false;
    bool penalty = false;      // reads the parameters of other layers (weight penalties)
    bool runs_in_place = false;          // may take its input's buffers as its own (expr/op_args.hpp)
    bool backward_reads_output = true;   // false: its output may be overwritten by an in-place user
    bool writes_fresh_input_gradients = false;  // can overwrite an input's gradient it writes first
    std::size_t size = 0;      // values per sample
    std::size_t leaf_position = npos;  // leaves: the first position of the same leaf type
    std::span<const param_block> blocks;
    std::size_t parameter_size = 0;
    std::array<std::size_t, 2> inputs{};
    std::size_t arity = 0;
    std::string_view kind, name;  // operation; leaf or layer name
    std::string (*shape_text)() = nullptr;
};

template <class N>
struct node_blocks;
template <class Op, class... In>
struct node_blocks<node<Op, In...>> {
    static constexpr auto value = param_blocks_of<Op, In...>();
};
template <class N>
inline constexpr auto& blocks_of = node_blocks<N>::value;

template <std::size_t K>
constexpr std::size_t total_size(const std::array<param_block, K>& blocks) {
    std::size_t total = 0;
    for (const auto& b : blocks) total += b.size;
    return total;
}

template <class Op>
inline constexpr bool is_penalty = requires(Op op) {
    op.blocks;
    op.source;
};

// Position of the first occurrence of node type X in a position list, or npos.
template <class X, class... P>
constexpr std::size_t first_position_of(type_list<P...>) {
    constexpr std::array<bool, sizeof...(P)> match{std::is_same_v<typename P::node_type, X>...};
    for (std::size_t i = 0; i < match.size(); ++i)
        if (match[i]) return i;
    return npos;
}

// Scratch memory an operation needs for a batch (0 unless it declares scratch_size).
template <class T, class N>
struct scratch;
template <class T, class Op, class... In>
struct scratch<T, node<Op, In...>> {
    static std::size_t size(std::size_t batch) {
        if constexpr (requires { Op::template scratch_size<T, In...>(batch); })
            return Op::template scratch_size<T, In...>(batch);
        else
            return 0;
    }
};

template <class P, class Positions>
constexpr position_info describe() {
    using N = typename P::node_type;
    using Op = typename N::op_type;
    position_info info{};
    info.feed = N::feed;
    info.batched = N::batched;
    info.penalty = is_penalty<Op>;
    if constexpr (requires { Op::runs_in_place; }) info.runs_in_place = Op::runs_in_place;
    if constexpr (requires { Op::backward_reads_output; }) info.backward_reads_output = Op::backward_reads_output;
    if constexpr (requires { Op::writes_fresh_input_gradients; }) info.writes_fresh_input_gradients = Op::writes_fresh_input_gradients;
    info.size = N::shape::size;
    info.leaf_position = N::feed == feed_kind::none ? npos : first_position_of<N>(Positions{});
    info.blocks = blocks_of<N>;
    info.parameter_size = total_size(blocks_of<N>);
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        static_assert(sizeof...(I) <= 2, "typegrad: operations take at most two inputs");
        ((info.inputs[info.arity++] = I), ...);
    }(typename P::inputs{});
    info.kind = Op::kind;
    if constexpr (N::feed != feed_kind::none)
        info.name = Op::name;
    else
        info.name = layer_name_of<Op>();
    info.shape_text = &N::shape::to_string;
    return info;
}

template <class Positions>
struct table;
template <class... P>
struct table<type_list<P...>> {
    static constexpr std::array<position_info, sizeof...(P)> info{describe<P, type_list<P...>>()...};
    template <class T>
    static constexpr std::array<std::size_t (*)(std::size_t), sizeof...(P)> scratch_sizes{&scratch<T, typename P::node_type>::size...};
};

}  // namespace typegrad::tape
