#pragma once
// What the fuzzers (fuzz/*.cpp) and the corpus test (tests/io/test_fuzz_corpus.cpp) require of a
// reader beyond not crashing: that what it returns keeps the promises of its header. Each function
// returns a description of the first broken promise, or an empty string.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

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

template <class Target>
std::string broken_promise(const io::basic_csv_table<Target>& table, std::optional<std::size_t> classes = {}) {
    if (table.rows() == 0) return "a CSV table without rows";
    if (table.data.feature_size != table.feature_names.size() || table.data.features.size() != table.rows() * table.feature_names.size())
        return "CSV features are not [rows, feature names]";
    if (table.feature_columns.size() != table.feature_names.size()) return "CSV feature columns and feature names differ in number";
    std::set<std::string> names{table.feature_names.begin(), table.feature_names.end()};
    if (names.size() != table.feature_names.size() || names.contains(table.target_name) || names.contains(""))
        return "CSV column names that are empty or repeated";
    std::set<std::size_t> columns{table.feature_columns.begin(), table.feature_columns.end()};
    if (columns.size() != table.feature_columns.size() || columns.contains(table.target_column)) return "CSV columns chosen twice";
    for (const float v : table.data.features)
        if (!std::isfinite(v)) return "a CSV value that is not finite";
    for (const Target t : table.data.targets) {
        if constexpr (std::is_same_v<Target, float>) {
            if (!std::isfinite(t)) return "a CSV value that is not finite";
        } else if (classes && (t < 0 || static_cast<std::size_t>(t) >= *classes)) {
            return "a CSV class label out of range";
        }
    }
    return {};
}

// The modes of the CSV reader tried on every input, besides read_csv(path, csv_target): chosen
// features by name, a file without a header with columns by position, class labels.
struct csv_mode {
    io::csv_options options;
    bool classes;
};

inline std::vector<csv_mode> csv_modes() {
    return {{{.target = csv_target}, false},
            {{.target = csv_target, .features = {"b", "a"}}, false},
            {{.header = false, .target = 1, .features = {2, 0}}, false},
            {{.header = false, .target = 0}, true},
            {{.target = csv_target, .classes = 3}, true}};
}

// What reading an input in every mode found: the first broken promise, or nothing. Refusals are
// expected; one whose message does not start with the input's name is a broken promise.
struct csv_modes_result {
    std::string broken;
};

inline std::string broken_promise(const csv_modes_result& result) { return result.broken; }

inline csv_modes_result read_in_every_mode(std::string_view text, const std::string& name) {
    for (const auto& mode : csv_modes()) {
        try {
            const std::string broken = mode.classes ? broken_promise(io::parse_csv_classes(text, name, mode.options), mode.options.classes)
                                                    : broken_promise(io::parse_csv(text, name, mode.options));
            if (!broken.empty()) return {broken};
        } catch (const io::io_error& e) {
            if (!std::string_view(e.what()).starts_with(name + ": ")) return {"a CSV refusal that does not start with the input's name: " + std::string(e.what())};
        }
    }
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
