#pragma once
// How an operation declares its parameters: a list of blocks, each with the fan-in and fan-out that
// initialisers need. Weights are the blocks weight penalties act on; biases are not.
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
};

// One parameter tensor of a compiled graph, for files and reports (autodiff/parameter_tensors.hpp).
struct parameter_tensor {
    std::string name;  // "<layer>.<block>", the layer being its name or else its index, as in torch.nn.Sequential
    std::size_t offset, size;  // within graph::parameters()
    std::vector<std::size_t> shape;
};

template <class Op, class... Inputs>
constexpr auto param_blocks_of() {
    if constexpr (requires { Op::template param_blocks<Inputs...>; })
        return Op::template param_blocks<Inputs...>;
    else
        return std::array<param_block, 0>{};
}

}  // namespace typegrad
