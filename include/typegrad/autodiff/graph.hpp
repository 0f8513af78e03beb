#pragma once
// A compiled graph: the tape of one or more expressions, evaluated in type T.
//
// The tape is the post-order layout of the roots' expression trees (autodiff/positions.hpp), fixed at
// compile time: forward() walks it calling each operation's forward, backward() walks it in reverse
// calling each local backward rule; both are unrolled folds over the positions, with no virtual
// calls. A value used in several places is one node (same identity) and occupies one position, its
// "canonical" one; the other positions are skipped and read the canonical position's buffers.
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
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <ostream>
#include <span>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include <boost/hana/for_each.hpp>
#include <boost/hana/reverse.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>

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

namespace hana = boost::hana;

template <class T, class... Roots>
class graph {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "typegrad: a graph computes in float or double");
    static_assert(sizeof...(Roots) > 0, "typegrad: a graph needs at least one output");

    using layout = tape::flatten_roots<Roots...>;
    using positions = typename layout::type;
    using loss_node = std::tuple_element_t<0, std::tuple<Roots...>>;
    using position_info = tape::position_info;
    static constexpr std::size_t npos = tape::npos;
    static constexpr auto& info_ = tape::table<positions>::info;
    static constexpr auto& scratch_sizes_ = tape::table<positions>::template scratch_sizes<T>;

