#pragma once
// Classification metrics computed from a graph's outputs.
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>

#include <typegrad/train/dataset.hpp>
#include <typegrad/train/evaluation_mode.hpp>

namespace typegrad {

// Index of the largest of n scores.
template <class T>
std::size_t argmax(std::span<const T> scores) {
    std::size_t best = 0;
    for (std::size_t i = 1; i < scores.size(); ++i)
        if (scores[i] > scores[best]) best = i;
    return best;
}

// Fraction of samples whose highest-scoring class (`logits`, a rank-1 node of the graph) is the label.
// A one-output `logits` is read as a binary classifier: class 1 when the logit is positive.
// Runs in evaluation mode (no dropout).
template <class Graph, class T, class Target, class Input, class Labels, class Logits>
double accuracy(Graph& graph, const dataset<T, Target>& data, const Input& input, const Labels& labels, const Logits& logits,
                std::size_t batch_size) {
    const evaluation_mode<Graph> evaluating{graph};
    data.validate();
    if (data.target_size != 1) throw std::invalid_argument("typegrad: accuracy() needs one class label per sample (target_size 1)");
    std::size_t correct = 0;
    for (std::size_t first = 0; first < data.size(); first += batch_size) {
        const std::size_t count = std::min(batch_size, data.size() - first);
        graph.bind(input, data.features_of(first, count));
        graph.bind(labels, data.targets_of(first, count));
        graph.forward(count);
        const auto scores = graph.value(logits);
        for (std::size_t i = 0; i < count; ++i) {
            const auto row = scores.sample(i);
            const std::size_t predicted = row.size() == 1 ? (row[0] > 0 ? 1 : 0) : argmax<typename Graph::value_type>(row);
            correct += predicted == static_cast<std::size_t>(data.targets[first + i]);
        }
    }
    return double(correct) / double(data.size());
}

}  // namespace typegrad
