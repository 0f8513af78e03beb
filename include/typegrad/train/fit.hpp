#pragma once
// fit(): the usual training loop over minibatches, reporting the mean loss per epoch. It only calls
// public steps (bind, forward, backward, step), so a user can write the same loop by hand.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include <typegrad/train/dataset.hpp>
#include <typegrad/train/evaluation_mode.hpp>
#include <typegrad/train/minibatches.hpp>
#include <typegrad/train/optimizer.hpp>

namespace typegrad {

struct epoch_report {
    std::size_t epoch = 0;  // from 1
    double loss = 0;        // batch losses weighted by batch size: the per-sample mean for a mean-reduced loss
    double seconds = 0;
};

struct fit_options {
    std::size_t epochs = 10;
    std::size_t batch_size = 32;
    std::uint64_t seed = 0;
    bool shuffle = true;
    std::function<void(const epoch_report&)> on_epoch{};  // called after each epoch
};

// `input` and `target` are the graph's leaves that the dataset's features and targets feed.
template <class Graph, class Opt, class T, class Target, class Input, class TargetLeaf>
std::vector<epoch_report> fit(Graph& graph, Opt& opt, const dataset<T, Target>& data, const Input& input, const TargetLeaf& target,
                              const fit_options& options) {
    minibatches<T, Target> batches{data, options.batch_size, options.seed, options.shuffle};
    graph.reserve(options.batch_size);
    std::vector<epoch_report> history;
    history.reserve(options.epochs);
    for (std::size_t epoch = 1; epoch <= options.epochs; ++epoch) {
        const auto start = std::chrono::steady_clock::now();
        double total = 0;
        batches.start_epoch();
        while (batches.next()) {
            graph.bind(input, batches.features());
            graph.bind(target, batches.targets());
            graph.forward(batches.size());
            graph.backward();
            step(opt, graph);
            total += double(graph.loss()) * double(batches.size());
        }
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        history.push_back({epoch, total / double(data.size()), seconds});
        if (options.on_epoch) options.on_epoch(history.back());
    }
    return history;
}

// Mean loss over a dataset, in order, in evaluation mode (no dropout), without training.
template <class Graph, class T, class Target, class Input, class TargetLeaf>
double evaluate_loss(Graph& graph, const dataset<T, Target>& data, const Input& input, const TargetLeaf& target, std::size_t batch_size) {
    const evaluation_mode<Graph> evaluating{graph};
    data.validate();
    double total = 0;
    for (std::size_t first = 0; first < data.size(); first += batch_size) {
        const std::size_t count = std::min(batch_size, data.size() - first);
        graph.bind(input, data.features_of(first, count));
        graph.bind(target, data.targets_of(first, count));
        graph.forward(count);
        total += double(graph.loss()) * double(count);
    }
    return total / double(data.size());
}

}  // namespace typegrad
