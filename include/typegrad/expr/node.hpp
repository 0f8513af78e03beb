#pragma once
// An expression node: *what* is computed. Its type records the operation and the types of its
// inputs, so shapes, parameter counts and FLOPs are compile-time constants; its value records the
// operation's run-time settings (a slope, a scale, an initialiser) and an identity.
//
// A network is a DAG: a value used twice (h + f(h)) appears twice in the type that uses it, but the
// compiler keeps each type once, so the type is a DAG too. Each node type carries `order`, the
// distinct node types of its DAG in a topological order (inputs first, each type once), computed
// once per type from its inputs' orders: a graph's tape is laid out from it (autodiff/positions.hpp)
// in time linear in its nodes, where walking the type as a tree would double at every reuse.
// Inputs are held by shared, reference-counted handles for the same reason: a copy of a node is a
// handle to the same DAG, and keeps its identity (a value used twice is one node, computed once).
#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <vector>

#include <typegrad/expr/type_list.hpp>
#include <typegrad/shape/diagnostics.hpp>
#include <typegrad/shape/shape.hpp>

namespace typegrad {

using node_id = std::uint64_t;

inline node_id next_node_id() {
    static std::atomic<node_id> counter{1};
    return counter.fetch_add(1, std::memory_order_relaxed);
}

// How a leaf receives its values: nothing to compute, the user binds memory to it.
enum class feed_kind { none, values, labels };

template <class Op>
constexpr feed_kind feed_of() {
    if constexpr (requires { Op::feed; })
        return Op::feed;
    else
        return feed_kind::none;
}

// What an operation's kernels see of an input: its per-sample shape, whether it has a row per sample,
// and, for class labels, the class count. Operations compute with these rather than with their input
// nodes' types, so that the code of a layer is compiled once per shape, not once per place in a network.
template <class Shape, bool Batched, feed_kind Feed = feed_kind::none, std::size_t Classes = 0>
struct operand {
    using shape = Shape;
    static constexpr bool batched = Batched;
    static constexpr feed_kind feed = Feed;
    static constexpr std::size_t classes = Classes;
    using order = meta::type_list<>;  // diagnostics of an operation given operands count from 0
};

template <class Op>
constexpr std::size_t label_classes_of() {
    if constexpr (requires { Op::classes; })
        return Op::classes;
    else
        return 0;
}

// The distinct node types of the inputs' DAGs, in the order a depth-first walk from the first input
// to the last finishes them: every input before the nodes that use it.
template <class... Inputs>
struct merged_order;
template <>
struct merged_order<> {
    using type = meta::type_list<>;
};
template <class A>
struct merged_order<A> {
    using type = typename A::order;
};
// Orders are closed under inputs (a node's order holds its inputs' orders), so when one input is in
// the other's order, so is all of its order: the common case of a residual block (h + f(h)) costs
// one membership test instead of a merge.
template <class A, class B>
struct merged_order<A, B> {
    using type = decltype([] {
        if constexpr (meta::contains<B, meta::set_of<typename A::order>>)
            return typename A::order{};
        else if constexpr (meta::contains<A, meta::set_of<typename B::order>>)
            return typename B::order{};
        else
            return meta::ordered_union<typename A::order, typename B::order>{};
    }());
};

// A node's position among the distinct nodes of its DAG, which is where compile-time errors say the
// layer is: in a chain, the layer's index counting the input as 0; in general, the row that
// graph::summary() prints for it.
template <class... Inputs>
inline constexpr std::size_t position_after = merged_order<Inputs...>::type::size;

template <class Op, class... Inputs>
using layer_at = at_layer<position_after<Inputs...>, Op>;

// A layer's user-given name ("" when unnamed). Named layers share parameters across uses.
template <class Op>
constexpr std::string_view layer_name_of() {
    if constexpr (requires { Op::layer_name; })
        return Op::layer_name;
    else
        return {};
}

// The parameters of a DAG's distinct nodes: a named layer's once, at its first use (its other uses
// share them; graph construction refuses uses whose shapes differ).
template <class... N>
constexpr std::size_t distinct_parameter_count(meta::type_list<N...>) {
    constexpr std::array<std::string_view, sizeof...(N)> names{layer_name_of<typename N::op_type>()...};
    constexpr std::array<std::size_t, sizeof...(N)> own{N::own_parameter_count...};
    std::size_t total = 0;
    for (std::size_t i = 0; i < names.size(); ++i)
        if (names[i].empty() || std::find(names.begin(), names.begin() + std::ptrdiff_t(i), names[i]) == names.begin() + std::ptrdiff_t(i))
            total += own[i];
    return total;
}
template <class... N>
constexpr std::size_t total_flops(meta::type_list<N...>) {
    return (std::size_t{0} + ... + N::own_flops);
}

// What distinct_parameter_count reads of a node, for a node not yet complete (itself).
template <class Op, class Traits>
struct node_counts {
    using op_type = Op;
    static constexpr std::size_t own_parameter_count = Traits::parameter_count;
};

namespace detail {

// Shared ownership of a node's inputs. Not std::shared_ptr or std::tuple: the constraints of their
// constructor templates, instantiated for each node type, cost compile time that grows with the
// depth of the type (a 24-block residual network took 15 s to build its expression with them, under
// 1 s with this).
// (Destroyed through a function pointer rather than a virtual destructor: one function per node type
// instead of a vtable, its type information and two destructors, each named by the whole type.)
struct held_node {
    void (*destroy)(const held_node*);
    mutable std::atomic<std::size_t> owners{1};
};
template <class N>
struct held : held_node {
    N value;
    explicit held(N n) : held_node{&destroy_held, {1}}, value(std::move(n)) {}
    static void destroy_held(const held_node* h) { delete static_cast<const held*>(h); }
};

class node_handle {
public:
    node_handle() = default;
    template <class N>
    static node_handle hold(N n) {
        return node_handle{new held<N>(std::move(n))};
    }
    node_handle(const node_handle& other) noexcept : held_{other.held_} {
        if (held_) held_->owners.fetch_add(1, std::memory_order_relaxed);
    }
    node_handle(node_handle&& other) noexcept : held_{std::exchange(other.held_, nullptr)} {}
    node_handle& operator=(node_handle other) noexcept {
        std::swap(held_, other.held_);
        return *this;
    }
    ~node_handle() {
        if (held_ && held_->owners.fetch_sub(1, std::memory_order_acq_rel) == 1) held_->destroy(held_);
    }
    template <class N>
    const N& get() const {
        return static_cast<const held<N>*>(held_)->value;
    }

private:
    explicit node_handle(const held_node* h) : held_{h} {}
    const held_node* held_ = nullptr;
};

}  // namespace detail

// A type carried as a value. A node's inputs are template arguments of this kind rather than types,
// because argument-dependent lookup, which every operator in `h + f(h)` performs, visits the type
// arguments of a type's template arguments recursively; clang 14 does so without remembering what it
// has visited, so a value reused k times would cost it 2^k steps (24 residual blocks: 22 s for one
// call). Non-type arguments are not looked into.
template <class T>
struct type_value {
    using type = T;
};
template <auto Value>
using type_of_value = typename decltype(Value)::type;

template <class Op, auto... Inputs>
struct node;

// The node of an operation on inputs of the given node types: how nodes are spelled where created.
template <class Op, class... Inputs>
using node_of = node<Op, type_value<Inputs>{}...>;

template <class Op, auto... InputValues>
struct node {
    using input_types = meta::type_list<type_of_value<InputValues>...>;
    using op_type = Op;
    using traits = typename Op::template traits<type_of_value<InputValues>...>;  // shape checks fire here
    using shape = typename traits::shape;
    using inputs_order = typename merged_order<type_of_value<InputValues>...>::type;
    using order = meta::append<inputs_order, node>;

