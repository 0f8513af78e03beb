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

// The values of `output` for every sample of `data`, a dataset (its targets are not read) or a streamed
// source (its features read ahead): samples x output size, row-major.
template <class Graph, sample_source Data, class Input, class Output>
std::vector<typename Graph::value_type> predict(Graph& graph, const Data& data, const Input& input, const Output& output,
                                                const evaluation_options& options = {}) {
    using V = typename Graph::value_type;
    constexpr std::size_t output_size = Output::shape::size;
    std::vector<V> outputs;
    outputs.reserve(data.size() * output_size);
    prediction_pass(graph, data, input, output, options, "predict", [&](std::size_t, std::size_t count, auto) {
        const auto values = graph.value(output);
        outputs.insert(outputs.end(), values.data(), values.data() + count * output_size);
    });
    return outputs;
}

// The same for features in memory (row-major, whole samples of `input`).
template <class Graph, class Input, class Output>
std::vector<typename Graph::value_type> predict(Graph& graph, std::span<const typename Graph::value_type> features, const Input& input,
                                                const Output& output, const evaluation_options& options = {}) {
    static_assert(detail::input_list_traits<Input>::others == 0, "typegrad: predict(graph, features, input, output) takes one input; for several, give a tg::dataset with other_inputs");
    const detail::feature_span<typename Graph::value_type> data{features, Input::shape::size};
    detail::samples_for(input, features.size(), "predict");
    return predict(graph, data, input, output, options);
}

}  // namespace typegrad
