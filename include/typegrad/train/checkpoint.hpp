#pragma once
// Checkpoints: everything fit() needs to continue a run exactly where it stopped, in one safetensors
// file (written atomically). Tensors:
//   <parameter>                         the weights, named as in model files ("0.weight", ...)
//   optimizer.<kind>.<vector>.<param>   the optimiser's vectors per parameter tensor
//                                       (optimizer.adam.first.*, optimizer.adam.second.*, optimizer.sgd.momentum.*)
//   early_stopping.best.<parameter>     the best validation epoch's weights, when early stopping keeps them
//   shuffler.order                      the minibatch order of the current epoch, F64 [samples]
// and in __metadata__, as exact text: the format, the position (epoch, batches done in it, steps), the
// sums of the epoch under way, the optimiser's kind and step count, both random generators (shuffling
// and dropout masks), the base learning rate (a schedule is a function of the epoch), early
// stopping's best loss and count, the run's batch size, dataset size and shuffling, and the history.
// Loading checks all of it against the run before it changes anything: all or nothing.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <typegrad/train/checkpoint_file.hpp>
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

namespace detail {

inline std::string optimizer_prefix(const std::string& kind, const std::string& vector) { return "optimizer." + kind + "." + vector + "."; }
inline constexpr const char* best_prefix = "early_stopping.best.";

}  // namespace detail

template <class Graph, class Opt, class T, class Target, class V = typename Graph::value_type>
    requires checkpointable_optimizer<Opt, V>
void save_checkpoint(const std::string& path, const Graph& graph, const Opt& opt, const minibatches<T, Target>& batches, const fit_state<V>& state) {
    constexpr bool f64 = std::is_same_v<V, double>;
    const auto tensors = graph.parameter_tensors();
    std::vector<checkpoint_tensor> out;
    const auto add_all = [&](const std::string& prefix, const V* flat) {
        for (const auto& t : tensors) out.push_back({prefix + t.name, t.shape, f64, flat + t.offset});
    };
    add_all("", graph.parameters().data());
    const optimizer_state<V> optimiser = opt.state();
    const std::vector<V> zeros(optimiser.vectors.empty() ? 0 : graph.parameter_count(), V(0));  // before the first step: zeros act the same
    for (const auto& [name, values] : optimiser.vectors) add_all(detail::optimizer_prefix(optimiser.kind, name), values.empty() ? zeros.data() : values.data());
    if (!state.best_parameters.empty()) add_all(detail::best_prefix, state.best_parameters.data());
    const std::vector<double> order(batches.order().begin(), batches.order().end());
    out.push_back({"shuffler.order", {order.size()}, true, order.data()});

    const checkpoint_metadata metadata{
        {"position.epoch", checkpoint_text(state.epoch)},
        {"position.batch", checkpoint_text(state.batch)},
        {"position.steps", checkpoint_text(state.steps)},
        {"epoch.loss_sum", checkpoint_text(state.loss_sum)},
        {"epoch.seconds", checkpoint_text(state.seconds)},
        {"epoch.samples", checkpoint_text(state.samples)},
        {"epoch.correct", checkpoint_text(state.correct)},
        {"epoch.gradient_norm_sums", checkpoint_text(std::span<const double>(state.gradient_norm_sums))},
        {"early_stopping.best_loss", checkpoint_text(state.best_loss)},
        {"early_stopping.epochs_since_best", checkpoint_text(state.epochs_since_best)},
        {"early_stopping.best_weights", state.best_parameters.empty() ? "none" : "kept"},
        {"learning_rate.base", checkpoint_text(state.base_learning_rate)},
        {"run.batch_size", checkpoint_text(state.batch_size)},
        {"run.samples", checkpoint_text(batches.order().size())},
        {"run.shuffle", state.shuffle ? "true" : "false"},
        {"run.data_fingerprint", checkpoint_text(std::size_t(state.data_fingerprint))},
        {"optimizer", optimiser.kind},
        {"optimizer.steps", checkpoint_text(optimiser.steps)},
        {"shuffler.generator", checkpoint_text(batches.generator().state())},
        {"shuffler.position", checkpoint_text(batches.position())},
        {"dropout.generator", checkpoint_text(graph.dropout_generator().state())},
        {"history", checkpoint_text(std::span<const epoch_report>(state.history))},
    };
    write_checkpoint_file(path, out, metadata);
}

// Restores a run from `path`. `state` comes in as the run was set up (batch size, base learning rate,
// shuffling): a checkpoint of another run, network or optimiser is refused with every difference
// named, and nothing is changed.
template <class Graph, class Opt, class T, class Target, class V = typename Graph::value_type>
    requires checkpointable_optimizer<Opt, V>
