#include <typegrad/io/tensor_checks.hpp>

namespace typegrad::io {

void tensor_check::expect(const std::string& name, element_type type, const std::vector<std::size_t>& shape) {
    const stored_tensor* found = expect_present(name);
    if (!found) return;
    const stored_tensor& s = *found;
    if (s.type != type)
        problems.push_back("tensor \"" + name + "\" is " + std::string(name_of(s.type)) + ", the network computes in " + std::string(name_of(type)));
    else if (s.shape != shape)
        problems.push_back("tensor \"" + name + "\" has shape " + shape_text(s.shape) + ", the network's is " + shape_text(shape));
}

const stored_tensor* tensor_check::expect_present(const std::string& name) {
    expected.insert(name);
    const auto found = file.tensors.find(name);
    if (found != file.tensors.end()) return &found->second;
    problems.push_back("tensor \"" + name + "\" is missing");
    return nullptr;
}

void tensor_check::expect(std::span<const parameter_tensor> tensors, element_type type, std::string_view prefix) {
    for (const auto& t : tensors) expect(std::string(prefix) + t.name, type, t.shape);
}

void tensor_check::no_others(std::string_view description) {
    for (const auto& [name, tensor] : file.tensors)
        if (!expected.contains(name)) problems.push_back("tensor \"" + name + "\" is not " + std::string(description));
}

void tensor_check::refuse_if_any(std::string_view what) const {
    if (problems.empty()) return;
    std::string message = file.path + ": " + std::string(what) + ", nothing was loaded:";
    for (const auto& p : problems) message += "\n  " + p;
    throw io_error(message);
}

}  // namespace typegrad::io
