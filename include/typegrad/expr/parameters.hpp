#pragma once
// How an operation declares its parameters: a list of blocks, each with the fan-in and fan-out that
// initialisers need. Weights are the blocks weight penalties act on and initialisers draw; the others
// (biases, a normalisation's scale) start at a constant. An operation may also keep state that is not
// trained but updated by its forward pass (a batch normalisation's running statistics, PyTorch's
// "buffers"): state blocks.
#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace typegrad {

enum class init_scheme { glorot_uniform, glorot_normal, he_uniform, he_normal, zeros };

struct param_block {
    std::string_view name;  // "weight", "bias": PyTorch's names for the same tensors
    std::size_t size;
    std::size_t fan_in;
    std::size_t fan_out;
    bool is_weight;
    std::array<std::size_t, 4> dims;  // the tensor's shape as PyTorch lays it out; unused trailing dims are 0
    double constant = 0;              // the starting value of a block that is not a weight
};

struct state_block {
    std::string_view name;  // PyTorch's: "running_mean", "running_var", "num_batches_tracked"
    std::size_t size;
    std::array<std::size_t, 4> dims;  // as in param_block; all 0 for a scalar
    double initial;
    bool is_count = false;  // an integer count, stored as I64 in files as PyTorch stores it
};

// One parameter (or state) tensor of a compiled graph, for files and reports (autodiff/tape_runtime.hpp).
struct parameter_tensor {
    std::string name;  // "<layer>.<block>", the layer being its name or else its index, as in torch.nn.Sequential
    std::size_t offset, size;  // within graph::parameters() (graph::state() for state tensors)
    std::vector<std::size_t> shape;
    bool is_count = false;  // state only: an integer count (see state_block)
};

template <class Op, class... Inputs>
constexpr auto param_blocks_of() {
    if constexpr (requires { Op::template param_blocks<Inputs...>; })
        return Op::template param_blocks<Inputs...>;
    else
        return std::array<param_block, 0>{};
}
template <class Op, class... Inputs>
constexpr auto state_blocks_of() {
    if constexpr (requires { Op::template state_blocks<Inputs...>; })
        return Op::template state_blocks<Inputs...>;
    else
        return std::array<state_block, 0>{};
}

}  // namespace typegrad