public:
    using value_type = T;
    static constexpr std::size_t position_count = positions::size;
    // Per sample, counting a reused sub-expression once per use (parameter_count() counts it once).
    static constexpr std::size_t flops = (std::size_t{0} + ... + Roots::flops);

    explicit graph(Roots... roots) : roots_{std::move(roots)...} {
        overwritten_by_.fill(npos);
        identify_nodes();
        assign_parameters();
        collect_penalised_weights();
        initialize(0);
    }

    // Not copyable: a copy's tables would point into the original's arena. Moving keeps them valid.
    graph(const graph&) = delete;
    graph& operator=(const graph&) = delete;
    graph(graph&&) noexcept = default;
    graph& operator=(graph&&) noexcept = default;

    // ---- parameters ----
    std::size_t parameter_count() const { return params_.size(); }
    std::span<T> parameters() { return params_; }
    std::span<const T> parameters() const { return params_; }
    std::span<T> gradients() { return param_grads_; }
    std::span<const T> gradients() const { return param_grads_; }

    // Parameters of one layer of the graph, in the order of its blocks (weight, then bias).
    template <expression X>
    std::span<T> parameters_of(const X& layer) {
        const std::size_t p = position_of(layer);
        if (param_offset_[p] == npos) throw std::invalid_argument("typegrad: parameters_of(): this node has no parameters");
        return {params_.data() + param_offset_[p], info_[p].parameter_size};
    }

    // Fills every parameter from `seed` with its layer's initialiser. Same seed, same bits.
    void initialize(std::uint64_t seed) {
        random_generator rng{seed};
        dropout_rng_.reseed(~seed);  // a stream of its own, so masks do not depend on the parameter count
        for (std::size_t p = 0; p < position_count; ++p) {
            if (canonical_[p] != p || !initialises_[p]) continue;
            std::size_t offset = param_offset_[p];
            for (const param_block& block : info_[p].blocks) {
                kernels::initialise(init_schemes_[p], block, rng, params_.data() + offset);
                offset += block.size;
            }
        }
    }

    // ---- inputs ----
    // Binds `values` to an input leaf: `batch` samples, row-major, read (not copied) by forward().
    template <expression X>
    void bind(const X&, std::span<const T> values) {
        static_assert(X::feed == feed_kind::values, "typegrad: bind(input, values) needs an input or target leaf");
        constexpr std::size_t p = leaf_position<X>();
        feed_values_[p] = values.data();
        feed_sizes_[p] = values.size();
    }
    template <expression X>
    void bind(const X&, std::span<const std::int32_t> labels) {
        static_assert(X::feed == feed_kind::labels, "typegrad: bind(labels, ints) needs a tg::labels leaf");
        constexpr std::size_t p = leaf_position<X>();
        feed_labels_[p] = labels.data();
        feed_sizes_[p] = labels.size();
    }

    // Asks backward() to also compute the gradient with respect to an input.
    template <expression X>
    void track_gradient(const X&) {
        static_assert(X::feed == feed_kind::values, "typegrad: track_gradient() takes an input leaf");
        constexpr std::size_t p = leaf_position<X>();
        if (!wants_gradient_[p]) plan_valid_ = false;
        wants_gradient_[p] = true;
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
    // rounding of differently blocked matrix products (1e-5 relative). With more than one thread,
    // OpenBLAS is set to one thread for the whole process, so that the two do not compete for cores.
    void set_threads(std::size_t n) {
        if (n == 0) throw std::invalid_argument("typegrad: set_threads(0): a graph computes on at least one thread");
        if (n == threads()) return;
        pool_.reset();
        if (n == 1) return;
        kernels::keep_blas_single_threaded();
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
        for_each_position([&]<class P>(P) {
            using N = typename P::node_type;
            if constexpr (N::feed == feed_kind::none) {
                if (canonical_[P::index] != P::index) return;
                call_forward(node_at<P>(), args_for(P::index));
            }
        });
    }

    // The first root's value after forward(): the loss of a training graph.
    T loss() const {
        static_assert(loss_node::shape::rank == 0 && !loss_node::batched, "typegrad: loss() needs the first root to be a scalar loss");
        return value_[canonical_[root_positions[0]]][0];
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
                const std::size_t p = zero_schedule_[next_zeroing].position;
                std::fill_n(grad_[p], value_count(p, batch_), T(0));
            }
        };
        zero_gradients_due(npos);
        grad_[canonical_[root_positions[0]]][0] = T(1);
        hana::for_each(hana::reverse(position_types()), [&](auto type) {
            using P = typename decltype(type)::type;
            using N = typename P::node_type;
            zero_gradients_due(P::index);
            if constexpr (N::feed == feed_kind::none) {
                if (canonical_[P::index] != P::index || !grad_[P::index]) return;
                call_backward(node_at<P>(), args_for(P::index));
            }
        });
    }

    // Value of any node of the graph after forward(), as [batch, shape...].
    template <expression X>
    tensor_view<const T, typename X::shape> value(const X& x) const {
        const std::size_t p = position_of(x);
        if (overwritten_by_[p] != npos)
            throw std::logic_error("typegrad: value(): the " + std::string(X::op_type::kind) + " node's values were overwritten by the " +
                                   std::string(info_[overwritten_by_[p]].kind) +
                                   " after it, which runs in place to save memory; call keep_intermediates() before forward() to read them");
        return {X::feed == feed_kind::values ? feed_values_[p] : value_[p], rows_of<X>(batch_)};
    }

    // Gradient of the loss with respect to an input (see track_gradient) or any computed node.
    template <expression X>
    tensor_view<const T, typename X::shape> gradient(const X& x) const {
        const std::size_t p = position_of(x);
        if (!grad_[p]) throw std::logic_error("typegrad: gradient(): this node has no gradient (call track_gradient() for inputs)");
        if (gradient_reused_[p])
            throw std::logic_error("typegrad: gradient(): the " + std::string(X::op_type::kind) +
                                   " node's gradient is not kept after backward() (its memory is reused, or it ran in place); call "
                                   "keep_intermediates() before forward() to read it");
        return {grad_[p], rows_of<X>(batch_)};
    }

    std::size_t batch() const { return batch_; }

    // Calls visit(layer, values) for every computed node's value after forward(), in tape order,
    // `layer` as summary() names it ("conv2d at #1", "dense 'enc' at #4"). Values an in-place
    // activation overwrote are visited as that activation's.
    template <class Visit>
    void for_each_value(Visit&& visit) const {
        for (std::size_t p = 0; p < position_count; ++p) {
            if (canonical_[p] != p || info_[p].feed != feed_kind::none || overwritten_by_[p] != npos || !value_[p]) continue;
            std::string layer{info_[p].kind};
            if (!info_[p].name.empty()) layer += " '" + std::string(info_[p].name) + "'";
            visit(layer + " at #" + std::to_string(p), std::span<const T>(value_[p], value_count(p, batch_)));
        }
    }

    // A table of the graph's layers, one row per node: position, operation, output shape, parameters.
    void summary(std::ostream& out) const;

    // Every parameter tensor with its name and PyTorch shape, in parameter order (autodiff/parameter_tensors.hpp).
    std::vector<parameter_tensor> parameter_tensors() const;