    static constexpr shape output_shape{};
    static constexpr bool batched = traits::batched;
    static constexpr std::size_t arity = sizeof...(InputValues);
    static constexpr feed_kind feed = feed_of<Op>();
    static constexpr std::size_t classes = label_classes_of<Op>();  // of class labels; 0 otherwise
    static constexpr std::size_t position = inputs_order::size;
    static constexpr std::size_t own_parameter_count = traits::parameter_count;
    static constexpr std::size_t own_flops = traits::flops;
    // Over the distinct nodes of the DAG: a value used twice counts once, and so does a named layer's
    // weights, whatever it is applied to.
    static constexpr std::size_t parameter_count = distinct_parameter_count(meta::append<inputs_order, node_counts<Op, traits>>{});
    static constexpr std::size_t flops = total_flops(inputs_order{}) + own_flops;

    Op op;
    node_id id = next_node_id();

    node() requires(sizeof...(InputValues) == 0) = default;
    explicit node(Op o, type_of_value<InputValues>... in) : op{std::move(o)}, inputs_{detail::node_handle::hold(std::move(in))...} {}

    template <std::size_t I>
    const auto& input() const {
        return inputs_[I].template get<meta::nth<I, input_types>>();
    }

private:
    std::array<detail::node_handle, sizeof...(InputValues)> inputs_;
};

template <class T>
inline constexpr bool is_node = false;
template <class Op, auto... In>
inline constexpr bool is_node<node<Op, In...>> = true;

template <class T>
concept expression = is_node<std::remove_cvref_t<T>>;

template <class N>
using operand_of = operand<typename N::shape, N::batched, N::feed, N::classes>;

namespace detail {

// A node reached in a walk: its type's index in the walked expression's order, its address and
// its identity.
struct dag_entry {
    std::size_t type;
    const void* node;
    node_id id;
};

// Per node type of an order, what a walk at run time needs: a table of functions, one per type,
// instantiated side by side rather than one inside the next (a deep network would exceed the
// compilers' instantiation-depth limit otherwise). One function per type does both jobs (listing the
// inputs, visiting the node): each such function is named by the whole order, and what a compiler
// spends on a deep network is mostly in emitting such names.
template <class Order>
struct dag_walker;
template <class... N>
struct dag_walker<meta::type_list<N...>> {
    using order = meta::type_list<N...>;
    template <class M, std::size_t I>
    static dag_entry input_entry(const M& n) {
        const auto& in = n.template input<I>();
        return {meta::index_in<meta::nth<I, typename M::input_types>, order>, &in, in.id};
    }
    // With `inputs`: writes the node's inputs there and returns their count. Without: calls f(node).
    template <class F, class M>
    static std::size_t step(const void* p, F& f, std::array<dag_entry, 2>* inputs) {
        const M& n = *static_cast<const M*>(p);
        static_assert(M::arity <= 2, "typegrad: operations take at most two inputs");
        if (!inputs) {
            f(n);
            return 0;
        }
        if constexpr (M::arity >= 1) (*inputs)[0] = input_entry<M, 0>(n);
        if constexpr (M::arity == 2) (*inputs)[1] = input_entry<M, 1>(n);
        return M::arity;
    }
    template <class F>
    static constexpr std::array<std::size_t (*)(const void*, F&, std::array<dag_entry, 2>*), sizeof...(N)> steps{&step<F, N>...};
};

}  // namespace detail

// Calls f(n) on every distinct node n of an expression (by identity: a value used twice is visited
// once), its inputs before it, in the order of Root::order for a DAG whose node types are distinct.
// `seen` carries the identities already visited across several calls (several roots).
template <class F, class Root>
void visit_dag(const Root& root, F&& f, std::unordered_set<node_id>& seen) {
    using walker = detail::dag_walker<typename Root::order>;
    struct pending {
        detail::dag_entry entry;
        bool expanded;
    };
    std::vector<pending> stack{{{Root::order::size - 1, &root, root.id}, false}};
    std::array<detail::dag_entry, 2> inputs{};
    constexpr auto& steps = walker::template steps<std::remove_reference_t<F>>;
    while (!stack.empty()) {
        pending& top = stack.back();
        const detail::dag_entry entry = top.entry;
        if (seen.contains(entry.id)) {
            stack.pop_back();
        } else if (top.expanded) {
            seen.insert(entry.id);
            stack.pop_back();
            steps[entry.type](entry.node, f, nullptr);
        } else {
            top.expanded = true;
            const std::size_t count = steps[entry.type](entry.node, f, &inputs);
            for (std::size_t k = count; k-- > 0;) stack.push_back({inputs[k], false});  // the first input on top: walked first
        }
    }
}
template <class F, class Root>
void visit_dag(const Root& root, F&& f) {
    std::unordered_set<node_id> seen;
    visit_dag(root, f, seen);
}

}  // namespace typegrad
