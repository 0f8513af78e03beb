#pragma once
// One pass over a dataset in order, in evaluation mode (no dropout), without training: the loop that
// evaluate(), accuracy() and the confusion matrix share.
#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

#include <typegrad/train/dataset.hpp>
#include <typegrad/train/evaluation_mode.hpp>

namespace typegrad {

// Binds each batch of up to `batch_size` samples to `input` and `target`, runs forward, then calls
// after_forward(first, count) while the batch's values can be read. `caller` names the function in
// error messages.
template <class Graph, class T, class Target, class Input, class TargetLeaf, class AfterForward>
void evaluation_pass(Graph& graph, const dataset<T, Target>& data, const Input& input, const TargetLeaf& target, std::size_t batch_size,
                     std::string_view caller, AfterForward&& after_forward) {
    data.validate();
    if (batch_size == 0) throw std::invalid_argument("typegrad: " + std::string(caller) + ": the batch size must be positive");
    const evaluation_mode<Graph> evaluating{graph};
    for (std::size_t first = 0; first < data.size(); first += batch_size) {
        const std::size_t count = std::min(batch_size, data.size() - first);
        graph.bind(input, data.features_of(first, count));
        graph.bind(target, data.targets_of(first, count));
        graph.forward(count);
        after_forward(first, count);
    }
}

}  // namespace typegrad
