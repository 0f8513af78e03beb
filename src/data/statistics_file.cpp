#include "statistics_file.hpp"

#include <charconv>
#include <cmath>
#include <cstring>
#include <system_error>

namespace typegrad::data_detail {

statistics_file::statistics_file(const std::filesystem::path& path, std::string kind) : file_{io::read_safetensors(path)}, kind_{std::move(kind)} {}

std::vector<double> statistics_file::values(const std::string& name, std::size_t rank, std::vector<std::size_t>& shape) {
    asked_.insert(name);
    const auto found = file_.tensors.find(name);
    if (found == file_.tensors.end()) {
        fault("tensor \"" + name + "\" is missing");
        return {};
    }
    const io::stored_tensor& t = found->second;
    shape = t.shape;
    if (t.type != io::element_type::f64) {
        fault("tensor \"" + name + "\" is " + std::string(io::name_of(t.type)) + ", a " + kind_ + " stores F64");
        return {};
    }
    if (t.shape.size() != rank) {
        fault("tensor \"" + name + "\" has shape " + io::shape_text(t.shape) + ", a " + kind_ + "'s has " + std::to_string(rank) +
              (rank == 1 ? " dimension" : " dimensions"));
        return {};
    }
    if (t.end == t.begin) {
        fault("tensor \"" + name + "\" has shape " + io::shape_text(t.shape) + ": no values (a " + kind_ + " has at least one feature)");
        return {};
    }
    std::vector<double> values((t.end - t.begin) / sizeof(double));
    std::memcpy(values.data(), file_.data.data() + t.begin, t.end - t.begin);  // the reader has checked the range; the data is little-endian, as this host
    return values;
}

void statistics_file::check_values(const std::string& name, const std::vector<double>& values, bool positive) {
    for (std::size_t i = 0; i < values.size(); ++i)
        if (!std::isfinite(values[i]) || (positive && !(values[i] > 0))) {
            fault("tensor \"" + name + "\" holds " + exact_text(values[i]) + " at index " + std::to_string(i) + ": each value must be " +
                  (positive ? "positive and finite" : "finite"));
            return;
        }
}

const std::string* statistics_file::metadata(const std::string& key) {
    const auto found = file_.metadata.find(key);
    if (found != file_.metadata.end()) return &found->second;
    fault("the metadata has no entry \"" + key + "\"");
    return nullptr;
}

void statistics_file::refuse_if_any() {
    for (const auto& [name, tensor] : file_.tensors)
        if (!asked_.contains(name)) fault("tensor \"" + name + "\" is not part of a " + kind_);
    if (faults_.empty()) return;
    std::string message = file_.path + ": cannot load a " + kind_ + " from this file:";
    for (const auto& f : faults_) message += "\n  " + f;
    throw io::io_error(message);
}

std::string exact_text(double value) {
    if (std::isnan(value)) return "nan";
    char text[64];
    const auto end = std::to_chars(text, text + sizeof text, value).ptr;  // shortest round trip; inf as "inf"
    return {text, end};
}

bool read_exact(std::string_view text, double& value) {
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    return error == std::errc{} && end == text.data() + text.size() && !text.empty() && std::isfinite(value);
}

}  // namespace typegrad::data_detail
