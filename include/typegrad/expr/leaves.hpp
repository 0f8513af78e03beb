#pragma once
// Leaves of a graph: inputs, regression targets and class labels. Their values are bound by the
// user (graph::bind), not computed. A leaf's identity is its type (name and shape): every
// tg::input<784> in a graph is the same input.
#include <string_view>

#include <typegrad/expr/node.hpp>
#include <typegrad/shape/fixed_string.hpp>

namespace typegrad {
namespace ops {

template <fixed_string Name, class Shape, feed_kind Feed, std::size_t Classes = 0>
struct leaf {
    static constexpr std::size_t classes = Classes;
    static constexpr std::string_view kind = Feed == feed_kind::labels ? "labels" : "input";
    static constexpr std::string_view name = Name.view();
    static constexpr feed_kind feed = Feed;
    template <class...>
    struct traits {
        using shape = Shape;
        static constexpr bool batched = true;
        static constexpr std::size_t parameter_count = 0;
        static constexpr std::size_t flops = 0;
    };
};

}  // namespace ops

template <fixed_string Name, std::size_t... Dims>
inline const node<ops::leaf<Name, shape<Dims...>, feed_kind::values>> named_input{};
template <std::size_t... Dims>
inline const node<ops::leaf<"input", shape<Dims...>, feed_kind::values>> input{};

// A regression target is an input like any other; the name only documents intent.
template <fixed_string Name, std::size_t... Dims>
inline const node<ops::leaf<Name, shape<Dims...>, feed_kind::values>> named_target{};
template <std::size_t... Dims>
inline const node<ops::leaf<"target", shape<Dims...>, feed_kind::values>> target{};

// Integer class labels in [0, Classes): per sample one std::int32_t.
template <fixed_string Name, std::size_t Classes>
inline const node<ops::leaf<Name, shape<>, feed_kind::labels, Classes>> named_labels{};
template <std::size_t Classes>
inline const node<ops::leaf<"labels", shape<>, feed_kind::labels, Classes>> labels{};

template <class X>
inline constexpr bool is_leaf = X::feed != feed_kind::none;
template <class X>
inline constexpr bool is_labels = X::feed == feed_kind::labels;

}  // namespace typegrad
