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
class graph {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "typegrad: a graph computes in float or double");
    static_assert(sizeof...(Roots) > 0, "typegrad: a graph needs at least one output");

    using layout = tape::layout<Roots...>;
    using order = typename layout::order;
    using positions = typename layout::type;
    using loss_node = meta::nth<0, meta::type_list<Roots...>>;
    using position_info = tape::position_info;
    static constexpr std::size_t npos = tape::npos;
    static constexpr auto& info_ = tape::table<positions>::info;
    static constexpr auto& scratch_sizes_ = tape::table<positions>::template scratch_sizes<T>;
    static constexpr auto& forward_steps_ = tape::table<positions>::template forward_steps<T>;
    static constexpr auto& backward_steps_ = tape::table<positions>::template backward_steps<T>;

public:
    using value_type = T;
    // Distinct node types: the tape's positions.
    static constexpr std::size_t position_count = positions::size;
    // Per sample, over the distinct node types (flops_per_sample() counts every node).
    static constexpr std::size_t flops = [] {
        std::size_t total = 0;
        for (const position_info& info : info_) total += info.own_flops;
        return total;
    }();

    explicit graph(Roots... roots) : roots_{detail::node_handle::hold(std::move(roots))...} {
        kernels::keep_blas_single_threaded();  // see set_threads()
        collect_slots();
        assign_parameters();
        collect_penalised_weights();
        initialize(0);
    }

    // Not copyable: a copy's tables would point into the original's arena. Moving keeps them valid.
    graph(const graph&) = delete;
    graph& operator=(const graph&) = delete;
    graph(graph&&) noexcept = default;
    graph& operator=(graph&&) noexcept = default;

    // ---- structure ----
    // The distinct nodes of the graph (leaves included): the rows of summary().
    std::size_t node_count() const { return slots_.size(); }
    std::size_t flops_per_sample() const {
        std::size_t total = 0;
        for (const position_info& info : slots_) total += info.own_flops;
        return total;
    }

    // ---- parameters ----
    std::size_t parameter_count() const { return params_.size(); }
    std::span<T> parameters() { return params_; }
    std::span<const T> parameters() const { return params_; }
    std::span<T> gradients() { return param_grads_; }
    std::span<const T> gradients() const { return param_grads_; }

    // Parameters of one layer of the graph, in the order of its blocks (weight, then bias).
    template <expression X>
    std::span<T> parameters_of(const X& layer) {
        const std::size_t s = slot_of(layer);
        if (param_offset_[s] == npos) throw std::invalid_argument("typegrad: parameters_of(): this node has no parameters");
        return {params_.data() + param_offset_[s], slots_[s].parameter_size};
    }

    // State that forward() updates and training does not (a batch normalisation's running statistics),
    // in the order of the layers' state blocks.
    std::span<T> state() { return state_; }
    std::span<const T> state() const { return state_; }

    // Fills every parameter from `seed` with its layer's initialiser, and the state with its starting
    // values. Same seed, same bits.
    void initialize(std::uint64_t seed) {
        random_generator rng{seed};
        dropout_rng_.reseed(~seed);  // a stream of its own, so masks do not depend on the parameter count
        for (std::size_t s = 0; s < slots_.size(); ++s) {
            if (!initialises_[s]) continue;
            std::size_t offset = param_offset_[s];
            for (const param_block& block : slots_[s].blocks) {
                kernels::initialise(init_schemes_[s], block, rng, params_.data() + offset);
                offset += block.size;
            }
            std::size_t state_offset = state_offset_[s];
            for (const state_block& block : slots_[s].state_blocks) {
                std::fill_n(state_.data() + state_offset, block.size, static_cast<T>(block.initial));
                state_offset += block.size;
            }
        }
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

    // ---- mode ----
    // Training (the default) or evaluation: dropout acts only in training.
    void set_training(bool training) { training_ = training; }
    bool training() const { return training_; }
    // The generator of dropout masks: checkpoints (train/checkpoint.hpp) save and restore its state.
    random_generator& dropout_generator() { return dropout_rng_; }
    const random_generator& dropout_generator() const { return dropout_rng_; }

    // ---- threads ----
    // Splits each step's work over `n` threads (the caller and n - 1 workers kept by the graph).
    // One thread is exact and deterministic; more give the same losses and gradients up to the
    // rounding of differently blocked matrix products (1e-5 relative). typegrad owns the threading of
    // its products: a graph sets OpenBLAS to one thread for the whole process when it is built, so
    // that OpenBLAS's threads neither compete with the graph's for the cores nor change the bits of
    // a one-thread run.
    void set_threads(std::size_t n) {
        if (n == 0) throw std::invalid_argument("typegrad: set_threads(0): a graph computes on at least one thread");
        if (n == threads()) return;
        pool_.reset();
        if (n == 1) return;
        pool_ = std::make_unique<kernels::thread_pool>(n);
    }
    std::size_t threads() const { return pool_ ? pool_->size() : 1; }

    // ---- memory ----
    // Plans the arena for steps of up to `capacity` samples. The only allocation of a training loop.
    void reserve(std::size_t capacity) {
        if (capacity == 0) throw std::invalid_argument("typegrad: reserve(0): a batch holds at least one sample");
        capacity_ = capacity;
        plan();
    }
    std::size_t capacity() const { return capacity_; }
    std::size_t arena_size() const { return arena_.size(); }

    // Keeps every node's value and gradient readable after a step (value(), gradient()), at the cost
    // of the memory that in-place activations save.
    void keep_intermediates(bool keep = true) {
        if (keep != keep_intermediates_) plan_valid_ = false;
        keep_intermediates_ = keep;
    }

    // ---- evaluation ----
    void forward(std::size_t batch) {
        if (batch == 0) throw std::invalid_argument("typegrad: forward(0): a batch holds at least one sample");
        if (!plan_valid_ || batch > capacity_) reserve(std::max(batch, capacity_));
        batch_ = batch;
        check_feeds();
        for (std::size_t s = 0; s < slots_.size(); ++s)
            if (const auto step = forward_steps_[slot_position_[s]]) step(ops_[s], args_for(s));
    }

    // The first root's value after forward(): the loss of a training graph.
    T loss() const {
        static_assert(loss_node::shape::rank == 0 && !loss_node::batched, "typegrad: loss() needs the first root to be a scalar loss");
        return value_[root_slots_[0]][0];
    }

    // Gradients of the first root (a scalar loss) with respect to every parameter, and to the inputs
    // asked for with track_gradient(). Gradients are overwritten, not accumulated across calls.
    void backward() {
        [[maybe_unused]] constexpr errors::require<loss_node::shape::rank == 0 && !loss_node::batched,
                                                   errors::backward_needs_a_scalar_loss<typename loss_node::shape>>
            check{};
        if (batch_ == 0) throw std::logic_error("typegrad: backward() needs a forward() first");
        std::fill(param_grads_.begin(), param_grads_.end(), T(0));
        std::size_t next_zeroing = 0;
        auto zero_gradients_due = [&](std::size_t when) {
            for (; next_zeroing < zero_schedule_.size() && zero_schedule_[next_zeroing].when == when; ++next_zeroing) {
                const std::size_t s = zero_schedule_[next_zeroing].slot;
                std::fill_n(grad_[s], value_count(s, batch_), T(0));
            }
        };
        zero_gradients_due(npos);
        grad_[root_slots_[0]][0] = T(1);
        for (std::size_t s = slots_.size(); s-- > 0;) {
            zero_gradients_due(s);
            if (const auto step = backward_steps_[slot_position_[s]]; step && grad_[s]) step(ops_[s], args_for(s));
        }
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

    std::size_t batch() const { return batch_; }

    // Calls visit(layer, values) for every computed node's value after forward(), in tape order,
    // `layer` as summary() names it ("conv2d at #1", "dense 'enc' at #4"). Values an in-place
    // activation overwrote are visited as that activation's.
    template <class Visit>
    void for_each_value(Visit&& visit) const {
        for (std::size_t s = 0; s < slots_.size(); ++s) {
            if (slots_[s].feed != feed_kind::none || overwritten_by_[s] != npos || !value_[s]) continue;
            std::string layer{slots_[s].kind};
            if (!slots_[s].name.empty()) layer += " '" + std::string(slots_[s].name) + "'";
            visit(layer + " at #" + std::to_string(s), std::span<const T>(value_[s], value_count(s, batch_)));
        }
    }

    // A table of the graph's layers, one row per node: position, operation, output shape, parameters.
    void summary(std::ostream& out) const;

    // Every parameter tensor with its name and PyTorch shape, in parameter order (autodiff/parameter_tensors.hpp).
    std::vector<parameter_tensor> parameter_tensors() const;
    // The same for the state tensors ("3.running_mean"), offsets into state().
    std::vector<parameter_tensor> state_tensors() const;

private:
    template <class Add>
    void for_each_owning_layer(Add&& add) const;

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
    void collect_slots() {
        struct found {
            std::size_t position;
            node_id key;
            const void* op;
            std::array<node_id, 2> inputs;
            init_scheme init;
            std::function<void(std::size_t slot)> find_penalised;  // a weight penalty's: finds its blocks
        };
        std::vector<found> nodes;
        std::unordered_map<node_id, std::size_t> found_at;
        std::unordered_set<node_id> seen;
        auto collect = [&]<class N>(const N& n) {
            const node_id key = key_of(n);
            if (found_at.contains(key)) return;  // a leaf met again as another object of its type
            found f{meta::index_in<N, order>, key, &n.op, {}, init_of(n.op), {}};
            if constexpr (tape::is_penalty<typename N::op_type>)
                f.find_penalised = [this, &n](std::size_t slot) { penalised_[slot] = penalised_blocks(n.op.source); };
            [&]<std::size_t... I>(std::index_sequence<I...>) {
                ((f.inputs[I] = key_of(n.template input<I>())), ...);
            }(std::make_index_sequence<N::arity>{});
            found_at.emplace(key, nodes.size());
            nodes.push_back(f);
        };
        [&]<std::size_t... R>(std::index_sequence<R...>) {
            (visit_dag(root<R>(), collect, seen), ...);
        }(std::index_sequence_for<Roots...>{});
        std::ranges::stable_sort(nodes, {}, &found::position);

        const std::size_t n = nodes.size();
        std::unordered_map<node_id, std::size_t> slot_of_key;
        first_slot_.assign(position_count + 1, 0);
        for (std::size_t s = 0; s < n; ++s) {
            slot_of_key.emplace(nodes[s].key, s);
            ++first_slot_[nodes[s].position + 1];
        }
        for (std::size_t p = 0; p < position_count; ++p) first_slot_[p + 1] += first_slot_[p];
        slots_.resize(n);
        ops_.resize(n);
        slot_position_.resize(n);
        ids_.resize(n);
        init_schemes_.resize(n);
        for (std::size_t s = 0; s < n; ++s) {
            slots_[s] = info_[nodes[s].position];
            for (std::size_t k = 0; k < slots_[s].arity; ++k) slots_[s].inputs[k] = slot_of_key.at(nodes[s].inputs[k]);
            ops_[s] = nodes[s].op;
            slot_position_[s] = nodes[s].position;
            ids_[s] = nodes[s].key;
            init_schemes_[s] = nodes[s].init;
        }
        [&]<std::size_t... R>(std::index_sequence<R...>) {
            ((root_slots_[R] = slot_of_key.at(key_of(root<R>()))), ...);
        }(std::index_sequence_for<Roots...>{});
        param_offset_.assign(n, npos);
        state_offset_.assign(n, npos);
        initialises_.assign(n, false);
        wants_gradient_.assign(n, false);
        value_.assign(n, nullptr);
        grad_.assign(n, nullptr);
        scratch_.assign(n, nullptr);
        feed_values_.assign(n, nullptr);
        feed_labels_.assign(n, nullptr);
        feed_sizes_.assign(n, 0);
        overwritten_by_.assign(n, npos);
        gradient_reused_.assign(n, false);
        fresh_inputs_.assign(n, {false, false});
        penalised_.resize(n);
        for (std::size_t s = 0; s < n; ++s)
            if (nodes[s].find_penalised) find_penalised_.emplace_back(s, std::move(nodes[s].find_penalised));
    }

    // Parameter blocks: one per layer, or one per name for named layers.
    void assign_parameters() {
        struct named_block {
            std::string_view name;
            std::size_t slot;  // of its first use
            const position_info* info;
        };
        // Same operation and the same blocks (size, fan-in, fan-out): one layer's weights fit the other.
        auto same_layout = [](const position_info& a, const position_info& b) {
            return a.kind == b.kind && a.state_size == b.state_size &&
                   std::equal(a.blocks.begin(), a.blocks.end(), b.blocks.begin(), b.blocks.end(), [](const auto& x, const auto& y) {
                       return x.size == y.size && x.fan_in == y.fan_in && x.fan_out == y.fan_out;
                   });
        };
        std::vector<named_block> named;
        std::size_t total = 0, state_total = 0;
        for (std::size_t s = 0; s < slots_.size(); ++s) {
            const position_info& info = slots_[s];
            if (info.parameter_size == 0 && info.state_size == 0) continue;
            if (!info.name.empty()) {
                auto it = std::find_if(named.begin(), named.end(), [&](const named_block& b) { return b.name == info.name; });
                if (it != named.end()) {
                    if (!same_layout(*it->info, info))
                        throw std::invalid_argument("typegrad: layer '" + std::string(info.name) + "' is used as " + layout_text(*it->info) +
                                                    " and as " + layout_text(info) + "; shared weights need the same layer and input shape");
                    param_offset_[s] = param_offset_[it->slot];
                    state_offset_[s] = state_offset_[it->slot];
                    continue;
                }
                named.push_back({info.name, s, &info});
            }
            if (info.parameter_size > 0) param_offset_[s] = total;
            if (info.state_size > 0) state_offset_[s] = state_total;
            initialises_[s] = true;
            total += info.parameter_size;
            state_total += info.state_size;
        }
        params_.assign(total, T(0));
        param_grads_.assign(total, T(0));
        state_.assign(state_total, T(0));
    }

    // The weight blocks each penalty acts on: those of every layer of its expression, once each.
    void collect_penalised_weights() {
        for (auto& [slot, find] : find_penalised_) find(slot);
    }
    template <class Source>
    std::vector<std::pair<std::size_t, std::size_t>> penalised_blocks(const Source& source) const {
        std::vector<std::pair<std::size_t, std::size_t>> blocks;
        visit_dag(source, [&]<class Layer>(const Layer& layer) {
            constexpr auto layer_blocks = tape::blocks_of<Layer>;
            if constexpr (layer_blocks.size() > 0) {
                const std::size_t q = find_slot(layer);
                if (q == npos)
                    throw std::invalid_argument("typegrad: weights_of(): layer " + std::string(Layer::op_type::kind) +
                                                " of the penalised expression is not part of this graph; add the expression to the graph");
                std::size_t offset = param_offset_[q];
                for (const param_block& block : layer_blocks) {
                    const bool seen = std::any_of(blocks.begin(), blocks.end(), [&](auto b) { return b.first == offset; });
                    if (block.is_weight && !seen) blocks.emplace_back(offset, block.size);
                    offset += block.size;
                }
            }
        });
        return blocks;
    }

    // "dense with blocks 4x5, 4": how a layer's parameters are laid out, for messages.
    // (Appends piece by piece: g++ 12 -O3 warns falsely (-Wrestrict) on chains of string +.)
    static std::string layout_text(const position_info& info) {
        std::string text{info.kind};
        text += " with parameters";
        for (const param_block& b : info.blocks) {
            text += ' ';
            text += b.name;
            text += ' ';
            if (b.is_weight) {
                text += std::to_string(b.fan_out);
                text += 'x';
                text += std::to_string(b.fan_in);
            } else {
                text += std::to_string(b.size);
            }
        }
        return text;
    }

    std::size_t value_count(std::size_t s, std::size_t batch) const { return (slots_[s].batched ? batch : 1) * slots_[s].size; }

    // Slots whose operation can take over its input's buffers (expr/op_args.hpp): the input is
    // computed, has no other user, is no output of the graph, and its backward does not read it.
    std::vector<std::size_t> in_place_inputs() const {
        const std::size_t n = slots_.size();
        std::vector<std::size_t> uses(n, 0), input(n, npos);
        for (std::size_t s = 0; s < n; ++s)
            if (slots_[s].feed == feed_kind::none)
                for (std::size_t k = 0; k < slots_[s].arity; ++k) ++uses[slots_[s].inputs[k]];
        for (std::size_t r : root_slots_) ++uses[r];
        if (keep_intermediates_) return input;
        for (std::size_t s = 0; s < n; ++s) {
            const position_info& info = slots_[s];
            if (!info.runs_in_place || info.arity != 1) continue;
            const std::size_t q = info.inputs[0];
            if (slots_[q].feed == feed_kind::none && uses[q] == 1 && !slots_[q].backward_reads_output && slots_[q].batched == info.batched)
                input[s] = q;
        }
        return input;
    }

    // The arena: values of computed slots, then gradients (planned by liveness), then scratch.
    // Only slots with parameters below them, or tracked inputs, get a gradient. In-place
    // operations share their input's value and gradient.
    void plan() {
        const std::size_t n = slots_.size();
        std::vector<bool> needs(n, false);
        for (std::size_t s = 0; s < n; ++s) {
            const position_info& info = slots_[s];
            if (info.feed != feed_kind::none) {
                needs[s] = wants_gradient_[s];
                continue;
            }
            bool any = param_offset_[s] != npos || info.penalty;
            for (std::size_t i = 0; i < info.arity; ++i) any = any || needs[info.inputs[i]];
            needs[s] = any;
        }
        needs[root_slots_[0]] = true;

        constexpr std::size_t align = 64 / sizeof(T);
        auto round_up = [](std::size_t count) { return (count + align - 1) / align * align; };
        std::size_t size = 0;
        std::vector<std::size_t> value_at(n, npos), grad_at(n, npos), scratch_at(n, npos);
        const std::vector<std::size_t> runs_in_place_on = in_place_inputs();
        std::fill(overwritten_by_.begin(), overwritten_by_.end(), npos);
        for (std::size_t s = 0; s < n; ++s) {
            if (slots_[s].feed != feed_kind::none) continue;
            if (const std::size_t q = runs_in_place_on[s]; q != npos) {
                value_at[s] = value_at[q];
                overwritten_by_[q] = s;
            } else {
                value_at[s] = size;
                size += round_up(value_count(s, capacity_));
            }
        }
        std::vector<std::size_t> shares(n, npos), grad_sizes(n, 0);
        for (std::size_t s = 0; s < n; ++s) {
            const std::size_t q = runs_in_place_on[s];
            shares[s] = q != npos && needs[s] && needs[q] ? q : npos;
            grad_sizes[s] = needs[s] ? round_up(value_count(s, capacity_)) : 0;
        }
        const tape::gradient_plan gradients = tape::plan_gradients(slots_, needs, shares, grad_sizes, root_slots_[0], keep_intermediates_);
        zero_schedule_.clear();
        for (std::size_t s = 0; s < n; ++s) {
            if (gradients.offset[s] != npos) grad_at[s] = size + gradients.offset[s];
            gradient_reused_[s] = gradients.reused[s];
            if (needs[s] && shares[s] == npos && gradients.zeroed[s]) zero_schedule_.push_back({gradients.zero_when[s], s});
            fresh_inputs_[s] = gradients.fresh_inputs[s];
        }
        std::ranges::sort(zero_schedule_, [](const auto& a, const auto& b) { return a.when > b.when; });  // backward's order; npos: first
        size += gradients.size;
        for (std::size_t s = 0; s < n; ++s) {
            const std::size_t bytes = scratch_sizes_[slot_position_[s]](capacity_);
            if (bytes > 0) {
                scratch_at[s] = size;
                size += round_up(bytes);
            }
        }
        arena_.assign(size, T(0));
        for (std::size_t s = 0; s < n; ++s) {
            value_[s] = value_at[s] == npos ? nullptr : arena_.data() + value_at[s];
            grad_[s] = grad_at[s] == npos ? nullptr : arena_.data() + grad_at[s];
            scratch_[s] = scratch_at[s] == npos ? nullptr : arena_.data() + scratch_at[s];
        }
        plan_valid_ = true;
    }

    void check_feeds() const {
        for (std::size_t s = 0; s < slots_.size(); ++s) {
            const position_info& info = slots_[s];
            if (info.feed == feed_kind::none) continue;
            const bool bound = info.feed == feed_kind::labels ? feed_labels_[s] != nullptr : feed_values_[s] != nullptr;
            const std::size_t needed = batch_ * info.size;
            if (bound && feed_sizes_[s] >= needed) continue;
            const std::string what = std::string(info.kind) + " '" + std::string(info.name) + "' of shape " + info.shape_text();
            if (!bound) throw std::logic_error("typegrad: " + what + " is not bound: call bind() before forward()");
            throw std::invalid_argument("typegrad: " + what + " is bound to " + std::to_string(feed_sizes_[s]) + " values; a batch of " +
                                        std::to_string(batch_) + " needs " + std::to_string(needed));
        }
    }

    // The arguments of slot s's operation: its inputs', output's and parameters' memory.
    op_args<T> args_for(std::size_t s) {
        op_args<T> a;
        a.batch = batch_;
        for (std::size_t k = 0; k < slots_[s].arity; ++k) set_input(a, k, slots_[s].inputs[k]);
        a.out = value_[s];
        a.grad_out = grad_[s];
        a.grad_in_fresh = fresh_inputs_[s];
        if (param_offset_[s] != npos) {
            a.params = params_.data() + param_offset_[s];
            a.param_grads = param_grads_.data() + param_offset_[s];
        }
        if (state_offset_[s] != npos) a.state = state_.data() + state_offset_[s];
        a.scratch = scratch_[s];
        a.all_params = params_.data();
        a.all_param_grads = param_grads_.data();
        a.penalised = penalised_[s];
        a.training = training_;
        a.rng = &dropout_rng_;
        a.pool = pool_.get();
        return a;
    }
    void set_input(op_args<T>& a, std::size_t k, std::size_t q) const {
        a.in[k] = feed_values_[q] ? feed_values_[q] : value_[q];
        a.labels[k] = feed_labels_[q];
        a.grad_in[k] = grad_[q];
    }

    // The roots hold the whole DAG (each node holds its inputs), and the slots point into it: held
    // apart, so that moving the graph moves no node.
    std::array<detail::node_handle, sizeof...(Roots)> roots_;
    std::array<std::size_t, sizeof...(Roots)> root_slots_{};
    std::vector<position_info> slots_;   // the table's row of each slot's position, its inputs as slots
    std::vector<std::size_t> first_slot_;  // per position, its first slot; the last entry is the slot count
    std::vector<const void*> ops_;         // each slot's operation (its settings), inside the DAG the roots hold
    std::vector<std::size_t> slot_position_;
    std::vector<node_id> ids_;
    std::vector<std::size_t> param_offset_, state_offset_;
    std::vector<bool> initialises_;
    std::vector<bool> wants_gradient_;
    std::vector<init_scheme> init_schemes_;
    std::vector<T*> value_, grad_, scratch_;
    std::vector<const T*> feed_values_;
    std::vector<const std::int32_t*> feed_labels_;
    std::vector<std::size_t> feed_sizes_;
    std::vector<std::size_t> overwritten_by_;  // npos, or the in-place slot that overwrote the value
    std::vector<std::vector<std::pair<std::size_t, std::size_t>>> penalised_;  // a penalty's weight blocks (offset, size)
    std::vector<std::pair<std::size_t, std::function<void(std::size_t)>>> find_penalised_;
    std::vector<T> params_, param_grads_, state_, arena_;
    std::size_t capacity_ = 0, batch_ = 0;
    std::vector<bool> gradient_reused_;
    std::vector<std::array<bool, 2>> fresh_inputs_;
    struct zeroing {
        std::size_t when, slot;  // before the backward of `when` (npos: before any), zero `slot`'s gradient
    };
    std::vector<zeroing> zero_schedule_;
    bool plan_valid_ = false;
    bool keep_intermediates_ = false;
    bool training_ = true;
    random_generator dropout_rng_;
    std::unique_ptr<kernels::thread_pool> pool_;  // null on one thread
};

// Compiles expressions into a graph computing in T; the first is the loss if the graph is trained.
template <class T, expression... Roots>
graph<T, Roots...> compile(Roots... roots) {
    return graph<T, Roots...>{std::move(roots)...};
}

}  // namespace typegrad
