#pragma once
// An expression node: *what* is computed. Its type records the operation and the types of its
// inputs, so shapes, parameter counts and FLOPs are compile-time constants; its value records the
// operation's run-time settings (a slope, a scale, an initialiser) and an identity. Copies keep the
// identity: a value used twice is one node, computed once (see autodiff/graph.hpp).
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include <typegrad/shape/diagnostics.hpp>

#include <typegrad/shape/shape.hpp>

namespace typegrad {

using node_id = std::uint64_t;

inline node_id next_node_id() {
    static std::atomic<node_id> counter{1};
    return counter.fetch_add(1, std::memory_order_relaxed);
}

// A node's depth: the longest path from an input (inputs are at depth 0). In a chain it is the
// layer's position, which is what diagnostics print.
template <class... Inputs>
inline constexpr std::size_t depth_after = sizeof...(Inputs) == 0 ? 0 : 1 + std::max({std::size_t{0}, Inputs::depth...});

template <class Op, class... Inputs>
using layer_at = at_layer<depth_after<Inputs...>, Op>;

// How a leaf receives its values: nothing to compute, the user binds memory to it.
enum class feed_kind { none, values, labels };

template <class Op>
constexpr feed_kind feed_of() {
    if constexpr (requires { Op::feed; })
        return Op::feed;
    else
        return feed_kind::none;
}

template <class Op, class... Inputs>
struct node {
    using op_type = Op;
    using inputs_type = std::tuple<Inputs...>;
    using traits = typename Op::template traits<Inputs...>;  // shape checks fire here
    using shape = typename traits::shape;

    static constexpr shape output_shape{};
    static constexpr bool batched = traits::batched;
    static constexpr std::size_t arity = sizeof...(Inputs);
    static constexpr feed_kind feed = feed_of<Op>();
    static constexpr std::size_t depth = depth_after<Inputs...>;
    static constexpr std::size_t own_parameter_count = traits::parameter_count;
    static constexpr std::size_t own_flops = traits::flops;
    // Counted per use: a sub-expression reused in two places counts twice here; the compiled
    // graph's parameter_count() counts it once.
    static constexpr std::size_t parameter_count = own_parameter_count + (std::size_t{0} + ... + Inputs::parameter_count);
    static constexpr std::size_t flops = own_flops + (std::size_t{0} + ... + Inputs::flops);

    Op op;
    std::tuple<Inputs...> inputs;
    node_id id = next_node_id();

    node() = default;
    explicit node(Op o, Inputs... in) : op{std::move(o)}, inputs{std::move(in)...} {}
};

template <class T>
inline constexpr bool is_node = false;
template <class Op, class... In>
inline constexpr bool is_node<node<Op, In...>> = true;

template <class T>
concept expression = is_node<std::remove_cvref_t<T>>;

// Calls f on every node of an expression tree, parents before their inputs.
template <class F, class Op, class... Inputs>
void visit_tree(const node<Op, Inputs...>& n, F&& f) {
    f(n);
    std::apply([&](const auto&... in) { (visit_tree(in, f), ...); }, n.inputs);
}

// A layer's user-given name ("" when unnamed). Named layers share parameters across uses.
template <class Op>
constexpr std::string_view layer_name_of() {
    if constexpr (requires { Op::layer_name; })
        return Op::layer_name;
    else
        return {};
}

}  // namespace typegrad
