#pragma once
// The run-time half of a compiled graph: its slots, parameters, arena and the loops of forward() and
// backward(), the same code for every network. graph<T, Roots...> (autodiff/graph.hpp) adds what
// depends on the network's type (walking its DAG, binding leaves by type, typed views) and hands this
// part tables fixed at compile time. Compiled once, in the library (src/autodiff/tape_runtime.cpp),
// rather than in every program for every network type: a user's model compiles faster.
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <typegrad/autodiff/gradient_plan.hpp>
#include <typegrad/autodiff/position_table.hpp>
#include <typegrad/expr/node.hpp>
#include <typegrad/expr/op_args.hpp>
#include <typegrad/expr/parameters.hpp>
#include <typegrad/kernels/parallel.hpp>
#include <typegrad/kernels/random.hpp>

namespace typegrad {

// A distinct node met walking the roots: what the tape needs of it.
struct found_node {
    std::size_t position;  // of its type in the tape
    node_id key;           // its identity (a leaf's: its type)
    const void* op;        // its operation's settings, inside the DAG
    std::array<node_id, 2> inputs;
    init_scheme init;
    std::function<void(std::size_t slot)> find_penalised;  // a weight penalty's: finds its blocks
};

// Per position of the tape, the functions its operation runs with (null for leaves).
template <class T>
struct step_tables {
    std::span<const tape::step_function<T>> forward, backward;
    std::span<std::size_t (*const)(std::size_t)> scratch_size;
};

template <class T>
class tape_runtime {
public:
    using value_type = T;

    tape_runtime(tape_runtime&&) noexcept = default;
    tape_runtime& operator=(tape_runtime&&) noexcept = default;

    // ---- structure ----
    // The distinct nodes of the graph (leaves included): the rows of summary().
    std::size_t node_count() const { return slots_.size(); }
    std::size_t flops_per_sample() const {
        std::size_t total = 0;
        for (const tape::position_info& info : slots_) total += info.own_flops;
        return total;
    }
    // A table of the graph's layers, one row per node: position, operation, output shape, parameters.
    void summary(std::ostream& out) const;

    // ---- parameters ----
    std::size_t parameter_count() const { return params_.size(); }
    std::span<T> parameters() { return params_; }
    std::span<const T> parameters() const { return params_; }
    std::span<T> gradients() { return param_grads_; }
    // Where backward() tells the gradients final from (graph::backward(on_ready)), in the order it does.
    std::vector<std::size_t> gradient_ready_points() const {
        std::vector<std::size_t> points;
        for (std::size_t s = slots_.size(); s-- > 0;)
            if (initialises_[s] && slots_[s].parameter_size > 0) points.push_back(param_offset_[s]);
        return points;
    }
    std::span<const T> gradients() const { return param_grads_; }
    // State that forward() updates and training does not (a batch normalisation's running statistics),
    // in the order of the layers' state blocks.
    std::span<T> state() { return state_; }
    std::span<const T> state() const { return state_; }
    // Every parameter tensor with its name and PyTorch shape, in parameter order. A named layer is
    // called by its name; any other by its index among the graph's operations in tape order, which
    // for a chain from one input is its index in the equivalent torch.nn.Sequential.
    std::vector<parameter_tensor> parameter_tensors() const;
    // The same for the state tensors ("3.running_mean"), offsets into state().
    std::vector<parameter_tensor> state_tensors() const;

    // Copies another graph's parameters and state, tensor by tensor, matched by name: an inference
    // graph of a trained network (compiled from its output alone) takes the trained weights. Throws,
    // copying nothing, if `source` lacks one of this graph's tensors or holds it with another shape.
    void copy_parameters_from(const tape_runtime& source);

    // Fills every parameter from `seed` with its layer's initialiser, and the state with its starting
    // values. Same seed, same bits.
    void initialize(std::uint64_t seed);

    // ---- mode ----
    // Training (the default) or evaluation: dropout acts only in training, batch normalisation uses
    // its running statistics in evaluation.
    void set_training(bool training) { training_ = training; }
    bool training() const { return training_; }
    // The generator of dropout masks: checkpoints (train/checkpoint.hpp) save and restore its state.
    random_generator& dropout_generator() { return dropout_rng_; }
    const random_generator& dropout_generator() const { return dropout_rng_; }
    // The rows forward() computes are a part of a larger batch, with `before` rows before them and
    // `after` after (a data-parallel rank's share): dropout skips those rows' draws, so that every row
    // gets the mask one process computing the whole batch would draw for it. (0, 0): the whole batch.
    void set_batch_part(std::size_t before, std::size_t after) {
        rows_before_ = before;
        rows_after_ = after;
    }

    // ---- threads ----
    // Splits each step's work over `n` threads (the caller and n - 1 workers kept by the graph).
    // One thread is exact and deterministic; more give the same losses and gradients up to the
    // rounding of differently blocked matrix products (1e-5 relative). typegrad owns the threading of
    // its products: a graph sets OpenBLAS to one thread for the whole process when it is built, so
    // that OpenBLAS's threads neither compete with the graph's for the cores nor change the bits of
    // a one-thread run.
    void set_threads(std::size_t n);
    std::size_t threads() const { return pool_ ? pool_->size() : 1; }

