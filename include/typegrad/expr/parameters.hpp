#pragma once
// How an operation declares its parameters: a list of blocks, each with the fan-in and fan-out that
// initialisers need. Weights are the blocks weight penalties act on; biases are not.
#include <array>
#include <cstddef>
#include <string_view>

namespace typegrad {

enum class init_scheme { glorot_uniform, glorot_normal, he_uniform, he_normal, zeros };

struct param_block {
    std::string_view name;  // "weight", "bias": PyTorch's names for the same tensors
    std::size_t size;
    std::size_t fan_in;
    std::size_t fan_out;
    bool is_weight;
};

template <class Op, class... Inputs>
constexpr auto param_blocks_of() {
    if constexpr (requires { Op::template param_blocks<Inputs...>; })
        return Op::template param_blocks<Inputs...>;
    else
        return std::array<param_block, 0>{};
}

}  // namespace typegrad
