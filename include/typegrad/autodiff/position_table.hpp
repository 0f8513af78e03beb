#pragma once
// What set-up, planning and reporting need to know of each position of a tape, computed once per
// graph type as a constexpr table. Only forward() and backward() are unrolled per position; the
// rest of the graph's machinery loops over this table (and the run-time slots made from it,
// autodiff/graph.hpp), which keeps compile times down.
#include <array>
#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include <typegrad/autodiff/positions.hpp>
#include <typegrad/expr/node.hpp>
#include <typegrad/expr/op_args.hpp>
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
    std::span<const param_block> blocks;
    std::size_t parameter_size = 0;
    std::span<const state_block> state_blocks;
    std::size_t state_size = 0;
    std::array<std::size_t, 2> inputs{};  // positions in the table; slots in a graph's run-time copy
    std::size_t arity = 0;
    std::size_t own_flops = 0;
    std::string_view kind, name;  // operation; leaf or layer name
    std::string (*shape_text)() = nullptr;
};

// Keyed by the operation and its operands, not the node: layers of one kind and shape share them.
template <class Op, class... Operands>
struct operation_blocks {
    static constexpr auto value = param_blocks_of<Op, Operands...>();
    static constexpr auto state = state_blocks_of<Op, Operands...>();
};
template <class N>
struct node_blocks;
template <class Op, auto... In>
struct node_blocks<node<Op, In...>> : operation_blocks<Op, operand_of<type_of_value<In>>...> {};
template <class N>
inline constexpr auto& blocks_of = node_blocks<N>::value;

template <class Block, std::size_t K>
constexpr std::size_t total_size(const std::array<Block, K>& blocks) {
    std::size_t total = 0;
    for (const auto& b : blocks) total += b.size;
    return total;
}

template <class Op>
inline constexpr bool is_penalty = requires(Op op) { op.source; };

// Scratch memory an operation needs for a batch (0 unless it declares scratch_size).
template <class T, class Op, class... Operands>
std::size_t scratch_size(std::size_t batch) {
    if constexpr (requires { Op::template scratch_size<T, Operands...>(batch); })
        return Op::template scratch_size<T, Operands...>(batch);
    else
        return 0;
}
template <class T, class N>
struct scratch;
template <class T, class Op, auto... In>
struct scratch<T, node<Op, In...>> {
    static constexpr std::size_t (*size)(std::size_t) = &scratch_size<T, Op, operand_of<type_of_value<In>>...>;
};

template <class P>
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
    info.own_flops = N::own_flops;
    info.blocks = blocks_of<N>;
    info.parameter_size = total_size(blocks_of<N>);
    info.state_blocks = node_blocks<N>::state;
    info.state_size = total_size(node_blocks<N>::state);
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

// How the tape runs an operation: through a function per operation and operand shapes, given the
// operation's settings and its memory. Layers of the same kind and shape share one (the code of a
// network grows with its kinds of layers, not its depth), and forward() and backward() are plain
// loops over the nodes rather than unrolled folds, which compilers optimise in time growing faster
// than their length.
template <class T>
using step_function = void (*)(const void* op, const op_args<T>&);

template <class T, class Op, class... Operands>
void forward_step(const void* op, const op_args<T>& a) {
    static_cast<const Op*>(op)->template forward<T, Operands...>(a);
}
template <class T, class Op, class... Operands>
void backward_step(const void* op, const op_args<T>& a) {
    static_cast<const Op*>(op)->template backward<T, Operands...>(a);
}

template <class T, class N>
struct steps;
template <class T, class Op, auto... In>
struct steps<T, node<Op, In...>> {
    static constexpr bool computed = node<Op, In...>::feed == feed_kind::none;
    static constexpr step_function<T> forward = [] {
        if constexpr (computed) return step_function<T>{&forward_step<T, Op, operand_of<type_of_value<In>>...>};
        else return step_function<T>{};
    }();
    static constexpr step_function<T> backward = [] {
        if constexpr (computed) return step_function<T>{&backward_step<T, Op, operand_of<type_of_value<In>>...>};
        else return step_function<T>{};
    }();
};

template <class Positions>
struct table;
template <class... P>
struct table<type_list<P...>> {
    static constexpr std::array<position_info, sizeof...(P)> info{describe<P>()...};
    template <class T>
    static constexpr std::array<std::size_t (*)(std::size_t), sizeof...(P)> scratch_sizes{scratch<T, typename P::node_type>::size...};
    template <class T>
    static constexpr std::array<step_function<T>, sizeof...(P)> forward_steps{steps<T, typename P::node_type>::forward...};
    template <class T>
    static constexpr std::array<step_function<T>, sizeof...(P)> backward_steps{steps<T, typename P::node_type>::backward...};
};

}  // namespace typegrad::tape
