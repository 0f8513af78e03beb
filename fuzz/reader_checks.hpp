#pragma once
// What the fuzzers (fuzz/*.cpp) and the corpus test (tests/io/test_fuzz_corpus.cpp) require of a
// reader beyond not crashing: that what it returns keeps the promises of its header. Each function
// returns a description of the first broken promise, or an empty string.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <span>
#include <string>

#include <typegrad/io/csv.hpp>
#include <typegrad/io/idx.hpp>
#include <typegrad/io/safetensors.hpp>

namespace typegrad::fuzz {

// The target column of the CSV inputs: a name short enough for the fuzzer to find and keep.
inline constexpr const char* csv_target = "y";

inline std::string broken_promise(const io::idx_array& array) {
    if (array.dims.empty()) return "an IDX array without dimensions";
    if (array.values.size() != array.element_count())
        return std::to_string(array.values.size()) + " IDX values for " + std::to_string(array.element_count()) + " elements";
    return {};
}

inline std::string broken_promise(const io::csv_table& table) {
    if (table.rows() == 0) return "a CSV table without rows";
    if (table.data.feature_size != table.feature_names.size() || table.data.features.size() != table.rows() * table.feature_names.size())
        return "CSV features are not [rows, feature names]";
    std::set<std::string> names{table.feature_names.begin(), table.feature_names.end()};
    if (names.size() != table.feature_names.size() || names.contains(table.target_name) || names.contains(""))
        return "CSV column names that are empty or repeated";
    for (const auto* values : {&table.data.features, &table.data.targets})
        for (const float v : *values)
            if (!std::isfinite(v)) return "a CSV value that is not finite";
    return {};
}

inline std::string broken_promise(const io::safetensors_file& file) {
    for (const auto& [name, t] : file.tensors) {
        std::size_t count = 1;
        for (const std::size_t d : t.shape) count *= d;  // the reader has checked that this does not overflow
        if (t.begin > t.end || t.end > file.data.size() || t.end - t.begin != count * io::bytes_of(t.type))
            return "safetensors tensor \"" + name + "\" does not lie within the data or does not match its shape";
    }
    return {};
}

// One fuzz input: an io_error is the expected answer to a bad input; anything else is a bug, which
// libFuzzer reports with the input (an escaping exception aborts the process, as does this).
template <class Parse>
int fuzz_one(const std::uint8_t* data, std::size_t size, Parse parse) {
    try {
        const std::string broken = broken_promise(parse(std::as_bytes(std::span(data, size))));
        if (!broken.empty()) {
            std::fprintf(stderr, "broken promise: %s\n", broken.c_str());
            std::abort();
        }
    } catch (const io::io_error&) {
    }
    return 0;
}

}  // namespace typegrad::fuzz
