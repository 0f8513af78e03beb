#pragma once
// A compiled graph: the tape of one or more expressions, evaluated in type T.
//
// The tape lays out the distinct node types of the roots' DAG in a topological order, fixed at compile
// time (autodiff/positions.hpp): forward() walks it calling each operation's forward, backward()
// walks it in reverse calling each local backward rule, through a table of functions, one per kind
// and shape of operation (autodiff/position_table.hpp). At run time each position holds the nodes of its type, its *slots*: one,
// unless two layers of the same type were created separately on the same input (dense<3>(x) +
// dense<3>(x)), which are two layers with weights of their own, told apart by their identity. A
// value used in several places is one node and one slot, computed once.
//
// Memory: parameters and their gradients are two flat vectors; activations, gradients and scratch
// live in one arena planned by reserve(batch) for up to `batch` samples. Steps with a batch no larger
// than the plan allocate nothing. An activation such as relu whose input has no other user runs in
// place, in its input's buffers (value and gradient): a CNN's feature maps are its largest tensors,
// and this halves their memory. Gradients whose lives in backward() do not overlap share memory
// (autodiff/gradient_plan.hpp). keep_intermediates() turns both off, for reading every node's value
// and gradient after a step.
//
// Threads: operations run one after another; set_threads(n) splits the work of each (samples,
// filters, elements) over n threads of a pool the graph keeps (kernels/parallel.hpp).
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <ostream>
#include <span>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <typegrad/autodiff/gradient_plan.hpp>
#include <typegrad/autodiff/position_table.hpp>
#include <typegrad/autodiff/positions.hpp>
#include <typegrad/autodiff/tape_runtime.hpp>
#include <typegrad/expr/leaves.hpp>
#include <typegrad/expr/node.hpp>
#include <typegrad/expr/op_args.hpp>
#include <typegrad/expr/parameters.hpp>
#include <typegrad/kernels/gemm.hpp>
#include <typegrad/kernels/init.hpp>
#include <typegrad/kernels/parallel.hpp>
#include <typegrad/kernels/random.hpp>
#include <typegrad/tensor/tensor_view.hpp>

namespace typegrad {

template <class T, class... Roots>
class graph : public tape_runtime<T> {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "typegrad: a graph computes in float or double");
    static_assert(sizeof...(Roots) > 0, "typegrad: a graph needs at least one output");

    using base = tape_runtime<T>;
    using layout = tape::layout<Roots...>;
    using order = typename layout::order;
    using positions = typename layout::type;
    using loss_node = meta::nth<0, meta::type_list<Roots...>>;
    using table = tape::table<positions>;
    using typename base::position_info;
    using base::npos;
    // Members of the dependent base, named here so that the code below can use them unqualified.
    using base::batch_;
    using base::feed_labels_;
    using base::feed_sizes_;
    using base::feed_values_;
    using base::first_slot_;
    using base::grad_;
    using base::gradient_reused_;
    using base::ids_;
    using base::overwritten_by_;
    using base::param_offset_;
    using base::params_;
    using base::penalised_;
    using base::plan_valid_;
    using base::root_slots_;
    using base::slots_;
    using base::value_;
    using base::wants_gradient_;

public:
    using value_type = T;
    // Distinct node types: the tape's positions.
    static constexpr std::size_t position_count = positions::size;
    // Per sample, over the distinct node types (flops_per_sample() counts every node).
    static constexpr std::size_t flops = [] {
        std::size_t total = 0;
        for (const position_info& info : table::info) total += info.own_flops;
        return total;
    }();

    explicit graph(Roots... roots)
        : base{table::info, {table::template forward_steps<T>, table::template backward_steps<T>, table::template scratch_sizes<T>}},
          roots_{detail::node_handle::hold(std::move(roots))...} {
        std::array<node_id, sizeof...(Roots)> root_keys{};
        [&]<std::size_t... R>(std::index_sequence<R...>) {
            ((root_keys[R] = key_of(root<R>())), ...);
        }(std::index_sequence_for<Roots...>{});
        this->lay_out(collect_nodes(), root_keys);
    }

    // Not copyable: a copy's tables would point into the original's arena. Moving keeps them valid.
    graph(const graph&) = delete;
    graph& operator=(const graph&) = delete;
    graph(graph&&) noexcept = default;
    graph& operator=(graph&&) noexcept = default;

    // Parameters of one layer of the graph, in the order of its blocks (weight, then bias).
    template <expression X>
    std::span<T> parameters_of(const X& layer) {
        const std::size_t s = slot_of(layer);
        if (param_offset_[s] == npos) throw std::invalid_argument("typegrad: parameters_of(): this node has no parameters");
        return {params_.data() + param_offset_[s], slots_[s].parameter_size};
    }

