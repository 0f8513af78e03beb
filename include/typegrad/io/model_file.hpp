#pragma once
// A compiled graph's parameters and state in a safetensors file, named and shaped as PyTorch names and
// shapes them in a state_dict (see graph::parameter_tensors and state_tensors; counts, such as a batch
// normalisation's num_batches_tracked, as I64 scalars). Loading checks every tensor's name, dtype and
// shape against the network before it changes anything: it loads all of the file or nothing.
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

#include <typegrad/autodiff/graph.hpp>
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
    const auto state = graph.state_tensors();
    std::vector<std::int64_t> counts;
    counts.reserve(state.size());  // stable addresses for the tensors below
    for (const auto& t : state) {
        if (t.is_count) {
            counts.push_back(std::int64_t(graph.state()[t.offset]));
            tensors.push_back({t.name, element_type::i64, t.shape, &counts.back()});
        } else {
            tensors.push_back({t.name, element_type_of<T>, t.shape, graph.state().data() + t.offset});
        }
    }
    write_safetensors(path, tensors, metadata);
}

// Returns the file's metadata.
template <class Graph>
std::map<std::string, std::string> load_parameters(Graph& graph, const std::filesystem::path& path) {
    using T = typename Graph::value_type;
    const safetensors_file file = read_safetensors(path);
    const auto expected = graph.parameter_tensors();
    const auto state = graph.state_tensors();
    tensor_check check{file};
    check.expect(expected, element_type_of<T>);
    for (const auto& t : state) check.expect(t.name, t.is_count ? element_type::i64 : element_type_of<T>, t.shape);
    check.no_others("a parameter or state of this network");
    check.refuse_if_any("does not fit this network");
    for (const auto& t : expected) {
        const stored_tensor& s = file.tensors.at(t.name);
        std::memcpy(graph.parameters().data() + t.offset, file.data.data() + s.begin, s.end - s.begin);
    }
    for (const auto& t : state) {
        const stored_tensor& s = file.tensors.at(t.name);
        if (t.is_count) {
            std::int64_t count = 0;
            std::memcpy(&count, file.data.data() + s.begin, sizeof count);
            graph.state()[t.offset] = static_cast<T>(count);
        } else {
            std::memcpy(graph.state().data() + t.offset, file.data.data() + s.begin, s.end - s.begin);
        }
    }
    return file.metadata;
}

}  // namespace typegrad::io
