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
#include <typegrad/train/communicator.hpp>
#include <typegrad/train/data_parallel.hpp>
#include <typegrad/train/dataset.hpp>
#include <typegrad/train/evaluation_mode.hpp>
#include <typegrad/train/input_binding.hpp>

namespace typegrad {

// The options of evaluate(), predict(), accuracy() and confusion_matrix_of(), their last argument.
struct evaluation_options {
    std::size_t batch_size = 256;  // samples per forward; results do not depend on it
    std::size_t prefetch = 2;      // batches a streamed source reads ahead on a thread (0: none); in-memory data is read in place
    // Data-parallel (train/communicator.hpp): each rank reads and computes its share of the data set
    // (a contiguous part) and the results are summed, counting each sample once. Null: this process alone.
    communicator* ranks = nullptr;
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

// Calls f(first, count, features, targets, other) for each batch of up to options.batch_size samples
// of `data` (this rank's share of it, with options.ranks), in order, where other(k) is the batch's
// values of the data's other input k: in-memory data in place, a streamed source through a
// batch_loader (read ahead). Without targets, only the inputs are read (and `targets` is empty).
template <class Data, class F>
void for_each_batch(const Data& data, const evaluation_options& options, bool with_targets, F&& f) {
    static_assert(!requires { Data::augmented; }, "typegrad: evaluation and predictions read data as it is: pass them the data the augmentation wraps");
    const share part = options.ranks ? share_of(data.size(), options.ranks->rank(), options.ranks->size()) : share{0, data.size()};
    const std::size_t end = part.first + part.count;
    if constexpr (Data::streamed) {
        batch_loader<Data> loader{data, options.batch_size, options.prefetch, with_targets};
        loader.start({}, part.first, 0, end);
        while (loader.next())
            f(loader.first(), loader.size(), loader.features(), loader.targets(), [&](std::size_t k) { return loader.other_input(k); });
    } else {
        for (std::size_t first = part.first; first < end; first += options.batch_size) {
            const std::size_t count = std::min(options.batch_size, end - first);
            const auto other = [&](std::size_t k) {
                if constexpr (requires { data.other_input_of(k, first, count); })
                    return data.other_input_of(k, first, count);
                else
                    return data.features_of(first, 0);  // a source of features only has no other input
            };
            f(first, count, data.features_of(first, count), with_targets ? data.targets_of(first, count) : decltype(data.targets_of(0, 0)){}, other);
        }
    }
}

}  // namespace detail

// Binds each batch of up to options.batch_size samples to `input` (one input, or tg::inputs(...):
// train/input_binding.hpp) and `target`, runs the whole
// forward (the loss included), then calls after_forward(first, count, targets) while the batch's
// values can be read. Leaves the graph unbound. `caller` names the function in error messages.
template <class Graph, class Data, class Input, class TargetLeaf, class AfterForward>
void evaluation_pass(Graph& graph, const Data& data, const Input& input, const TargetLeaf& target, const evaluation_options& options,
                     std::string_view caller, AfterForward&& after_forward) {
    const input_binding<Input> binding{data, input, caller};
    detail::require_targets_of(data, target, caller);
    detail::require_batch_size(options, caller);
    const evaluation_mode<Graph> evaluating{graph};
    const detail::unbind_at_exit<Graph> unbinding{graph};
    detail::on_this_rank(options.ranks, [&] {
        detail::for_each_batch(data, options, true, [&](std::size_t first, std::size_t count, auto features, auto targets, auto other) {
            binding.bind(graph, features, other);
            graph.bind(target, targets);
            graph.forward(count);
            after_forward(first, count, targets);
        });
    });
}

// Binds each batch of up to options.batch_size samples of `data` (its features; its targets are read
// only if asked, and never bound) to `input` and computes only what `output` depends on, then calls
// after_forward(first, count, targets) while the output's values can be read. Leaves the graph unbound.
template <class Graph, class Data, class Input, class Output, class AfterForward>
void prediction_pass(Graph& graph, const Data& data, const Input& input, const Output& output, const evaluation_options& options,
                     std::string_view caller, AfterForward&& after_forward, bool with_targets = false) {
    static_assert(Output::batched, "typegrad: predictions need an output with one value per sample (a node computed from an input)");
    const input_binding<Input> binding{data, input, caller};
    detail::require_batch_size(options, caller);
    const evaluation_mode<Graph> evaluating{graph};
    const detail::unbind_at_exit<Graph> unbinding{graph};
    detail::on_this_rank(options.ranks, [&] {
        detail::for_each_batch(data, options, with_targets, [&](std::size_t first, std::size_t count, auto features, auto targets, auto other) {
            binding.bind(graph, features, other);
            graph.forward(count, output);
            after_forward(first, count, targets);
        });
    });
}

}  // namespace typegrad
