#pragma once
// predict(): a trained network's outputs for new data, no targets needed. Runs in evaluation mode
// (no dropout; batch normalisation's running statistics), in batches, computing only the nodes the
// output depends on: a training graph predicts as well as an inference graph compiled from the
// output alone (which takes trained weights with copy_parameters_from()).
#include <algorithm>
#include <cstddef>
#include <span>
#include <vector>

#include <typegrad/train/dataset.hpp>
#include <typegrad/train/evaluation_pass.hpp>

namespace typegrad {

// The values of `output` for every sample of `features` (row-major, whole samples of `input`):
// samples x output size, row-major.
template <class Graph, class Input, class Output>
std::vector<typename Graph::value_type> predict(Graph& graph, std::span<const typename Graph::value_type> features, const Input& input,
                                                const Output& output, const evaluation_options& options = {}) {
    using V = typename Graph::value_type;
    constexpr std::size_t output_size = Output::shape::size;
    std::vector<V> outputs;
    outputs.reserve(features.size() / Input::shape::size * output_size);
    prediction_pass(graph, features, input, output, options, "predict", [&](std::size_t, std::size_t count) {
        const auto values = graph.value(output);
        outputs.insert(outputs.end(), values.data(), values.data() + count * output_size);
    });
    return outputs;
}

// The same for a dataset's features (its targets are not read).
template <class Graph, class T, class Target, class Input, class Output>
std::vector<typename Graph::value_type> predict(Graph& graph, const dataset<T, Target>& data, const Input& input, const Output& output,
                                                const evaluation_options& options = {}) {
    detail::require_samples_of(data, input, "predict");
    return predict(graph, std::span<const T>(data.features), input, output, options);
}

}  // namespace typegrad