void load_checkpoint(const std::string& path, Graph& graph, Opt& opt, minibatches<T, Target>& batches, fit_state<V>& state) {
    constexpr bool f64 = std::is_same_v<V, double>;
    checkpoint_reader file{path};
    const auto tensors = graph.parameter_tensors();
    file.expect_tensors(tensors, f64);

    optimizer_state<V> optimiser = opt.state();
    const std::string kind = file.text("optimizer");
    if (!kind.empty() && kind != optimiser.kind)
        file.differs("the optimiser is " + kind + ", this run's is " + optimiser.kind);
    else
        for (const auto& v : optimiser.vectors) file.expect_tensors(tensors, f64, detail::optimizer_prefix(optimiser.kind, v.first));
    optimiser.steps = file.count("optimizer.steps");

    fit_state<V> loaded = state;
    const std::string best = file.text("early_stopping.best_weights");
    if (best == "kept") file.expect_tensors(tensors, f64, detail::best_prefix);
    else if (!best.empty() && best != "none") file.differs("metadata \"early_stopping.best_weights\" is \"" + best + "\", not \"kept\" or \"none\"");
    const std::size_t samples = file.count("run.samples");
    if (samples != batches.order().size())
        file.differs("the run trained on " + std::to_string(samples) + " samples, this one has " + std::to_string(batches.order().size()));
    const std::vector<std::size_t> order = file.order("shuffler.order", batches.order().size());
    const std::size_t position = file.count("shuffler.position");
    const auto shuffler = file.generator("shuffler.generator");
    const auto dropout = file.generator("dropout.generator");

    const std::size_t batch_size = file.count("run.batch_size");
    if (batch_size != state.batch_size)
        file.differs("the batch size is " + std::to_string(batch_size) + ", this run's is " + std::to_string(state.batch_size));
    const std::size_t fingerprint = file.count("run.data_fingerprint");
    if (fingerprint != std::size_t(state.data_fingerprint))
        file.differs("the training data differ from the run's: same number of samples, other values or another order (fingerprint " +
                     std::to_string(fingerprint) + ", this run's " + std::to_string(state.data_fingerprint) + ")");
    const std::string shuffle = file.text("run.shuffle");
    if (shuffle != (state.shuffle ? "true" : "false")) file.differs("shuffling is " + shuffle + ", this run's is " + (state.shuffle ? "true" : "false"));
    const double rate = file.number("learning_rate.base");
    if (!(rate == state.base_learning_rate || (std::isnan(rate) && std::isnan(state.base_learning_rate))))
        file.differs("the base learning rate is " + checkpoint_text(rate) + ", this run's is " + checkpoint_text(state.base_learning_rate));

    loaded.epoch = file.count("position.epoch");
    loaded.batch = file.count("position.batch");
    loaded.steps = file.count("position.steps");
    loaded.loss_sum = file.number("epoch.loss_sum");
    loaded.seconds = file.number("epoch.seconds");
    loaded.samples = file.count("epoch.samples");
    loaded.correct = file.count("epoch.correct");
    loaded.gradient_norm_sums = file.numbers("epoch.gradient_norm_sums", tensors.size());
    loaded.best_loss = file.number("early_stopping.best_loss");
    loaded.epochs_since_best = file.count("early_stopping.epochs_since_best");
    loaded.history = file.history("history");
    if (loaded.epoch == 0) file.differs("metadata \"position.epoch\" is 0; epochs count from 1");
    if (loaded.batch > 0 && position != std::min(loaded.batch * state.batch_size, batches.order().size()))
        file.differs("metadata \"shuffler.position\" is " + std::to_string(position) + ", which is not where batch " + std::to_string(loaded.batch) +
                     " ends");
    if (position > batches.order().size()) file.differs("metadata \"shuffler.position\" is past the end of the order");
    file.finish();

    // All checked: from here on nothing fails, so the run is restored whole or not at all.
    for (const auto& t : tensors) file.copy(t.name, graph.parameters().data() + t.offset);
    for (auto& [name, values] : optimiser.vectors) {
        values.resize(graph.parameter_count());
        for (const auto& t : tensors) file.copy(detail::optimizer_prefix(optimiser.kind, name) + t.name, values.data() + t.offset);
    }
    opt.set_state(optimiser);
    loaded.best_parameters.clear();
    if (best == "kept") {
        loaded.best_parameters.resize(graph.parameter_count());
        for (const auto& t : tensors) file.copy(detail::best_prefix + t.name, loaded.best_parameters.data() + t.offset);
    }
    batches.restore(order, position, shuffler);
    graph.dropout_generator().set_state(dropout);
    state = std::move(loaded);
}

}  // namespace typegrad