    // ---- inputs ----
    // Binds `values` to an input leaf: `batch` samples, row-major, read (not copied) by forward().
    template <expression X>
    void bind(const X&, std::span<const T> values) {
        static_assert(X::feed == feed_kind::values, "typegrad: bind(input, values) needs an input or target leaf");
        const std::size_t s = first_slot_[leaf_position<X>()];
        feed_values_[s] = values.data();
        feed_sizes_[s] = values.size();
    }
    template <expression X>
    void bind(const X&, std::span<const std::int32_t> labels) {
        static_assert(X::feed == feed_kind::labels, "typegrad: bind(labels, ints) needs a tg::labels leaf");
        const std::size_t s = first_slot_[leaf_position<X>()];
        feed_labels_[s] = labels.data();
        feed_sizes_[s] = labels.size();
    }

    // Asks backward() to also compute the gradient with respect to an input.
    template <expression X>
    void track_gradient(const X&) {
        static_assert(X::feed == feed_kind::values, "typegrad: track_gradient() takes an input leaf");
        const std::size_t s = first_slot_[leaf_position<X>()];
        if (!wants_gradient_[s]) plan_valid_ = false;
        wants_gradient_[s] = true;
    }

    // ---- evaluation ----
    using base::forward;
    // forward() of only what the given nodes depend on, e.g. a classifier's logits: no targets or
    // labels need be bound (predictions, train/predict.hpp). Read them with value(); backward()
    // and loss() need a full forward(batch).
    template <expression Output, expression... More>
    void forward(std::size_t batch, const Output& output, const More&... more) {
        const std::array<std::size_t, 1 + sizeof...(More)> slots{slot_of(output), slot_of(more)...};
        this->forward_to(batch, slots);
    }

    // The first root's value after forward(): the loss of a training graph.
    T loss() const {
        static_assert(loss_node::shape::rank == 0 && !loss_node::batched, "typegrad: loss() needs the first root to be a scalar loss");
        if (this->partial_forward_)
            throw std::logic_error("typegrad: loss() needs a full forward(batch); forward(batch, outputs...) computed only what those outputs need");
        return value_[root_slots_[0]][0];
    }

    // Gradients of the first root (a scalar loss) with respect to every parameter, and to the inputs
    // asked for with track_gradient(). Gradients are overwritten, not accumulated across calls.
    void backward() {
        [[maybe_unused]] constexpr errors::require<loss_node::shape::rank == 0 && !loss_node::batched,
                                                   errors::backward_needs_a_scalar_loss<typename loss_node::shape>>
            check{};
        this->run_backward();
    }
    // backward(), calling on_ready(first) each time the gradients of parameters()[first ...] to the last
    // are final (first decreasing; the last call's is 0 if the graph has parameters): so that they can
    // be sent on while the rest of backward runs (data-parallel training).
    template <class OnReady>
    void backward(OnReady&& on_ready) {
        [[maybe_unused]] constexpr errors::require<loss_node::shape::rank == 0 && !loss_node::batched,
                                                   errors::backward_needs_a_scalar_loss<typename loss_node::shape>>
            check{};
        using F = std::remove_reference_t<OnReady>;
        this->run_backward({[](void* context, std::size_t first) { (*static_cast<F*>(context))(first); },
                            const_cast<void*>(static_cast<const void*>(&on_ready))});
    }

    // Value of any node of the graph after forward(), as [batch, shape...].
    template <expression X>
    tensor_view<const T, typename X::shape> value(const X& x) const {
        const std::size_t s = slot_of(x);
        if (overwritten_by_[s] != npos)
            throw std::logic_error("typegrad: value(): the " + std::string(X::op_type::kind) + " node's values were overwritten by the " +
                                   std::string(slots_[overwritten_by_[s]].kind) +
                                   " after it, which runs in place to save memory; call keep_intermediates() before forward() to read them");
        return {X::feed == feed_kind::values ? feed_values_[s] : value_[s], rows_of<X>(batch_)};
    }

    // Gradient of the loss with respect to an input (see track_gradient) or any computed node.
    template <expression X>
    tensor_view<const T, typename X::shape> gradient(const X& x) const {
        const std::size_t s = slot_of(x);
        if (!grad_[s]) throw std::logic_error("typegrad: gradient(): this node has no gradient (call track_gradient() for inputs)");
        if (gradient_reused_[s])
            throw std::logic_error("typegrad: gradient(): the " + std::string(X::op_type::kind) +
                                   " node's gradient is not kept after backward() (its memory is reused, or it ran in place); call "
                                   "keep_intermediates() before forward() to read it");
        return {grad_[s], rows_of<X>(batch_)};
    }

private:
    template <std::size_t R>
    const auto& root() const {
        return roots_[R].template get<meta::nth<R, meta::type_list<Roots...>>>();
    }

