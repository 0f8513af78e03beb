#pragma once
// Which of a batch's values go to which of the network's inputs. A data source holds features and,
// possibly, other inputs with names (dataset::other_inputs, hdf5_dataset's other inputs): the
// features go to the first input given, each other input to the network input of its name.
//
//   const auto image = tg::named_input<"image", 3, 64, 64>;
//   const auto redshift = tg::named_input<"redshift", 1>;
//   tg::fit(net, opt, galaxies, tg::inputs(image, redshift), fractions, options);
//
// tg::inputs(...) is the list compile() takes to declare a graph's inputs (autodiff/declared_inputs.hpp).
// One input given alone (fit(net, opt, data, image, ...)) takes the features, and the data must then
// carry no other input: an input the network is not given is an error, not silently dropped.
// fit(), evaluate(), predict(), accuracy() and confusion_matrix_of() take either form.
#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <typegrad/autodiff/declared_inputs.hpp>
#include <typegrad/expr/node.hpp>
#include <typegrad/io/hdf5.hpp>
#include <typegrad/io/io_error.hpp>
#include <typegrad/train/batch_loader.hpp>
#include <typegrad/train/dataset.hpp>

namespace typegrad {

namespace detail {
template <class... Leaves>
constexpr bool names_distinct() {
    constexpr std::array<std::string_view, sizeof...(Leaves)> names{Leaves::op_type::name...};
    for (std::size_t i = 0; i < names.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
            if (names[i] == names[j]) return false;
    return true;
}

template <class Input>
struct input_list_traits {  // one input
    using first = Input;
    static constexpr std::size_t others = 0;
    static const Input& first_of(const Input& input) { return input; }
    using rest = std::tuple<>;
};
template <class First, class... Rest>
struct input_list_traits<input_list<First, Rest...>> {
    static_assert(((First::feed == feed_kind::values) && ... && (Rest::feed == feed_kind::values)),
                  "typegrad: the inputs that data is bound to are inputs of values (tg::input, tg::named_input), not labels");
    static_assert(names_distinct<First, Rest...>(), "typegrad: tg::inputs(...) given to bind data names two inputs alike, and other inputs are bound by name");
    using first = First;
    static constexpr std::size_t others = sizeof...(Rest);
    static First first_of(const input_list<First, Rest...>&) { return {}; }
    using rest = std::tuple<Rest...>;
};

// The input that takes the features: `input` itself, or the first of tg::inputs(...).
template <class Input>
decltype(auto) first_input(const Input& input) {
    return input_list_traits<Input>::first_of(input);
}

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

// The names of the data's other inputs, for messages: "'redshift', 'flux'".
inline std::string names_of(const std::vector<input_description>& others) {
    std::string text;
    for (const input_description& other : others) text += (text.empty() ? "'" : ", '") + other.name + "'";
    return text;
}

// Throws unless `other` has the per-sample shape of `Leaf` (a file's dataset of one value per sample,
// shape (), may feed an input of shape (1)).
template <class Leaf>
void require_other_input_fits(const input_description& other, std::string_view caller) {
    using shape = typename Leaf::shape;
    if (other.shape) {
        const bool scalar_as_one = other.shape->empty() && shape::size == 1 && shape::rank == 1;
        if (!scalar_as_one && !std::ranges::equal(*other.shape, shape::dims))
            throw io::io_error(other.origin + " holds samples of shape " + io::shape_tuple(*other.shape) + "; the network's " +
                               std::string(Leaf::op_type::kind) + " '" + std::string(Leaf::op_type::name) + "' takes " + io::shape_tuple(shape::dims));
    } else if (other.size != shape::size) {
        throw std::invalid_argument("typegrad: " + std::string(caller) + ": " + other.origin + " has " + std::to_string(other.size) +
                                    (other.size == 1 ? " value" : " values") + " per sample but " + leaf_text<Leaf>() + " takes " +
                                    std::to_string(shape::size));
    }
}

}  // namespace detail

// How one source's batches are bound to a network's inputs: checked once against the source (every
// other input of the network found by name and of its shape, every input of the data taken), then
// bind() per batch.
template <class Input>
class input_binding {
    using traits = detail::input_list_traits<Input>;

public:
    template <class Data>
    input_binding(const Data& data, const Input& input, std::string_view caller) : input_{input} {
        detail::require_samples_of(data, detail::first_input(input), caller);
        const std::vector<input_description> others = detail::other_inputs_of(data);
        std::vector<bool> taken(others.size(), false);
        if constexpr (traits::others > 0) {
            std::size_t i = 0;
            std::apply([&](const auto&... leaf) { (find<std::remove_cvref_t<decltype(leaf)>>(others, taken, i++, caller), ...); }, typename traits::rest{});
        }
        for (std::size_t k = 0; k < others.size(); ++k)
            if (!taken[k])
                throw std::invalid_argument("typegrad: " + std::string(caller) + ": " + others[k].origin + " goes to no input of the network: give " +
                                            (traits::others == 0 ? "tg::inputs(" : "tg::inputs(..., ") + "the input named '" + others[k].name +
                                            "'), or leave it out of the data");
    }

    // Binds a batch: its features, and other(k), the values of the source's other input k.
    template <class Graph, class Values, class Other>
    void bind(Graph& graph, Values features, Other&& other) const {
        graph.bind(detail::first_input(input_), features);
        if constexpr (traits::others > 0) {
            std::size_t i = 0;
            std::apply([&](const auto&... leaf) { (graph.bind(leaf, other(source_index_[i++])), ...); }, typename traits::rest{});
        }
    }

private:
    template <class Leaf>
    void find(const std::vector<input_description>& others, std::vector<bool>& taken, std::size_t i, std::string_view caller) {
        const auto named = std::ranges::find(others, Leaf::op_type::name, &input_description::name);
        if (named == others.end())
            throw std::invalid_argument("typegrad: " + std::string(caller) + ": the data has no input named '" + std::string(Leaf::op_type::name) +
                                        "' for the network's " + detail::leaf_text<Leaf>() +
                                        (others.empty() ? "; it carries features only" : "; its other inputs are " + detail::names_of(others)));
        detail::require_other_input_fits<Leaf>(*named, caller);
        source_index_[i] = std::size_t(named - others.begin());
        taken[source_index_[i]] = true;
    }

    Input input_;
    std::array<std::size_t, traits::others> source_index_{};
};

}  // namespace typegrad
