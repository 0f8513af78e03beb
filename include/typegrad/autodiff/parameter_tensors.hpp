#pragma once
// graph::parameter_tensors(): names and shapes of a compiled graph's parameters, for model files.
// A named layer is called by its name; any other layer by its index among the graph's operations
// in tape order, which for a chain from one input is its index in the equivalent torch.nn.Sequential.
#include <string>
#include <vector>

#include <typegrad/autodiff/graph.hpp>

namespace typegrad {

template <class T, class... Roots>
std::vector<parameter_tensor> graph<T, Roots...>::parameter_tensors() const {
    std::vector<parameter_tensor> tensors;
    std::size_t layer_index = 0;
    for (std::size_t p = 0; p < position_count; ++p) {
        const position_info& info = info_[p];
        if (info.feed != feed_kind::none || canonical_[p] != p) continue;
        const std::size_t index = layer_index++;
        if (param_offset_[p] == npos || !initialises_[p]) continue;  // no parameters, or shared with an earlier layer
        const std::string layer = info.name.empty() ? std::to_string(index) : std::string(info.name);
        std::size_t offset = param_offset_[p];
        for (const param_block& block : info.blocks) {
            std::vector<std::size_t> shape;
            for (const std::size_t d : block.dims)
                if (d != 0) shape.push_back(d);
            tensors.push_back({layer + "." + std::string(block.name), offset, block.size, std::move(shape)});
            offset += block.size;
        }
    }
    return tensors;
}

}  // namespace typegrad