    template <class Op>
    static init_scheme init_of(const Op& op) {
        if constexpr (requires { op.init; })
            return op.init;
        else
            return init_scheme::glorot_uniform;
    }
    // The position of a leaf type; leaves are identified by type.
    template <class X>
    static constexpr std::size_t leaf_position() {
        static_assert(meta::contains<X, meta::set_of<order>>, "typegrad: this input is not part of the graph");
        if constexpr (meta::contains<X, meta::set_of<order>>)
            return meta::index_in<X, order>;
        else
            return npos;
    }
    // What identifies a node among the graph's: its type for a leaf, else its identity.
    template <class N>
    static node_id key_of(const N& n) {
        if constexpr (N::feed != feed_kind::none)
            return std::numeric_limits<node_id>::max() - meta::index_in<N, order>;
        else
            return n.id;
    }

    // The slot of a node, or npos.
    template <expression X>
    std::size_t find_slot(const X& x) const {
        if constexpr (!meta::contains<X, meta::set_of<order>>) {
            return npos;
        } else {
            constexpr std::size_t p = meta::index_in<X, order>;
            for (std::size_t s = first_slot_[p]; s < first_slot_[p + 1]; ++s)
                if (ids_[s] == key_of(x)) return s;
            return npos;
        }
    }
    template <expression X>
    std::size_t slot_of(const X& x) const {
        const std::size_t s = find_slot(x);
        if (s == npos) throw std::invalid_argument("typegrad: this " + std::string(X::op_type::kind) + " node is not part of the graph");
        return s;
    }

    // The distinct nodes of the roots, by identity (leaves by type), each a slot: slots are ordered
    // by position, and within a position by the order a walk from the roots meets them.
    std::vector<found_node> collect_nodes() {
        std::vector<found_node> nodes;
        std::unordered_map<node_id, std::size_t> found_at;
        std::unordered_set<node_id> seen;
        auto collect = [&]<class N>(const N& n) {
            const node_id key = key_of(n);
            if (found_at.contains(key)) return;  // a leaf met again as another object of its type
            found_node f{meta::index_in<N, order>, key, &n.op, {}, init_of(n.op), {}};
            if constexpr (tape::is_penalty<typename N::op_type>)
                f.find_penalised = [this, &n](std::size_t slot) { this->penalised_[slot] = penalised_blocks(n.op.source); };
            [&]<std::size_t... I>(std::index_sequence<I...>) {
                ((f.inputs[I] = key_of(n.template input<I>())), ...);
            }(std::make_index_sequence<N::arity>{});
            found_at.emplace(key, nodes.size());
            nodes.push_back(f);
        };
        [&]<std::size_t... R>(std::index_sequence<R...>) {
            (visit_dag(root<R>(), collect, seen), ...);
        }(std::index_sequence_for<Roots...>{});
        return nodes;
    }

    template <class Source>
    std::vector<std::pair<std::size_t, std::size_t>> penalised_blocks(const Source& source) const {
        std::vector<std::pair<std::size_t, std::size_t>> blocks;
        visit_dag(source, [&]<class Layer>(const Layer& layer) {
            constexpr auto layer_blocks = tape::blocks_of<Layer>;
            if constexpr (layer_blocks.size() > 0) {
                const std::size_t q = find_slot(layer);
                if (q == tape::npos)
                    throw std::invalid_argument("typegrad: weights_of(): layer " + std::string(Layer::op_type::kind) +
                                                " of the penalised expression is not part of this graph; add the expression to the graph");
                std::size_t offset = this->param_offset_[q];
                for (const param_block& block : layer_blocks) {
                    const bool seen = std::any_of(blocks.begin(), blocks.end(), [&](auto b) { return b.first == offset; });
                    if (block.is_weight && !seen) blocks.emplace_back(offset, block.size);
                    offset += block.size;
                }
            }
        });
        return blocks;
    }

    // The roots hold the whole DAG (each node holds its inputs), and the slots point into it: held
    // apart, so that moving the graph moves no node.
    std::array<detail::node_handle, sizeof...(Roots)> roots_;
};

// Compiles expressions into a graph computing in T; the first is the loss if the graph is trained.
template <class T, expression... Roots>
graph<T, Roots...> compile(Roots... roots) {
    return graph<T, Roots...>{std::move(roots)...};
}

}  // namespace typegrad
