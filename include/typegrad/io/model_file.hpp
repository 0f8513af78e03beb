#pragma once
// A compiled graph's parameters in a safetensors file, named and shaped as PyTorch names and shapes
// them (see graph::parameter_tensors). Loading checks every tensor's name, dtype and shape against
// the network before it changes anything: it loads all of the file or nothing.
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

#include <typegrad/autodiff/parameter_tensors.hpp>
#include <typegrad/io/safetensors.hpp>
#include <typegrad/io/tensor_checks.hpp>

namespace typegrad::io {

template <class T>
inline constexpr element_type element_type_of = std::is_same_v<T, float> ? element_type::f32 : element_type::f64;

template <class Graph>
void save_parameters(const Graph& graph, const std::filesystem::path& path, const std::map<std::string, std::string>& metadata = {}) {
    using T = typename Graph::value_type;
    std::vector<tensor_to_write> tensors;
    for (auto& t : graph.parameter_tensors())
        tensors.push_back({std::move(t.name), element_type_of<T>, std::move(t.shape), graph.parameters().data() + t.offset});
    write_safetensors(path, tensors, metadata);
}

// Returns the file's metadata.
template <class Graph>
std::map<std::string, std::string> load_parameters(Graph& graph, const std::filesystem::path& path) {
    using T = typename Graph::value_type;
    const safetensors_file file = read_safetensors(path);
    const auto expected = graph.parameter_tensors();
    tensor_check check{file};
    check.expect(expected, element_type_of<T>);
    check.no_others("a parameter of this network");
    check.refuse_if_any("does not fit this network");
    for (const auto& t : expected) {
        const stored_tensor& s = file.tensors.at(t.name);
        std::memcpy(graph.parameters().data() + t.offset, file.data.data() + s.begin, s.end - s.begin);
    }
    return file.metadata;
}

}  // namespace typegrad::io
