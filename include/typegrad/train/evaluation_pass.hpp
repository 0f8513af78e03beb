#pragma once
// One pass over a data set (in memory or streamed) in order, in evaluation mode (no dropout, batch
// normalisation's running statistics), without training: the loops that evaluate(), predict(),
// accuracy() and the confusion matrix share.
#include <algorithm>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

#include <typegrad/train/batch_loader.hpp>
#include <typegrad/train/dataset.hpp>
#include <typegrad/train/evaluation_mode.hpp>

namespace typegrad {

// The options of evaluate(), predict(), accuracy() and confusion_matrix_of(), their last argument.
struct evaluation_options {
    std::size_t batch_size = 256;  // samples per forward; results do not depend on it
    std::size_t prefetch = 2;      // batches a streamed source reads ahead on a thread (0: none); in-memory data is read in place
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

// Features without targets, in memory: what predict() reads from a span.
template <class T>
struct feature_span {
    using value_type = T;
    using target_type = T;
    static constexpr bool streamed = false;
    std::span<const T> features;
    std::size_t feature_size;
    static constexpr std::size_t target_size = 0;
    std::size_t size() const { return features.size() / feature_size; }
    std::span<const T> features_of(std::size_t first, std::size_t count) const { return features.subspan(first * feature_size, count * feature_size); }
    std::span<const T> targets_of(std::size_t, std::size_t) const { return {}; }
};

template <class Leaf>
std::string leaf_text() {
    return std::string(Leaf::op_type::kind) + " '" + std::string(Leaf::op_type::name) + "' of shape " + Leaf::shape::to_string();
}

// Throws unless the dataset is consistent and its samples are the size of `input`.
template <class T, class Target, class Input>
void require_samples_of(const dataset<T, Target>& data, const Input&, std::string_view caller) {
    data.validate();
    if (data.feature_size != Input::shape::size)
        throw std::invalid_argument("typegrad: " + std::string(caller) + ": the dataset's samples have " + std::to_string(data.feature_size) +
                                    (data.feature_size == 1 ? " value" : " values") + " but " + leaf_text<Input>() + " takes " +
                                    std::to_string(Input::shape::size));
}
template <class T, class Input>
void require_samples_of(const feature_span<T>&, const Input&, std::string_view) {}  // checked when it was made (samples_for)
// A source streamed from a file: its per-sample shape against the input's (an io_error naming the
// file, the dataset and both shapes).
template <class Data, class Input>
    requires requires(const Data& data) { data.file(); }
void require_samples_of(const Data& data, const Input&, std::string_view) {
    data.file().check_feature_shape(typename Input::shape{});
}
// An augmented source (train/augmented.hpp): the augmentation's output against the input (its input
// against the data was checked when it was made).
template <class Data, class Input>
    requires Data::augmented
void require_samples_of(const Data&, const Input&, std::string_view caller) {
    if (!std::is_same_v<typename Data::output_shape, typename Input::shape>)
        throw std::invalid_argument("typegrad: " + std::string(caller) + ": the augmentation makes images of shape " + Data::output_shape::to_string() + " but " +
                                    leaf_text<Input>() + " takes " + Input::shape::to_string());
}

// Throws unless each sample's targets are as many values as `target` takes (a streamed source's are
// checked by shape, naming its file).
template <class Data, class TargetLeaf>
void require_targets_of(const Data& data, const TargetLeaf&, std::string_view caller) {
    if constexpr (requires { data.file(); })
        if (!data.file().has_labels()) return data.file().check_target_shape(typename TargetLeaf::shape{});
    if (data.target_size != TargetLeaf::shape::size)
        throw std::invalid_argument("typegrad: " + std::string(caller) + ": the data's targets have " + std::to_string(data.target_size) +
                                    (data.target_size == 1 ? " value" : " values") + " per sample but " + leaf_text<TargetLeaf>() + " takes " +
                                    std::to_string(TargetLeaf::shape::size));
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

// Calls f(first, count, features, targets) for each batch of up to options.batch_size samples of
// `data`, in order: in-memory data in place, a streamed source through a batch_loader (read ahead).
// Without targets, only features are read (and `targets` is empty).
template <class Data, class F>
void for_each_batch(const Data& data, const evaluation_options& options, bool with_targets, F&& f) {
    static_assert(!requires { Data::augmented; }, "typegrad: evaluation and predictions read data as it is: pass them the data the augmentation wraps");
    if constexpr (Data::streamed) {
        batch_loader<Data> loader{data, options.batch_size, options.prefetch, with_targets};
        loader.start({}, 0);
        while (loader.next()) f(loader.first(), loader.size(), loader.features(), loader.targets());
    } else {
        for (std::size_t first = 0; first < data.size(); first += options.batch_size) {
            const std::size_t count = std::min(options.batch_size, data.size() - first);
            f(first, count, data.features_of(first, count), with_targets ? data.targets_of(first, count) : decltype(data.targets_of(0, 0)){});
        }
    }
}

}  // namespace detail

// Binds each batch of up to options.batch_size samples to `input` and `target`, runs the whole
// forward (the loss included), then calls after_forward(first, count, targets) while the batch's
// values can be read. Leaves the graph unbound. `caller` names the function in error messages.
template <class Graph, class Data, class Input, class TargetLeaf, class AfterForward>
void evaluation_pass(Graph& graph, const Data& data, const Input& input, const TargetLeaf& target, const evaluation_options& options,
                     std::string_view caller, AfterForward&& after_forward) {
    detail::require_samples_of(data, input, caller);
    detail::require_targets_of(data, target, caller);
    detail::require_batch_size(options, caller);
    const evaluation_mode<Graph> evaluating{graph};
    const detail::unbind_at_exit<Graph> unbinding{graph};
    detail::for_each_batch(data, options, true, [&](std::size_t first, std::size_t count, auto features, auto targets) {
        graph.bind(input, features);
        graph.bind(target, targets);
        graph.forward(count);
        after_forward(first, count, targets);
    });
}

// Binds each batch of up to options.batch_size samples of `data` (its features; its targets are read
// only if asked, and never bound) to `input` and computes only what `output` depends on, then calls
// after_forward(first, count, targets) while the output's values can be read. Leaves the graph unbound.
template <class Graph, class Data, class Input, class Output, class AfterForward>
void prediction_pass(Graph& graph, const Data& data, const Input& input, const Output& output, const evaluation_options& options,
                     std::string_view caller, AfterForward&& after_forward, bool with_targets = false) {
    static_assert(Output::batched, "typegrad: predictions need an output with one value per sample (a node computed from an input)");
    detail::require_samples_of(data, input, caller);
    detail::require_batch_size(options, caller);
    const evaluation_mode<Graph> evaluating{graph};
    const detail::unbind_at_exit<Graph> unbinding{graph};
    detail::for_each_batch(data, options, with_targets, [&](std::size_t first, std::size_t count, auto features, auto targets) {
        graph.bind(input, features);
        graph.forward(count, output);
        after_forward(first, count, targets);
    });
}

}  // namespace typegrad
