#pragma once
// Classification metrics computed from a graph's outputs. The per-class ones (precision, recall,
// F1) come from the confusion matrix: tg::confusion_matrix_of in train/confusion_matrix.hpp.
#include <cstddef>
#include <span>

#include <typegrad/train/dataset.hpp>
#include <typegrad/train/predictions.hpp>

namespace typegrad {

// Fraction of samples whose highest-scoring class (`logits`, a rank-1 node of the graph) is the label.
// A one-output `logits` is read as a binary classifier: class 1 when the logit is positive.
// Runs in evaluation mode (no dropout), computing only `logits` and what it needs. Throws std::invalid_argument for an empty dataset or a
// label that is not a class of `logits`.
template <class Graph, sample_source Data, class Input, class Logits>
double accuracy(Graph& graph, const Data& data, const Input& input, const Logits& logits, const evaluation_options& options = {}) {
    std::size_t correct = 0;
    for_each_prediction(graph, data, input, logits, options, "accuracy()",
                        [&](std::size_t true_class, std::size_t predicted) { correct += true_class == predicted; });
    if (options.ranks) {
        double sum = double(correct);
        options.ranks->sum(std::span<double>(&sum, 1));
        correct = std::size_t(sum + 0.5);
    }
    return double(correct) / double(data.size());
}

}  // namespace typegrad
