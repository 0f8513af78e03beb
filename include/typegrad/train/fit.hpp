#pragma once
// fit(): the usual training loop over minibatches, with an optional validation set (early stopping
// that keeps the best weights), a learning-rate schedule, gradient clipping, and a per-epoch history.
// It only calls public steps (bind, forward, backward, step), so a user can write the same loop by hand.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <typegrad/train/dataset.hpp>
#include <typegrad/train/evaluation_pass.hpp>
#include <typegrad/train/gradient_clipping.hpp>
#include <typegrad/train/history.hpp>
#include <typegrad/train/minibatches.hpp>
#include <typegrad/train/optimizer.hpp>
#include <typegrad/train/predictions.hpp>

namespace typegrad {

// Where fit() is told no classifier output: accuracies are then not measured.
struct no_logits {};

struct fit_options {
    std::size_t epochs = 10;
    std::size_t batch_size = 32;
    std::uint64_t seed = 0;
    bool shuffle = true;
    std::function<double(std::size_t epoch)> learning_rate_factor{};  // a schedule (train/learning_rate_schedule.hpp); empty: constant
    double clip_norm = 0;       // clip the gradient's global norm to this; 0: no clipping
    std::size_t patience = 0;   // with validation data: stop after this many epochs without a lower validation loss; 0: never
    bool restore_best = true;   // with validation data: end with the weights of the epoch of lowest validation loss
    std::function<void(const batch_report&)> on_batch{};
    std::function<void(const epoch_report&)> on_epoch{};  // called after each epoch
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

// Mean loss, and accuracy when `logits` is given, over a dataset in order, in evaluation mode (no dropout).
template <class Graph, class T, class Target, class Input, class TargetLeaf, class Logits = no_logits>
evaluation evaluate(Graph& graph, const dataset<T, Target>& data, const Input& input, const TargetLeaf& target, std::size_t batch_size,
                    const Logits& logits = {}) {
    constexpr bool classifier = !std::is_same_v<Logits, no_logits>;
    if constexpr (classifier) require_one_label_per_sample(data, "evaluate");
    double total = 0;
    std::size_t correct = 0;
    evaluation_pass(graph, data, input, target, batch_size, "evaluate", [&](std::size_t first, std::size_t count) {
        total += double(graph.loss()) * double(count);
        if constexpr (classifier) correct += detail::correct_predictions(graph, logits, data.targets_of(first, count), count);
    });
    return {total / double(data.size()), classifier ? double(correct) / double(data.size()) : not_measured};
}

template <class Graph, class T, class Target, class Input, class TargetLeaf>
double evaluate_loss(Graph& graph, const dataset<T, Target>& data, const Input& input, const TargetLeaf& target, std::size_t batch_size) {
    return evaluate(graph, data, input, target, batch_size).loss;
}

// Trains on `data`; with a non-null `validation`, evaluates it after each epoch for early stopping.
// `logits` (optional) is the classifier's output node, for training and validation accuracy.
template <class Graph, class Opt, class T, class Target, class Input, class TargetLeaf, class Logits = no_logits>
std::vector<epoch_report> fit(Graph& graph, Opt& opt, const dataset<T, Target>& data, const dataset<T, Target>* validation, const Input& input,
                              const TargetLeaf& target, const fit_options& options, const Logits& logits = {}) {
    constexpr bool classifier = !std::is_same_v<Logits, no_logits>;
    constexpr bool has_rate = requires { opt.set_learning_rate(1.0); opt.options().learning_rate; };
    if constexpr (classifier) require_one_label_per_sample(data, "fit");
    if (options.learning_rate_factor && !has_rate)
        throw std::invalid_argument("typegrad: fit: a learning-rate schedule needs an optimiser with set_learning_rate()");
    if (options.clip_norm < 0) throw std::invalid_argument("typegrad: fit: clip_norm must not be negative");
    if (validation) validation->validate();

    minibatches<T, Target> batches{data, options.batch_size, options.seed, options.shuffle};
    graph.reserve(options.batch_size);
    double base_rate = not_measured;
    if constexpr (has_rate) base_rate = opt.options().learning_rate;
    std::vector<epoch_report> history;
    history.reserve(options.epochs);
    std::vector<typename Graph::value_type> best_parameters;
    double best_loss = std::numeric_limits<double>::infinity();
    std::size_t epochs_since_best = 0;

    for (std::size_t epoch = 1; epoch <= options.epochs; ++epoch) {
        const auto start = std::chrono::steady_clock::now();
        epoch_report report{.epoch = epoch};
        if constexpr (has_rate) {
            if (options.learning_rate_factor) opt.set_learning_rate(base_rate * options.learning_rate_factor(epoch));
            report.learning_rate = opt.options().learning_rate;
        }
        double total = 0;
        std::size_t seen = 0, correct = 0, batch = 0;
        batches.start_epoch();
        while (batches.next()) {
            graph.bind(input, batches.features());
            graph.bind(target, batches.targets());
            graph.forward(batches.size());
            graph.backward();
            if (options.clip_norm > 0) clip_gradient_norm(graph.gradients(), options.clip_norm);
            step(opt, graph);
            total += double(graph.loss()) * double(batches.size());
            seen += batches.size();
            if constexpr (classifier) correct += detail::correct_predictions(graph, logits, batches.targets(), batches.size());
            if (options.on_batch)
                options.on_batch({epoch, ++batch, batches.batches_per_epoch(), seen, total / double(seen),
                                  classifier ? double(correct) / double(seen) : not_measured,
                                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()});
        }
        report.loss = total / double(data.size());
        if constexpr (classifier) report.accuracy = double(correct) / double(data.size());
        bool stop = false;
        if (validation) {
            const evaluation v = evaluate(graph, *validation, input, target, options.batch_size, logits);
            report.validation_loss = v.loss;
            report.validation_accuracy = v.accuracy;
            if (v.loss < best_loss) {
                best_loss = v.loss;
                epochs_since_best = 0;
                report.best = true;
                if (options.restore_best) best_parameters.assign(graph.parameters().begin(), graph.parameters().end());
            } else {
                stop = options.patience > 0 && ++epochs_since_best >= options.patience;
            }
        }
        report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        history.push_back(report);
        if (options.on_epoch) options.on_epoch(history.back());
        if (stop) break;
    }
    if (!best_parameters.empty()) std::copy(best_parameters.begin(), best_parameters.end(), graph.parameters().begin());
    return history;
}

template <class Graph, class Opt, class T, class Target, class Input, class TargetLeaf>
std::vector<epoch_report> fit(Graph& graph, Opt& opt, const dataset<T, Target>& data, const Input& input, const TargetLeaf& target,
                              const fit_options& options) {
    return fit(graph, opt, data, static_cast<const dataset<T, Target>*>(nullptr), input, target, options);
}

}  // namespace typegrad
