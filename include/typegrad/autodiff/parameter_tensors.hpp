#pragma once
// graph::parameter_tensors() and state_tensors(): names and shapes of a compiled graph's parameters and
// state, for model files.
// A named layer is called by its name; any other layer by its index among the graph's operations
// in tape order, which for a chain from one input is its index in the equivalent torch.nn.Sequential.
#include <string>
#include <vector>

#include <typegrad/autodiff/graph.hpp>

namespace typegrad {

// Calls add(slot, layer) for every layer that owns parameters or state (not one sharing a name's),
// `layer` being its name or else its index among the graph's operations in tape order.
template <class T, class... Roots>
template <class Add>
void graph<T, Roots...>::for_each_owning_layer(Add&& add) const {
    std::size_t layer_index = 0;
    for (std::size_t s = 0; s < slots_.size(); ++s) {
        const position_info& info = slots_[s];
        if (info.feed != feed_kind::none) continue;
        const std::size_t index = layer_index++;
        if (initialises_[s]) add(s, info.name.empty() ? std::to_string(index) : std::string(info.name));
    }
}

template <class Block>
std::vector<std::size_t> shape_of(const Block& block) {
    std::vector<std::size_t> shape;
    for (const std::size_t d : block.dims)
        if (d != 0) shape.push_back(d);
    return shape;
}

template <class T, class... Roots>
std::vector<parameter_tensor> graph<T, Roots...>::parameter_tensors() const {
    std::vector<parameter_tensor> tensors;
    for_each_owning_layer([&](std::size_t s, const std::string& layer) {
        std::size_t offset = param_offset_[s];
        for (const param_block& block : slots_[s].blocks) {
            tensors.push_back({layer + "." + std::string(block.name), offset, block.size, shape_of(block)});
            offset += block.size;
        }
    });
    return tensors;
}

template <class T, class... Roots>
std::vector<parameter_tensor> graph<T, Roots...>::state_tensors() const {
    std::vector<parameter_tensor> tensors;
    for_each_owning_layer([&](std::size_t s, const std::string& layer) {
        std::size_t offset = state_offset_[s];
        for (const state_block& block : slots_[s].state_blocks) {
            tensors.push_back({layer + "." + std::string(block.name), offset, block.size, shape_of(block), block.is_count});
            offset += block.size;
        }
    });
    return tensors;
}

}  // namespace typegrad
