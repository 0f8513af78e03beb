#pragma once
// fit(): the usual training loop over minibatches of a data set in memory or streamed from a file,
// with an optional validation set (early stopping that keeps the best weights), a learning-rate
// schedule, gradient clipping, a per-epoch history with per-layer norms, checkpoints to resume from, a
// cooperative stop (signals) and a NaN/Inf guard.
// It only calls public steps (bind, forward, backward, step), so a user can write the same loop by hand.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <typegrad/expr/node.hpp>
#include <typegrad/train/batch_loader.hpp>
#include <typegrad/train/checkpoint.hpp>
#include <typegrad/train/communicator.hpp>
#include <typegrad/train/data_parallel.hpp>
#include <typegrad/train/dataset.hpp>
#include <typegrad/train/evaluation_pass.hpp>
#include <typegrad/train/gradient_clipping.hpp>
#include <typegrad/train/history.hpp>
#include <typegrad/train/minibatches.hpp>
#include <typegrad/train/numerical_health.hpp>
#include <typegrad/train/optimizer.hpp>
#include <typegrad/train/predictions.hpp>
#include <typegrad/train/stop_signals.hpp>

namespace typegrad {

// Where fit() is told no classifier output: accuracies are then not measured.
struct no_logits {};

struct fit_options {
    std::size_t epochs = 10;
    std::size_t batch_size = 32;
    std::uint64_t seed = 0;
    bool shuffle = true;
    // A schedule (train/learning_rate_schedule.hpp), the factor of an epoch's rate; empty: constant. With
    // either schedule the optimiser's own rate is the base, and is given back to it when fit() returns.
    std::function<double(std::size_t epoch)> learning_rate_factor{};
    // A schedule applied at every step instead, a factor of the run's progress: the share of its steps
    // done once the step is taken, in (0, 1] (train/learning_rate_schedule.hpp: warmup_linear_decay). For runs of
    // a few epochs, which an epoch-wise schedule leaves at one rate. The epoch's report gives its mean rate.
    std::function<double(double progress)> learning_rate_by_step{};
    double clip_norm = 0;       // clip the gradient's global norm to this; 0: no clipping
    double clip_value = 0;      // clamp each gradient value to [-clip_value, clip_value] (before clip_norm); 0: no clamping
    std::size_t patience = 0;   // with validation data: stop after this many epochs without a lower validation loss; 0: never
    bool restore_best = true;   // with validation data: end with the weights of the epoch of lowest validation loss
    std::function<void(const batch_report&)> on_batch{};
    std::function<void(const epoch_report&)> on_epoch{};  // called after each completed epoch
    // Stop at the first NaN or infinity in an activation (the first layer in tape order), a gradient
    // or a parameter, with a non_finite_error naming it and the step (train/numerical_health.hpp).
    // Costs a pass over the activations, the gradients and the parameters per step.
    bool check_finite = false;
    // Write a checkpoint (train/checkpoint.hpp) here after each epoch and when stopped; empty: none.
    // Weights that are not finite are never written: fit() throws a non_finite_error instead, and the
    // last checkpoint stays.
    std::string checkpoint{};
    // Continue the run saved in this checkpoint, at the step after the one it was written at; the rest
    // of the options must be those of the run that wrote it (batch size, shuffling, base learning rate).
    std::string resume{};
    // Read after each step: once true (set by a signal handler, train/stop_signals.hpp), fit() writes a
    // checkpoint where it stands, within the epoch if need be, and returns the history with the last
    // report marked interrupted. The weights are left as they are (early stopping's best are not restored).
    const std::atomic<bool>* stop = nullptr;
    // Batches a streamed or augmented source (train/hdf5_dataset.hpp, train/augmented.hpp) reads ahead
    // on a thread of its own, so that reading overlaps training; 0: read on the training thread. An
    // in-memory dataset is gathered on the training thread (a copy: cheaper than handing it over).
    std::size_t prefetch = 2;
    // Data-parallel training (train/communicator.hpp; parallel/mpi.hpp over MPI): the ranks that train
    // together, each on its share of every batch, batch_size being the whole batch's. Every rank must
    // call fit() alike. Rank 0 alone writes the checkpoint; every rank reads the one it resumes from.
    // Null: this process alone.
    communicator* ranks = nullptr;
    // Data-parallel: the gradients are summed in buckets of at least this many bytes, each sent as soon
    // as backward() has finished it, overlapping the rest of backward. The result does not depend on it.
    std::size_t bucket_bytes = std::size_t(1) << 20;
};

struct evaluation {
    double loss = 0;
    double accuracy = not_measured;
};

namespace detail {

// Samples of the graph's last forward whose predicted class is their label.
template <class Graph, class Logits>
std::size_t correct_predictions(Graph& graph, const Logits& logits, std::span<const std::int32_t> labels, std::size_t count) {
    std::size_t correct = 0;
    for_each_predicted_class(graph, logits, count, [&](std::size_t i, std::size_t predicted) { correct += predicted == static_cast<std::size_t>(labels[i]); });
    return correct;
}

}  // namespace detail

namespace detail {

template <class Graph, class Data, class Input, class TargetLeaf, class Logits>
evaluation evaluate(Graph& graph, const Data& data, const Input& input, const TargetLeaf& target, const Logits& logits, const evaluation_options& options) {
    constexpr bool classifier = !std::is_same_v<Logits, no_logits>;
    if constexpr (classifier) require_one_label_per_sample(data, "evaluate");
    double total = 0;
    std::size_t correct = 0;
    evaluation_pass(graph, data, input, target, options, "evaluate", [&](std::size_t, std::size_t count, auto targets) {
        total += double(graph.loss()) * double(count);
        if constexpr (classifier) correct += correct_predictions(graph, logits, targets, count);
    });
    if (options.ranks) {
        double sums[] = {total, double(correct)};
        options.ranks->sum(std::span<double>(sums));
        total = sums[0];
        correct = std::size_t(sums[1] + 0.5);
    }
    return {total / double(data.size()), classifier ? double(correct) / double(data.size()) : not_measured};
}

}  // namespace detail

// Mean loss, and accuracy when `logits` is given, over a data set (in memory or streamed) in order,
// in evaluation mode (no dropout; batch normalisation's running statistics).
template <class Graph, sample_source Data, class Input, class TargetLeaf, expression Logits>
evaluation evaluate(Graph& graph, const Data& data, const Input& input, const TargetLeaf& target, const Logits& logits,
                    const evaluation_options& options = {}) {
    return detail::evaluate(graph, data, input, target, logits, options);
}
template <class Graph, sample_source Data, class Input, class TargetLeaf>
evaluation evaluate(Graph& graph, const Data& data, const Input& input, const TargetLeaf& target, const evaluation_options& options = {}) {
    return detail::evaluate(graph, data, input, target, no_logits{}, options);
}

// A training set with the validation set fit() evaluates after each epoch (early stopping, the
// best weights kept): fit(graph, opt, with_validation(train, validation), input, target, ...).
// Either may be in memory or streamed.
template <sample_source Train, sample_source Validation>
struct validated_data {
    const Train& train;
    const Validation& validation;
};
template <sample_source Train, sample_source Validation>
validated_data<Train, Validation> with_validation(const Train& train, const Validation& validation) {
    return {train, validation};
}

namespace detail {

// The report of an epoch from its sums so far: norms are the mean of the steps' gradient norms and
// the weights' norms now.
template <class Graph, class V>
epoch_report report_of(const Graph& graph, const fit_state<V>& state, const std::vector<parameter_tensor>& tensors, bool classifier) {
    epoch_report report{.epoch = state.epoch, .batches = state.batch};
    report.loss = state.samples ? state.loss_sum / double(state.samples) : not_measured;
    if (classifier) report.accuracy = state.samples ? double(state.correct) / double(state.samples) : not_measured;
    for (std::size_t i = 0; i < tensors.size(); ++i)
        report.norms.push_back({tensors[i].name, gradient_norm(std::span<const V>(graph.parameters().subspan(tensors[i].offset, tensors[i].size))),
                                state.batch ? state.gradient_norm_sums[i] / double(state.batch) : not_measured});
    return report;
}

template <sample_source Data>
const Data& training_set(const Data& data) {
    return data;
}
template <class Train, class Validation>
const Train& training_set(const validated_data<Train, Validation>& data) {
    return data.train;
}
// None: a null pointer to a type that can be evaluated (an augmented training source cannot).
template <sample_source Data>
const dataset<typename Data::value_type, typename Data::target_type>* validation_set(const Data&) {
    return nullptr;
}
template <class Train, class Validation>
const Validation* validation_set(const validated_data<Train, Validation>& data) {
    return &data.validation;
}

// fit()'s loop, with `validation` null when there is none and `logits` no_logits{} when not a classifier.
template <class Graph, class Opt, class Data, class Validation, class Input, class TargetLeaf, class Logits>
std::vector<epoch_report> train(Graph& graph, Opt& opt, const Data& data, const Validation* validation, const Input& input, const TargetLeaf& target,
                                const Logits& logits, const fit_options& options) {
    using V = typename Graph::value_type;
    constexpr bool classifier = !std::is_same_v<Logits, no_logits>;
    constexpr bool has_rate = requires { opt.set_learning_rate(1.0); opt.options().learning_rate; };
    constexpr bool checkpointable = checkpointable_optimizer<Opt, V>;
    if constexpr (classifier) require_one_label_per_sample(data, "fit");
    if ((options.learning_rate_factor || options.learning_rate_by_step) && !has_rate)
        throw std::invalid_argument("typegrad: fit: a learning-rate schedule needs an optimiser with set_learning_rate()");
    if (options.learning_rate_factor && options.learning_rate_by_step)
        throw std::invalid_argument("typegrad: fit: give learning_rate_factor (per epoch) or learning_rate_by_step (per step), not both");
    if (options.clip_norm < 0) throw std::invalid_argument("typegrad: fit: clip_norm must not be negative");
    if (options.clip_value < 0) throw std::invalid_argument("typegrad: fit: clip_value must not be negative");
    if (!checkpointable && (!options.checkpoint.empty() || !options.resume.empty()))
        throw std::invalid_argument("typegrad: fit: checkpoints need an optimiser with state() and set_state() (train/optimizer.hpp)");
    const input_binding<Input> binding{data, input, "fit"};
    require_targets_of(data, target, "fit");
    if (validation) {
        const input_binding<Input> validation_binding{*validation, input, "fit (validation set)"};
        require_targets_of(*validation, target, "fit (validation set)");
    }

    communicator* ranks = options.ranks && options.ranks->size() > 1 ? options.ranks : nullptr;
    if (ranks) start_together(*ranks, graph, "fit");
    minibatches<Data> batches{data, options.batch_size, options.seed, options.shuffle, options.prefetch, ranks ? ranks->rank() : 0, ranks ? ranks->size() : 1};
    const unbind_at_exit<Graph> unbinding{graph};  // the leaves point into `batches`
    graph.reserve(options.batch_size);
    step_figures figures{ranks ? ranks->size() : 1};
    std::optional<gradient_exchange<V>> exchange;
    if (ranks) exchange.emplace(*ranks, graph.gradient_ready_points(), graph.gradients().size(), std::max<std::size_t>(options.bucket_bytes / sizeof(V), 1));
    std::optional<non_finite_error> first_non_finite;  // met in this rank's activations, to be told to every rank
    const std::vector<parameter_tensor> tensors = graph.parameter_tensors();
    fit_state<V> state;
    state.batch_size = options.batch_size;
    state.shuffle = options.shuffle;
    state.gradient_norm_sums.assign(tensors.size(), 0.0);
    if constexpr (has_rate) state.base_learning_rate = opt.options().learning_rate;
    // A schedule sets the optimiser's rate for this run only: the optimiser gets its base rate back
    // however fit() ends, so that a later run does not start at the schedule's last (perhaps 0) rate.
    const auto restore_rate = [&] {
        if constexpr (has_rate)
            if (options.learning_rate_factor || options.learning_rate_by_step) opt.set_learning_rate(state.base_learning_rate);
    };
    struct at_exit {
        const decltype(restore_rate)& restore;
        ~at_exit() { restore(); }
    } const restoring_rate{restore_rate};
    if (!options.checkpoint.empty() || !options.resume.empty())
        state.data_fingerprint = fingerprint_of(data);
    if constexpr (checkpointable)
        if (!options.resume.empty()) on_this_rank(ranks, [&] { load_checkpoint(options.resume, graph, opt, batches, state); });
    const std::string kept = options.checkpoint.empty() ? "" : "; the checkpoint file " + options.checkpoint + " was not overwritten";
    const auto save = [&] {
        if constexpr (checkpointable) {
            if (options.checkpoint.empty()) return;
            // Never replace a good checkpoint with weights that cannot be trained on.
            const detail::check_point at = state.batch == 0 ? detail::check_point{state.epoch - 1, 0, kept} : detail::check_point{state.epoch, state.batch, kept};
            detail::require_finite(std::span<const V>(graph.parameters()), tensors, "parameter", at);
            if (!ranks) return save_checkpoint(options.checkpoint, graph, opt, batches, state);
            // Rank 0 writes; the others wait for it (a run resumed next reads the whole file) and learn
            // of a failure, which stops every rank alike.
            std::string failure;
            std::exception_ptr error;
            if (ranks->rank() == 0) {
                try {
                    save_checkpoint(options.checkpoint, graph, opt, batches, state);
                } catch (const std::exception& e) {
                    failure = e.what();
                    error = std::current_exception();
                }
            }
            failure = ranks->broadcast(failure, 0);
            if (error) std::rethrow_exception(error);
            if (!failure.empty()) throw std::runtime_error(failure + " (rank 0 writes the checkpoints)");
        }
    };
    // A stop asked for on any rank stops them all (at the step's exchange of figures).
    const auto stop_requested = [&] { return options.stop && options.stop->load(); };
    // This rank's reason to stop, as the ranks exchange it: its signal, or 1 for a stop without one.
    const auto stop_reason = [&] { return stop_requested() ? std::max(stop_signal(), 1) : 0; };
    // Agrees on a stop from the figures exchanged; a rank stopped by another's signal notes that signal.
    const auto agree_stop = [&] {
        const int reason = figures.stop();
        if (reason > 1) detail::note_stop_signal(reason);
        return reason != 0;
    };
    bool stop_agreed = false;
    evaluation_options validation_options{.batch_size = options.batch_size, .prefetch = options.prefetch, .ranks = ranks};

    while (state.epoch <= options.epochs) {
        if (validation && options.patience > 0 && state.epochs_since_best >= options.patience) break;  // early stopping (checked here for a resumed run)
        const auto start = std::chrono::steady_clock::now();
        if (state.batch == 0) {
            state.start_epoch();
            batches.start_epoch();
        }
        const double seconds_before = state.seconds;  // of this epoch, before the checkpoint it resumed from
        const auto seconds = [&] { return seconds_before + std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
        double learning_rate = not_measured;
        if constexpr (has_rate) {
            if (options.learning_rate_factor) opt.set_learning_rate(state.base_learning_rate * options.learning_rate_factor(state.epoch));
            learning_rate = opt.options().learning_rate;
        }
        double rate_sum = 0;  // of the steps taken in this run of the loop, for a schedule by step
        const std::size_t batch_before = state.batch;
        while (on_this_rank(ranks, [&] { return batches.next(); })) {
            const detail::check_point at{state.epoch, state.batch + 1, kept};
            const std::size_t share = batches.size(), batch_samples = batches.batch_size();
            double share_loss = 0;
            std::size_t share_correct = 0;
            if (ranks) {  // dropout draws the whole batch's masks, keeping its share's rows
                const auto part = share_of(batch_samples, ranks->rank(), ranks->size());
                graph.set_batch_part(part.first, batch_samples - part.first - part.count);
            }
            if (share > 0) {
                on_this_rank(ranks, [&] {
                    binding.bind(graph, batches.features(), [&](std::size_t k) { return batches.other_input(k); });
                    graph.bind(target, batches.targets());
                    graph.forward(share);
                    try {
                        if (options.check_finite)
                            graph.for_each_value([&](const std::string& layer, std::span<const V> values) { detail::require_finite(values, layer, "activation", at); });
                    } catch (const non_finite_error& e) {
                        if (!ranks) throw;
                        first_non_finite = e;  // told to every rank at the step's exchange
                    }
                    if (ranks) {
                        // The shares' gradients weighted by their part of the batch, summed: the batch's gradient.
                        exchange->start_step(graph.gradients(), V(double(share) / double(batch_samples)));
                        graph.backward([&](std::size_t first) { exchange->ready(first); });
                    } else {
                        graph.backward();
                    }
                    share_loss = double(graph.loss()) * double(share);
                    if constexpr (classifier) share_correct = detail::correct_predictions(graph, logits, batches.targets(), share);
                });
            }
            if (ranks) {
                if (share == 0) {  // an empty share adds nothing, in the same buckets as the others'
                    std::fill(graph.gradients().begin(), graph.gradients().end(), V(0));
                    exchange->start_step(graph.gradients(), V(1));
                }
                exchange->finish();
                figures.set(ranks->rank(), share_loss, share_correct, stop_reason());
                if (first_non_finite) figures.set_non_finite(ranks->rank());
                figures.sum(*ranks);
                share_loss = figures.loss_sum();
                share_correct = figures.correct();
                stop_agreed = agree_stop();
                if (const std::size_t k = figures.non_finite_rank(); k < ranks->size()) rethrow_non_finite(*ranks, k, first_non_finite ? &*first_non_finite : nullptr, at);
                // A rank with an empty share drew no masks: it takes those of the last rank, whose share never is.
                if (batch_samples < ranks->size()) share_generator(*ranks, graph.dropout_generator(), ranks->size() - 1);
            }
            for (std::size_t i = 0; i < tensors.size(); ++i)
                state.gradient_norm_sums[i] += gradient_norm(std::span<const V>(graph.gradients().subspan(tensors[i].offset, tensors[i].size)));
            if (options.check_finite) detail::require_finite(std::span<const V>(graph.gradients()), tensors, "gradient", at);
            if (options.clip_value > 0) clip_gradient_value(graph.gradients(), options.clip_value);
            if (options.clip_norm > 0) clip_gradient_norm(graph.gradients(), options.clip_norm);
            if constexpr (has_rate)
                if (options.learning_rate_by_step) {
                    const double steps = double(options.epochs) * double(batches.batches_per_epoch());
                    const double done = double(state.epoch - 1) * double(batches.batches_per_epoch()) + double(state.batch + 1);
                    opt.set_learning_rate(state.base_learning_rate * options.learning_rate_by_step(done / steps));
                    rate_sum += opt.options().learning_rate;
                    learning_rate = rate_sum / double(state.batch + 1 - batch_before);
                }
            step(opt, graph);
            if (ranks) average_state(*ranks, graph.state());
            if (options.check_finite) detail::require_finite(std::span<const V>(graph.parameters()), tensors, "parameter", at);
            ++state.batch;
            ++state.steps;
            state.loss_sum += share_loss;
            state.samples += batch_samples;
            state.correct += share_correct;
            if (options.on_batch)
                on_this_rank(ranks, [&] { options.on_batch({state.epoch, state.batch, batches.batches_per_epoch(), state.samples, state.loss_sum / double(state.samples),
                                  classifier ? double(state.correct) / double(state.samples) : not_measured, seconds()}); });
            if (!ranks) stop_agreed = stop_requested();  // alone, a stop asked for during this step (by on_batch too) stops after it
            if (stop_agreed) {
                state.seconds = seconds();
                save();
                std::vector<epoch_report> history = state.history;
                history.push_back(detail::report_of(graph, state, tensors, classifier));
                history.back().learning_rate = learning_rate;
                history.back().seconds = state.seconds;
                history.back().interrupted = true;
                return history;
            }
        }
        epoch_report report = detail::report_of(graph, state, tensors, classifier);
        report.learning_rate = learning_rate;
        if (validation) {
            const evaluation v = detail::evaluate(graph, *validation, input, target, logits, validation_options);
            report.validation_loss = v.loss;
            report.validation_accuracy = v.accuracy;
            if (v.loss < state.best_loss) {
                state.best_loss = v.loss;
                state.epochs_since_best = 0;
                report.best = true;
                if (options.restore_best) {
                    state.best_parameters.assign(graph.parameters().begin(), graph.parameters().end());
                    state.best_state.assign(graph.state().begin(), graph.state().end());
                }
            } else {
                ++state.epochs_since_best;
            }
        }
        report.seconds = seconds();
        state.history.push_back(report);
        if (options.on_epoch) on_this_rank(ranks, [&] { options.on_epoch(state.history.back()); });
        ++state.epoch;
        state.start_epoch();
        save();
        const bool finished = state.epoch > options.epochs || (validation && options.patience > 0 && state.epochs_since_best >= options.patience);
        if (ranks && !finished) {  // a stop asked for since the last step, agreed by all
            figures.set(ranks->rank(), 0, 0, stop_reason());
            figures.sum(*ranks);
            stop_agreed = agree_stop();
        } else {
            stop_agreed = stop_requested();
        }
        if (!finished && stop_agreed) {
            std::vector<epoch_report> history = state.history;
            history.back().interrupted = true;
            return history;
        }
    }
    if (!state.best_parameters.empty()) {
        std::copy(state.best_parameters.begin(), state.best_parameters.end(), graph.parameters().begin());
        std::copy(state.best_state.begin(), state.best_state.end(), graph.state().begin());
    }
    return state.history;
}

}  // namespace detail

// What fit() trains on: a data set (in memory or streamed), or with_validation(train, validation).
template <class Data>
concept training_data = requires(const Data& data) { *detail::validation_set(data); };

// Trains on `data` (with a validation set, evaluated after each epoch for early stopping).
// `logits`, if given, is the classifier's output node, for training and validation accuracy.
// Returns the history of the run: with fit_options::resume, the epochs before the checkpoint too.
template <class Graph, class Opt, training_data Data, class Input, class TargetLeaf, expression Logits>
std::vector<epoch_report> fit(Graph& graph, Opt& opt, const Data& data, const Input& input, const TargetLeaf& target, const Logits& logits,
                              const fit_options& options) {
    return detail::train(graph, opt, detail::training_set(data), detail::validation_set(data), input, target, logits, options);
}
template <class Graph, class Opt, training_data Data, class Input, class TargetLeaf>
std::vector<epoch_report> fit(Graph& graph, Opt& opt, const Data& data, const Input& input, const TargetLeaf& target, const fit_options& options) {
    return detail::train(graph, opt, detail::training_set(data), detail::validation_set(data), input, target, no_logits{}, options);
}

}  // namespace typegrad
