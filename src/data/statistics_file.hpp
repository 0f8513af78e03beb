#pragma once
// What the fitted preprocessing steps (standardizer, whitener) share in their safetensors files: the
// statistics are F64 tensors, read back with every name, dtype, shape and value checked before the
// step is built, and one message listing every fault.
#include <cstddef>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <typegrad/io/safetensors.hpp>

namespace typegrad::data_detail {

class statistics_file {
public:
    // Reads and validates the file as a safetensors file; `kind` ("standardizer") is what it must hold.
    statistics_file(const std::filesystem::path& path, std::string kind);

    // The values of the F64 tensor `name`, which must have `rank` dimensions; its shape goes to
    // `shape`. Empty, with a fault noted, if it is missing, of another dtype or rank, or empty.
    std::vector<double> values(const std::string& name, std::size_t rank, std::vector<std::size_t>& shape);
    // Notes a fault for the first value that is not finite, or (if `positive`) not above 0.
    void check_values(const std::string& name, const std::vector<double>& values, bool positive);
    // The metadata entry `key`; null, with a fault noted, if there is none.
    const std::string* metadata(const std::string& key);

    void fault(std::string text) { faults_.push_back(std::move(text)); }
    const std::string& path() const { return file_.path; }
    // Notes a fault for every tensor not asked for, then throws an io_error "<path>: cannot load a
    // <kind> from this file:" listing the faults, if there are any.
    void refuse_if_any();

private:
    io::safetensors_file file_;
    std::string kind_;
    std::vector<std::string> faults_;
    std::set<std::string> asked_;
};

// The shortest text that reads back (std::from_chars) as the same double.
std::string exact_text(double value);

// `text` read whole as a finite double, or false.
bool read_exact(std::string_view text, double& value);

}  // namespace typegrad::data_detail
