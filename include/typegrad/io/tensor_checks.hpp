#pragma once
// The checks of a safetensors file's tensors against what a network expects, shared by model files
// (io/model_file.hpp) and checkpoints (train/checkpoint.hpp). Each check adds a line per difference
// instead of throwing, so that one error lists everything that differs; then refuse() throws it.
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <typegrad/expr/parameters.hpp>
#include <typegrad/io/safetensors.hpp>

namespace typegrad::io {

struct tensor_check {
    const safetensors_file& file;
    std::vector<std::string> problems{};
    std::set<std::string> expected{};  // every name checked so far

    // Each of `tensors`, named `prefix` + its name: present, of the network's `type` and of its shape.
    void expect(std::span<const parameter_tensor> tensors, element_type type, std::string_view prefix = "");
    void expect(const std::string& name, element_type type, const std::vector<std::size_t>& shape);
    // Only that it is present: its caller checks the rest. Null if it is missing.
    const stored_tensor* expect_present(const std::string& name);
    // A line for every tensor of the file not expected, which is `description` ("a parameter of this network").
    void no_others(std::string_view description);
    // Throws an io_error "<path>: <what>, nothing was loaded:" listing the problems, if there are any.
    void refuse_if_any(std::string_view what) const;
};

}  // namespace typegrad::io
