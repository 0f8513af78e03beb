#pragma once
// Checkpoints: everything fit() needs to continue a run exactly where it stopped, in one safetensors
// file (written atomically). Tensors:
//   <parameter>                         the weights, named as in model files ("0.weight", ...)
//   <state>                             the layers' state ("1.running_mean", ...), in the weights' dtype
//   optimizer.<kind>.<vector>.<param>   the optimiser's vectors per parameter tensor
//                                       (optimizer.adam.first.*, optimizer.adam.second.*, optimizer.sgd.momentum.*)
//   early_stopping.best.<parameter>     the best validation epoch's weights (and state), when early stopping keeps them
//   shuffler.order                      the minibatch order of the current epoch, F64 [samples]
// and in __metadata__, as exact text: the format, the position (epoch, batches done in it, steps), the
// sums of the epoch under way, the optimiser's kind and step count, both random generators (shuffling
// and dropout masks), the base learning rate (a schedule is a function of the epoch), early
// stopping's best loss and count, the run's batch size, dataset size and shuffling, and the history.
// Loading checks all of it against the run before it changes anything: all or nothing.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include <typegrad/expr/parameters.hpp>
#include <typegrad/kernels/random.hpp>
#include <typegrad/train/history.hpp>
#include <typegrad/train/minibatches.hpp>
#include <typegrad/train/optimizer.hpp>

namespace typegrad {

// Where a run stands between two steps, besides the weights, the optimiser and the shuffler.
template <class T>
struct fit_state {
    std::size_t epoch = 1;  // the epoch under way, or next to start
    std::size_t batch = 0;  // its batches done; 0: it has not started (its order is not drawn yet)
    std::size_t steps = 0;  // of the whole run
    // The epoch under way so far.
    double loss_sum = 0, seconds = 0;
    std::size_t samples = 0, correct = 0;
    std::vector<double> gradient_norm_sums;  // per parameter tensor
    // Early stopping.
    double best_loss = std::numeric_limits<double>::infinity();
    std::size_t epochs_since_best = 0;
    std::vector<T> best_parameters;  // empty unless kept
    std::vector<T> best_state;       // the layers' state at that epoch (running statistics), kept with them
    // The run.
    double base_learning_rate = not_measured;
    std::size_t batch_size = 0;
    bool shuffle = true;
    std::uint64_t data_fingerprint = 0;  // checkpoint_fingerprint of the training data
    std::vector<epoch_report> history;   // completed epochs

    void start_epoch() {
        batch = 0;
        loss_sum = seconds = 0;
        samples = correct = 0;
        std::fill(gradient_norm_sums.begin(), gradient_norm_sums.end(), 0.0);
    }
};

// What a checkpoint holds of the graph, the optimiser and the shuffler, copied out of them (or to be
// copied into them): the part of the writing and checking that does not depend on their types is
// compiled once (src/train/checkpoint.cpp), for float and double.
template <class T>
struct run_parts {
    std::vector<parameter_tensor> tensors;
    std::vector<T> parameters;
    std::vector<parameter_tensor> state_tensors;
    std::vector<T> state;
    optimizer_state<T> optimiser;
    std::vector<std::size_t> order;  // the shuffler's
    std::size_t position = 0;        // in `order`
    random_generator::state_type shuffler{}, dropout{};
};

// A 64-bit hash of the training data (features, then targets), to refuse resuming on other data.
std::uint64_t checkpoint_fingerprint(std::span<const std::byte> features, std::span<const std::byte> targets);

namespace detail {
// What checkpoints record of the training data, to refuse resuming on other data: an in-memory
// dataset's bytes, or what a streamed source gives for itself.
template <class Data>
std::uint64_t fingerprint_of(const Data& data) {
    if constexpr (requires { data.fingerprint(); }) {
        return data.fingerprint();
    } else {
        std::uint64_t hash = checkpoint_fingerprint(std::as_bytes(std::span(data.features)), std::as_bytes(std::span(data.targets)));
        for (const auto& other : data.other_inputs) {  // each other input's name and values, chained
            const std::uint64_t values = checkpoint_fingerprint(std::as_bytes(std::span(other.name)), std::as_bytes(std::span(other.values)));
            const std::uint64_t chained[2] = {hash, values};
            hash = checkpoint_fingerprint(std::as_bytes(std::span(chained)), {});
        }
        return hash;
    }
}
}  // namespace detail

// A generator's state as the checkpoint's metadata holds it: its four words in hex, then its spare
// normal deviate or "-".
std::string checkpoint_text(const random_generator::state_type& generator);

// Writes atomically (io::write_safetensors): the previous checkpoint at `path` stays whole until the
// new one replaces it.
template <class T>
void write_checkpoint(const std::string& path, const run_parts<T>& run, const fit_state<T>& state);

// Reads `path` and checks it against `run` and `state` as the run was set up (tensor names, dtypes
// and shapes; the optimiser's kind and vectors; the dataset's size and fingerprint; the batch size,
// shuffling and base learning rate). Any difference throws one io::io_error naming the file and each
// difference, and changes nothing; else both are replaced by the checkpoint's.
template <class T>
void read_checkpoint(const std::string& path, run_parts<T>& run, fit_state<T>& state);

extern template void write_checkpoint<float>(const std::string&, const run_parts<float>&, const fit_state<float>&);
extern template void write_checkpoint<double>(const std::string&, const run_parts<double>&, const fit_state<double>&);
extern template void read_checkpoint<float>(const std::string&, run_parts<float>&, fit_state<float>&);
extern template void read_checkpoint<double>(const std::string&, run_parts<double>&, fit_state<double>&);

template <class Graph, class Opt, class Data, class V = typename Graph::value_type>
    requires checkpointable_optimizer<Opt, V>
void save_checkpoint(const std::string& path, const Graph& graph, const Opt& opt, const minibatches<Data>& batches, const fit_state<V>& state) {
    const run_parts<V> run{graph.parameter_tensors(),
                           {graph.parameters().begin(), graph.parameters().end()},
                           graph.state_tensors(),
                           {graph.state().begin(), graph.state().end()},
                           opt.state(),
                           {batches.order().begin(), batches.order().end()},
                           batches.position(),
                           batches.generator().state(),
                           graph.dropout_generator().state()};
    write_checkpoint(path, run, state);
}

// Restores a run from `path`, all of it or (with an io::io_error naming every difference) nothing.
template <class Graph, class Opt, class Data, class V = typename Graph::value_type>
    requires checkpointable_optimizer<Opt, V>
void load_checkpoint(const std::string& path, Graph& graph, Opt& opt, minibatches<Data>& batches, fit_state<V>& state) {
    run_parts<V> run{graph.parameter_tensors(), std::vector<V>(graph.parameter_count()), graph.state_tensors(), std::vector<V>(graph.state().size()),
                     opt.state(), std::vector<std::size_t>(batches.order().size()), 0, {}, {}};
    read_checkpoint(path, run, state);
    std::copy(run.parameters.begin(), run.parameters.end(), graph.parameters().begin());
    std::copy(run.state.begin(), run.state.end(), graph.state().begin());
    opt.set_state(run.optimiser);
    batches.restore(run.order, run.position, run.shuffler);
    graph.dropout_generator().set_state(run.dropout);
}

}  // namespace typegrad
