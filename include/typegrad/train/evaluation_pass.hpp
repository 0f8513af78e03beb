#pragma once
// One pass over a dataset in order, in evaluation mode (no dropout, batch normalisation's running
// statistics), without training: the loops that evaluate(), predict(), accuracy() and the confusion
// matrix share.
#include <algorithm>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include <typegrad/train/dataset.hpp>
#include <typegrad/train/evaluation_mode.hpp>

namespace typegrad {

// The options of evaluate(), predict(), accuracy() and confusion_matrix_of(), their last argument.
struct evaluation_options {
    std::size_t batch_size = 256;  // samples per forward; results do not depend on it
};

namespace detail {

// Throws unless `values` holds whole samples of `input` (its shape's size each), naming both.
template <class Input>
std::size_t samples_for(const Input&, std::size_t values, std::string_view caller) {
    using shape = typename Input::shape;
    if (values % shape::size != 0)
        throw std::invalid_argument("typegrad: " + std::string(caller) + ": " + std::to_string(values) + " feature values are not a whole number of samples of " +
                                    std::string(Input::op_type::kind) + " '" + std::string(Input::op_type::name) + "' of shape " + shape::to_string() +
                                    " (" + std::to_string(shape::size) + " values each)");
    return values / shape::size;
}

// Throws unless the dataset is consistent and its samples are the size of `input`.
template <class T, class Target, class Input>
void require_samples_of(const dataset<T, Target>& data, const Input& input, std::string_view caller) {
    data.validate();
    if (data.feature_size != Input::shape::size)
        throw std::invalid_argument("typegrad: " + std::string(caller) + ": the dataset's samples have " + std::to_string(data.feature_size) +
                                    (data.feature_size == 1 ? " value" : " values") + " but " +
                                    std::string(Input::op_type::kind) + " '" + std::string(Input::op_type::name) + "' of shape " +
                                    Input::shape::to_string() + " takes " + std::to_string(Input::shape::size));
    samples_for(input, data.features.size(), caller);
}

// Unbinds the graph's leaves when a loop that bound them to its own batches ends, however it ends:
// no binding outlives the memory it points into.
template <class Graph>
struct unbind_at_exit {
    explicit unbind_at_exit(Graph& g) : graph{g} {}
    unbind_at_exit(const unbind_at_exit&) = delete;
    unbind_at_exit& operator=(const unbind_at_exit&) = delete;
    ~unbind_at_exit() { graph.unbind_all(); }
    Graph& graph;
};

inline void require_batch_size(const evaluation_options& options, std::string_view caller) {
    if (options.batch_size == 0) throw std::invalid_argument("typegrad: " + std::string(caller) + ": the batch size must be positive");
}

}  // namespace detail

// Binds each batch of up to options.batch_size samples to `input` and `target`, runs the whole
// forward (the loss included), then calls after_forward(first, count) while the batch's values can
// be read. Leaves the graph unbound. `caller` names the function in error messages.
template <class Graph, class T, class Target, class Input, class TargetLeaf, class AfterForward>
void evaluation_pass(Graph& graph, const dataset<T, Target>& data, const Input& input, const TargetLeaf& target, const evaluation_options& options,
                     std::string_view caller, AfterForward&& after_forward) {
    detail::require_samples_of(data, input, caller);
    detail::require_batch_size(options, caller);
    const evaluation_mode<Graph> evaluating{graph};
    const detail::unbind_at_exit<Graph> unbinding{graph};
    for (std::size_t first = 0; first < data.size(); first += options.batch_size) {
        const std::size_t count = std::min(options.batch_size, data.size() - first);
        graph.bind(input, data.features_of(first, count));
        graph.bind(target, data.targets_of(first, count));
        graph.forward(count);
        after_forward(first, count);
    }
}

// Binds each batch of up to options.batch_size samples of `features` (row-major, whole samples of
// `input`) and computes only what `output` depends on (no targets bound), then calls
// after_forward(first, count) while the output's values can be read. Leaves the graph unbound.
template <class Graph, class Input, class Output, class AfterForward>
void prediction_pass(Graph& graph, std::span<const typename Graph::value_type> features, const Input& input, const Output& output,
                     const evaluation_options& options, std::string_view caller, AfterForward&& after_forward) {
    static_assert(Output::batched, "typegrad: predictions need an output with one value per sample (a node computed from an input)");
    const std::size_t samples = detail::samples_for(input, features.size(), caller);
    detail::require_batch_size(options, caller);
    constexpr std::size_t sample_size = Input::shape::size;
    const evaluation_mode<Graph> evaluating{graph};
    const detail::unbind_at_exit<Graph> unbinding{graph};
    for (std::size_t first = 0; first < samples; first += options.batch_size) {
        const std::size_t count = std::min(options.batch_size, samples - first);
        graph.bind(input, features.subspan(first * sample_size, count * sample_size));
        graph.forward(count, output);
        after_forward(first, count);
    }
}

}  // namespace typegrad