private:
    static constexpr auto root_positions = layout::root_positions;

    static constexpr auto position_types() {
        return []<class... P>(tape::type_list<P...>) { return hana::tuple_t<P...>; }(positions{});
    }
    template <class F>
    static void for_each_position(F&& f) {
        [&]<class... P>(tape::type_list<P...>) { (f(P{}), ...); }(positions{});
    }

    template <class P>
    auto& node_at() {
        return tape::at_path(roots_, typename P::path{});
    }
    template <class P>
    const auto& node_at() const {
        return tape::at_path(roots_, typename P::path{});
    }

    template <class Op>
    static init_scheme init_of(const Op& op) {
        if constexpr (requires { op.init; })
            return op.init;
        else
            return init_scheme::glorot_uniform;
    }
    // Position of the first occurrence of a leaf type; leaves are identified by type.
    template <class X>
    static constexpr std::size_t leaf_position() {
        constexpr std::size_t p = tape::first_position_of<X>(positions{});
        static_assert(p != npos, "typegrad: this input is not part of the graph");
        return p;
    }

    // The canonical position of a node, or npos. Leaves are found by type, other nodes by identity
    // among the positions of their type.
    template <expression X>
    std::size_t find_position(const X& x) const {
        if constexpr (X::feed != feed_kind::none) {
            return leaf_position<X>();
        } else {
            static constexpr auto same_type = []<class... P>(tape::type_list<P...>) {
                return std::array<bool, position_count>{std::is_same_v<typename P::node_type, X>...};
            }(positions{});
            for (std::size_t p = 0; p < position_count; ++p)
                if (same_type[p] && ids_[p] == x.id) return canonical_[p];
            return npos;
        }
    }
    template <expression X>
    std::size_t position_of(const X& x) const {
        const std::size_t p = find_position(x);
        if (p == npos)
            throw std::invalid_argument("typegrad: this " + std::string(X::op_type::kind) + " node is not part of the graph");
        return p;
    }

    // Node identities and run-time settings, read from the expression trees once.
    void identify_nodes() {
        for_each_position([&]<class P>(P) {
            const auto& n = node_at<P>();
            ids_[P::index] = n.id;
            init_schemes_[P::index] = init_of(n.op);
        });
        for (std::size_t p = 0; p < position_count; ++p) {
            canonical_[p] = info_[p].feed != feed_kind::none ? info_[p].leaf_position : p;
            if (info_[p].feed != feed_kind::none) continue;
            for (std::size_t q = 0; q < p; ++q)
                if (info_[q].feed == feed_kind::none && ids_[q] == ids_[p]) {
                    canonical_[p] = canonical_[q];
                    break;
                }
        }
    }

    // Parameter blocks: one per layer, or one per name for named layers.
    void assign_parameters() {
        struct named_block {
            std::string_view name;
            std::size_t offset;
            const position_info* info;
        };
        // Same operation and the same blocks (size, fan-in, fan-out): one layer's weights fit the other.
        auto same_layout = [](const position_info& a, const position_info& b) {
            return a.kind == b.kind && std::equal(a.blocks.begin(), a.blocks.end(), b.blocks.begin(), b.blocks.end(), [](const auto& x, const auto& y) {
                       return x.size == y.size && x.fan_in == y.fan_in && x.fan_out == y.fan_out;
                   });
        };
        std::vector<named_block> named;
        std::size_t total = 0;
        param_offset_.fill(npos);
        for (std::size_t p = 0; p < position_count; ++p) {
            const position_info& info = info_[p];
            if (info.parameter_size == 0 || canonical_[p] != p) continue;
            if (!info.name.empty()) {
                auto it = std::find_if(named.begin(), named.end(), [&](const named_block& b) { return b.name == info.name; });
                if (it != named.end()) {
                    if (!same_layout(*it->info, info))
                        throw std::invalid_argument("typegrad: layer '" + std::string(info.name) + "' is used as " + layout_text(*it->info) +
                                                    " and as " + layout_text(info) + "; shared weights need the same layer and input shape");
                    param_offset_[p] = it->offset;
                    continue;
                }
                named.push_back({info.name, total, &info});
            }
            param_offset_[p] = total;
            initialises_[p] = true;
            total += info.parameter_size;
        }
        params_.assign(total, T(0));
        param_grads_.assign(total, T(0));
    }

    void collect_penalised_weights() {
        for_each_position([&]<class P>(P) {
            using N = typename P::node_type;
            if constexpr (tape::is_penalty<typename N::op_type>) {
                auto& op = node_at<P>().op;
                op.blocks.clear();
                visit_tree(op.source, [&]<class Layer>(const Layer& layer) {
                    constexpr auto blocks = tape::blocks_of<Layer>;
                    if constexpr (blocks.size() > 0) {
                        const std::size_t q = find_position(layer);
                        if (q == npos)
                            throw std::invalid_argument("typegrad: weights_of(): layer " + std::string(Layer::op_type::kind) +
                                                        " of the penalised expression is not part of this graph; add the expression to the graph");
                        std::size_t offset = param_offset_[q];
                        for (const param_block& block : blocks) {
                            const bool seen = std::any_of(op.blocks.begin(), op.blocks.end(), [&](auto b) { return b.first == offset; });
                            if (block.is_weight && !seen) op.blocks.emplace_back(offset, block.size);
                            offset += block.size;
                        }
                    }
                });
            }
        });
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

    std::size_t value_count(std::size_t p, std::size_t batch) const { return (info_[p].batched ? batch : 1) * info_[p].size; }

    // Positions whose operation can take over its input's buffers (expr/op_args.hpp): the input is
    // computed, has no other user, is no output of the graph, and its backward does not read it.
    std::array<std::size_t, position_count> in_place_inputs() const {
        std::array<std::size_t, position_count> uses{}, input{};
        input.fill(npos);
        for (std::size_t p = 0; p < position_count; ++p)
            if (canonical_[p] == p && info_[p].feed == feed_kind::none)
                for (std::size_t k = 0; k < info_[p].arity; ++k) ++uses[canonical_[info_[p].inputs[k]]];
        for (std::size_t r : root_positions) ++uses[canonical_[r]];
        if (keep_intermediates_) return input;
        for (std::size_t p = 0; p < position_count; ++p) {
            const position_info& info = info_[p];
            if (canonical_[p] != p || !info.runs_in_place || info.arity != 1) continue;
            const std::size_t q = canonical_[info.inputs[0]];
            if (info_[q].feed == feed_kind::none && uses[q] == 1 && !info_[q].backward_reads_output && info_[q].batched == info.batched)
                input[p] = q;
        }
        return input;
    }

    // The arena: values of computed positions, then gradients (planned by liveness), then scratch.
    // Only positions with parameters below them, or tracked inputs, get a gradient. In-place
    // operations share their input's value and gradient.
    void plan() {
        std::array<bool, position_count> needs{};
        for (std::size_t p = 0; p < position_count; ++p) {
            if (canonical_[p] != p) continue;
            const position_info& info = info_[p];
            if (info.feed != feed_kind::none) {
                needs[p] = wants_gradient_[p];
                continue;
            }
            bool any = param_offset_[p] != npos || info.penalty;
            for (std::size_t i = 0; i < info.arity; ++i) any = any || needs[canonical_[info.inputs[i]]];
            needs[p] = any;
        }
        needs[canonical_[root_positions[0]]] = true;

        constexpr std::size_t align = 64 / sizeof(T);
        auto round_up = [](std::size_t n) { return (n + align - 1) / align * align; };
        std::size_t size = 0;
        std::array<std::size_t, position_count> value_at{}, grad_at{}, scratch_at{};
        value_at.fill(npos);
        grad_at.fill(npos);
        scratch_at.fill(npos);
        const auto runs_in_place_on = in_place_inputs();
        overwritten_by_.fill(npos);
        for (std::size_t p = 0; p < position_count; ++p) {
            if (canonical_[p] != p || info_[p].feed != feed_kind::none) continue;
            if (const std::size_t q = runs_in_place_on[p]; q != npos) {
                value_at[p] = value_at[q];
                overwritten_by_[q] = p;
            } else {
                value_at[p] = size;
                size += round_up(value_count(p, capacity_));
            }
        }
        std::array<std::size_t, position_count> shares{}, grad_sizes{};
        for (std::size_t p = 0; p < position_count; ++p) {
            const std::size_t q = runs_in_place_on[p];
            shares[p] = q != npos && needs[p] && needs[q] ? q : npos;
            grad_sizes[p] = needs[p] ? round_up(value_count(p, capacity_)) : 0;
        }
        const tape::gradient_plan gradients =
            tape::plan_gradients(info_, canonical_, needs, shares, grad_sizes, canonical_[root_positions[0]], keep_intermediates_);
        zero_schedule_.clear();
        for (std::size_t p = 0; p < position_count; ++p) {
            if (gradients.offset[p] != npos) grad_at[p] = size + gradients.offset[p];
            gradient_reused_[p] = gradients.reused[p];
            if (needs[p] && shares[p] == npos && gradients.zeroed[p]) zero_schedule_.push_back({gradients.zero_when[p], p});
            fresh_inputs_[p] = gradients.fresh_inputs[p];
        }
        std::ranges::sort(zero_schedule_, [](const auto& a, const auto& b) { return a.when > b.when; });  // backward's order; npos: first
        size += gradients.size;
        for (std::size_t p = 0; p < position_count; ++p) {
            const std::size_t s = canonical_[p] == p ? scratch_sizes_[p](capacity_) : 0;
            if (s > 0) {
                scratch_at[p] = size;
                size += round_up(s);
            }
        }
        arena_.assign(size, T(0));
        for (std::size_t p = 0; p < position_count; ++p) {
            value_[p] = value_at[p] == npos ? nullptr : arena_.data() + value_at[p];
            grad_[p] = grad_at[p] == npos ? nullptr : arena_.data() + grad_at[p];
            scratch_[p] = scratch_at[p] == npos ? nullptr : arena_.data() + scratch_at[p];
        }
        plan_valid_ = true;
    }

    void check_feeds() const {
        for (std::size_t p = 0; p < position_count; ++p) {
            const position_info& info = info_[p];
            if (info.feed == feed_kind::none || canonical_[p] != p) continue;
            const bool bound = info.feed == feed_kind::labels ? feed_labels_[p] != nullptr : feed_values_[p] != nullptr;
            const std::size_t needed = batch_ * info.size;
            if (bound && feed_sizes_[p] >= needed) continue;
            const std::string what = std::string(info.kind) + " '" + std::string(info.name) + "' of shape " + info.shape_text();
            if (!bound) throw std::logic_error("typegrad: " + what + " is not bound: call bind() before forward()");
            throw std::invalid_argument("typegrad: " + what + " is bound to " + std::to_string(feed_sizes_[p]) + " values; a batch of " +
                                        std::to_string(batch_) + " needs " + std::to_string(needed));
        }
    }

    // The arguments of position p's operation: its inputs', output's and parameters' memory.
    op_args<T> args_for(std::size_t p) {
        op_args<T> a;
        a.batch = batch_;
        for (std::size_t k = 0; k < info_[p].arity; ++k) set_input(a, k, canonical_[info_[p].inputs[k]]);
        a.out = value_[p];
        a.grad_out = grad_[p];
        a.grad_in_fresh = fresh_inputs_[p];
        if (param_offset_[p] != npos) {
            a.params = params_.data() + param_offset_[p];
            a.param_grads = param_grads_.data() + param_offset_[p];
        }
        a.scratch = scratch_[p];
        a.all_params = params_.data();
        a.all_param_grads = param_grads_.data();
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

    template <class Op, class... In>
    static void call_forward(const node<Op, In...>& n, const op_args<T>& a) {
        n.op.template forward<T, In...>(a);
    }
    template <class Op, class... In>
    static void call_backward(const node<Op, In...>& n, const op_args<T>& a) {
        n.op.template backward<T, In...>(a);
    }

    std::tuple<Roots...> roots_;
    std::array<node_id, position_count> ids_{};
    std::array<std::size_t, position_count> canonical_{};
    std::array<std::size_t, position_count> param_offset_{};
    std::array<bool, position_count> initialises_{};
    std::array<bool, position_count> wants_gradient_{};
    std::array<init_scheme, position_count> init_schemes_{};
    std::array<T*, position_count> value_{}, grad_{}, scratch_{};
    std::array<const T*, position_count> feed_values_{};
    std::array<const std::int32_t*, position_count> feed_labels_{};
    std::array<std::size_t, position_count> feed_sizes_{};
    std::array<std::size_t, position_count> overwritten_by_{};  // npos, or the in-place position that overwrote the value
    std::vector<T> params_, param_grads_, arena_;
    std::size_t capacity_ = 0, batch_ = 0;
    std::array<bool, position_count> gradient_reused_{};
    std::array<std::array<bool, 2>, position_count> fresh_inputs_{};
    struct zeroing {
        std::size_t when, position;  // before the backward of `when` (npos: before any), zero `position`'s gradient
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
