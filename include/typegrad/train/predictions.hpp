#pragma once
// The class a classifier predicts for every sample of a data set: the one evaluation loop that
// tg::accuracy and the confusion matrix share.
#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <typegrad/train/dataset.hpp>
#include <typegrad/train/evaluation_pass.hpp>

namespace typegrad {

// Index of the largest of n scores (the first one on a tie).
template <class T>
std::size_t argmax(std::span<const T> scores) {
    std::size_t best = 0;
    for (std::size_t i = 1; i < scores.size(); ++i)
        if (scores[i] > scores[best]) best = i;
    return best;
}

// How many classes a rank-1 logits node distinguishes. One logit is a binary classifier (class 1
// when the logit is positive), so it has two classes.
template <class Logits>
inline constexpr std::size_t classes_of = Logits::shape::size == 1 ? 2 : Logits::shape::size;

// The class of one sample's logits.
template <class T>
std::size_t predicted_class(std::span<const T> logits) {
    return logits.size() == 1 ? (logits[0] > T(0) ? 1 : 0) : argmax(logits);
}

// The class a stored label names. Labels may be stored as floats (0 and 1 for a binary target), so
// a label must be a whole number in [0, classes); `caller` and `sample` go into the message.
template <class Label>
std::size_t class_of_label(Label label, std::size_t classes, std::size_t sample, std::string_view caller) {
    const auto as_text = [&] {
        if constexpr (std::floating_point<Label>)
            return std::to_string(double(label));
        else
            return std::to_string(label);
    }();
    bool whole_and_in_range = false;
    if constexpr (std::floating_point<Label>)
        whole_and_in_range = std::isfinite(label) && label >= Label(0) && label == std::floor(label) && double(label) < double(classes);
    else
        whole_and_in_range = std::cmp_greater_equal(label, 0) && std::cmp_less(label, classes);
    if (!whole_and_in_range)
        throw std::invalid_argument("typegrad: " + std::string(caller) + ": label " + as_text + " of sample " + std::to_string(sample) +
                                    " is not a class in [0, " + std::to_string(classes) + ")");
    return static_cast<std::size_t>(label);
}

// Calls visit(i, predicted_class) for each of the `count` samples of the graph's last forward.
template <class Graph, class Logits, class Visit>
void for_each_predicted_class(Graph& graph, const Logits& logits, std::size_t count, Visit&& visit) {
    const auto scores = graph.value(logits);
    for (std::size_t i = 0; i < count; ++i) visit(i, predicted_class<typename Graph::value_type>(scores.sample(i)));
}

// Accuracy and the like compare one predicted class with one label per sample.
template <class Data>
void require_one_label_per_sample(const Data& data, std::string_view caller) {
    if (data.target_size != 1)
        throw std::invalid_argument("typegrad: " + std::string(caller) + " needs one class label per sample (target_size 1), got target_size " +
                                    std::to_string(data.target_size));
}

// Runs the graph over `data` (in memory or streamed) in batches, in order and in evaluation mode,
// computing only `logits` and what it depends on (no labels bound), and calls visit(true_class,
// predicted_class) for every sample. In-memory labels are all checked before the graph runs, streamed
// ones as they are read. `caller` names the metric in error messages.
template <class Graph, class Data, class Input, class Logits, class Visit>
void for_each_prediction(Graph& graph, const Data& data, const Input& input, const Logits& logits, const evaluation_options& options,
                         std::string_view caller, Visit&& visit) {
    static_assert(Logits::shape::rank == 1, "typegrad: a classifier's logits must be a rank-1 node (one score per class)");
    constexpr std::size_t classes = classes_of<Logits>;
    const input_binding<Input> checked{data, input, caller};  // a consistent data set, before its labels are read
    require_one_label_per_sample(data, caller);
    if (data.size() == 0) throw std::invalid_argument("typegrad: " + std::string(caller) + ": the dataset is empty");
    if constexpr (requires { data.targets[0]; })
        for (std::size_t i = 0; i < data.size(); ++i) class_of_label(data.targets[i], classes, i, caller);

    prediction_pass(
        graph, data, input, logits, options, caller,
        [&](std::size_t first, std::size_t count, auto labels) {
            for_each_predicted_class(graph, logits, count,
                                     [&](std::size_t i, std::size_t predicted) { visit(class_of_label(labels[i], classes, first + i, caller), predicted); });
        },
        true);
}

}  // namespace typegrad
