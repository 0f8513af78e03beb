#pragma once
// The vocabulary of compile-time errors. Every check that a user can trip is one of the structs below:
// the struct's name says what is wrong, its template arguments carry the layer and the shapes at fault
// (compilers print them on the first line, "In instantiation of ..."), and its static_assert says what
// to do. Checks are written `errors::require<condition, errors::name<...>>`, so the message is only
// instantiated when the condition fails.
#include <cstddef>

namespace typegrad {

// Tags that make diagnostics read as sentences: at_layer<3, dense<64>>, got<shape<64,5,5>>. A layer's
// position counts the distinct nodes before it (its inputs' DAG, the input at 0), as summary() does.
template <std::size_t Position, class Kind>
struct at_layer {};
template <class Shape>
struct got {};
template <class Shape>
struct expected {};
template <std::size_t Index>
struct output {};
template <class... Inputs>
struct declared {};
template <std::size_t Channels>
struct declared_channels {};
template <class Shape>
struct left {};
template <class Shape>
struct right {};

namespace errors {

template <class...>
inline constexpr bool always_false = false;

template <bool Ok, class Error>
struct require {};
template <class Error>
struct require<false, Error> : Error {};

template <class Shape>
struct every_dimension_must_be_positive {
    static_assert(always_false<Shape>, "typegrad: every dimension of a shape must be positive; a zero-sized dimension was given");
};

template <class Layer, class Got>
struct dense_needs_a_rank1_input {
    static_assert(always_false<Layer, Got>,
                  "typegrad: a dense layer needs a rank-1 input (one vector per sample); insert tg::flatten before it");
};

template <class Layer, class Got, class Expected>
struct reshape_must_keep_the_number_of_values {
    static_assert(always_false<Layer, Got, Expected>, "typegrad: reshape needs a shape with as many values per sample as its input");
};

template <class Layer, class Got>
struct flatten_needs_an_input_of_rank_2_or_more {
    static_assert(always_false<Layer, Got>, "typegrad: flatten needs an input of rank 2 or more; a rank-1 input is already flat");
};

template <class Layer, class Got>
struct layer_needs_a_rank3_input_channels_height_width {
    static_assert(always_false<Layer, Got>,
                  "typegrad: convolution and pooling layers need a rank-3 input (channels, height, width) per sample");
};

template <class Layer, class Got>
struct kernel_must_fit_in_the_input {
    static_assert(always_false<Layer, Got>, "typegrad: a convolution kernel (or pooling window) is larger than its input");
};

template <class Layer, class Declared, class Got>
struct input_channels_must_match_the_declared_count {
    static_assert(always_false<Layer, Declared, Got>,
                  "typegrad: the input's channel count differs from the one this conv2d layer was declared with (.expects_channels<C>())");
};

template <class Layer, class Got>
struct pooling_windows_must_tile_the_input {
    static_assert(always_false<Layer, Got>,
                  "typegrad: the pooling windows do not tile the input: a last row or column would be left out; change the window or "
                  "stride, pad the input, or drop .must_tile() to leave it out as PyTorch does");
};

template <class Layer, class Left, class Right>
struct operands_must_have_the_same_shape {
    static_assert(always_false<Layer, Left, Right>,
                  "typegrad: an elementwise operation needs operands of the same shape (or one of them a scalar)");
};

template <class Layer, class Left, class Right>
struct concatenated_shapes_must_agree_except_on_the_first_axis {
    static_assert(always_false<Layer, Left, Right>,
                  "typegrad: concatenate needs operands of the same rank whose sizes agree on every axis but the first");
};

template <class Layer, class Output, class Target>
struct loss_target_must_match_the_output_shape {
    static_assert(always_false<Layer, Output, Target>, "typegrad: a loss needs a target of the same shape as the output");
};

template <class Layer, class Logits, class Labels>
struct labels_must_have_as_many_classes_as_the_output {
    static_assert(always_false<Layer, Logits, Labels>,
                  "typegrad: cross-entropy needs labels whose class count equals the size of the rank-1 output");
};

template <class Layer, class Left, class Right>
struct matmul_inner_sizes_must_agree {
    static_assert(always_false<Layer, Left, Right>,
                  "typegrad: matmul(a, b) needs rank-2 operands with a's column count equal to b's row count");
};

template <class Layer, class Got>
struct batch_norm_needs_a_batch_of_features_or_channels {
    static_assert(always_false<Layer, Got>,
                  "typegrad: batch_norm needs a batched rank-1 value (features) or rank-3 value (channels, height, width) per sample");
};

template <class Layer, class Got>
struct softmax_needs_a_rank1_or_higher_input {
    static_assert(always_false<Layer, Got>, "typegrad: softmax and log-softmax need an input of rank 1 or more");
};

template <class Output, class DeclaredInputs>
struct output_does_not_depend_on_the_declared_input {
    static_assert(always_false<Output, DeclaredInputs>,
                  "typegrad: a network output does not depend on the declared input; connect it or drop the input");
};

template <class Output, class Input>
struct output_depends_on_an_undeclared_input {
    static_assert(always_false<Output, Input>,
                  "typegrad: a network output depends on an input that is not among the declared inputs");
};

template <class RootShape>
struct backward_needs_a_scalar_loss {
    static_assert(always_false<RootShape>,
                  "typegrad: backward() needs the graph's first root to be a scalar loss (reduce it with a loss, sum or mean)");
};

}  // namespace errors
}  // namespace typegrad