    // ---- memory ----
    // Plans the arena for steps of up to `capacity` samples. The only allocation of a training loop.
    void reserve(std::size_t capacity);
    std::size_t capacity() const { return capacity_; }
    std::size_t arena_size() const { return arena_.size(); }
    // Keeps every node's value and gradient readable after a step (value(), gradient()), at the cost
    // of the memory that in-place activations save.
    void keep_intermediates(bool keep = true) {
        if (keep != keep_intermediates_) plan_valid_ = false;
        keep_intermediates_ = keep;
    }

    // ---- evaluation ----
    void forward(std::size_t batch);
    // Forgets every leaf's binding (forward() then refuses until bind() is called again) and the batch
    // part (set_batch_part). fit() and the evaluation functions end with it, so that no binding outlives
    // the memory it points into.
    void unbind_all();
    // forward() of only the nodes the given slots depend on (graph::forward(batch, outputs...)):
    // leaves they do not need (targets, labels) need not be bound. backward() and loss() then refuse.
    void forward_to(std::size_t batch, std::span<const std::size_t> output_slots);
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

protected:
    using position_info = tape::position_info;
    static constexpr std::size_t npos = tape::npos;

    tape_runtime(std::span<const position_info> info, const step_tables<T>& steps);
    // Orders the nodes into slots (by position, then in the order they were met), lays out the
    // parameters (one block per layer, or per name) and initialises them from seed 0.
    void lay_out(std::vector<found_node> nodes, std::span<const node_id> root_keys);
    // Told, during backward(), each time the parameters' gradients from `first` to the last are final:
    // call(context, first), first decreasing (a layer's block is final once its first use is done).
    struct gradients_ready {
        void (*call)(void* context, std::size_t first) = nullptr;
        void* context = nullptr;
    };
    // backward() without its compile-time check of the loss.
    void run_backward(gradients_ready ready = {});

    std::size_t value_count(std::size_t s, std::size_t batch) const { return (slots_[s].batched ? batch : 1) * slots_[s].size; }

    std::span<const position_info> info_;  // per position of the tape
    step_tables<T> steps_;
    std::vector<std::size_t> root_slots_;
    std::vector<position_info> slots_;     // the table's row of each slot's position, its inputs as slots
    std::vector<std::size_t> first_slot_;  // per position, its first slot; the last entry is the slot count
    std::vector<const void*> ops_;         // each slot's operation (its settings), inside the DAG the graph holds
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
    std::vector<T> params_, param_grads_, state_, arena_;
    std::size_t capacity_ = 0, batch_ = 0;
    std::vector<bool> gradient_reused_;
    std::vector<std::array<bool, 2>> fresh_inputs_;
    struct zeroing {
        std::size_t when, slot;  // before the backward of `when` (npos: before any), zero `slot`'s gradient
    };
    std::vector<zeroing> zero_schedule_;
    bool plan_valid_ = false;
    // forward_to(): the outputs it was last asked for, the slots those need, and whether the last
    // forward was such a partial one.
    std::vector<std::size_t> partial_outputs_;
    std::vector<char> partial_runs_;
    bool partial_forward_ = false;
    bool keep_intermediates_ = false;
    bool training_ = true;
    random_generator dropout_rng_;
    std::size_t rows_before_ = 0, rows_after_ = 0;
    std::unique_ptr<kernels::thread_pool> pool_;  // null on one thread

private:
    template <class Add>
    void for_each_owning_layer(Add&& add) const;
    // The named tensors of every layer's blocks (blocks_of(info): its parameter or state blocks),
    // laid out from `offsets`.
    template <class BlocksOf>
    std::vector<parameter_tensor> tensors_of(const std::vector<std::size_t>& offsets, BlocksOf blocks_of) const;
    void assign_parameters();
    // "dense with blocks 4x5, 4": how a layer's parameters are laid out, for messages.
    static std::string layout_text(const position_info& info);
    // Slots whose operation can take over its input's buffers (expr/op_args.hpp): the input is
    // computed, has no other user, is no output of the graph, and its backward does not read it.
    std::vector<std::size_t> in_place_inputs() const;
    // The arena: values of computed slots, then gradients (planned by liveness), then scratch.
    // Only slots with parameters below them, or tracked inputs, get a gradient. In-place
    // operations share their input's value and gradient.
    void plan();
    // Throws unless every leaf that `runs` marks (every leaf, when empty) is bound to a whole batch.
    void check_feeds(std::span<const char> runs = {}) const;
    // The arguments of slot s's operation: its inputs', output's and parameters' memory.
    op_args<T> args_for(std::size_t s);
    void set_input(op_args<T>& a, std::size_t k, std::size_t q) const;
};

extern template class tape_runtime<float>;
extern template class tape_runtime<double>;

}  // namespace typegrad
