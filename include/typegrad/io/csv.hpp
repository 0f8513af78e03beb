#pragma once
// Reader for CSV files of numbers, one row per sample. One column is the target: a value to regress
// (read_csv) or an integer class label (read_csv_classes). The features are every other column in
// file order, or the columns the options list, in the order listed.
//
// Columns are chosen by the name the header row gives them, or by their position. A position counts
// from 0, as C++ does; messages count columns from 1, as editors and spreadsheets do, so index 0 is
// "column 1". A file without a header row (csv_options::header = false) has its columns chosen by
// position only; its columns are then named "column 1", "column 2", ... in the table.
//
// Accepted: LF or CRLF line ends, with or without one after the last row (and empty lines after it);
// a UTF-8 byte-order mark; spaces and tabs around a cell; cells in double quotes on one line (commas
// inside, "" for a quote); numbers as std::from_chars reads them, with an optional leading '+'.
// Columns that are neither the target nor a feature are split into cells but not read as numbers:
// they may hold text (an identifier, a date).
// Refused with an io_error whose message names the file, the line and the column (number and
// name): a missing (empty) cell; a cell that is not a finite number ("abc", "nan", "inf", "1.5x", a
// value beyond float's range of about 3.4e38, such as 1e39 or 1e400); a row with more or fewer cells
// than the header (or, without a header, than the first row); an empty line between rows; a quoted
// cell not closed on its line or with text after its closing quote, and a quote inside an unquoted
// cell; an empty file; a header without rows; an empty or repeated column name; a NUL byte or a lone
// carriage return (not a text file of lines). A value too small for float (below about 1.4e-45 in
// magnitude, such as 1e-50 or 1e-400) reads as 0 with its sign: that is the rounding to float every
// value undergoes, not a wrong answer.
// Refused with an io_error naming the file and the option at fault ("target", "features[2]"): an
// unknown column name; a position beyond the last column, or negative; a name when the file has no
// header; a column chosen twice, or chosen as both the target and a feature; no target given; a
// file with only the target column.
// A class label (read_csv_classes) must be a whole number within a 32-bit integer ("2", "2.0" and
// "+2e0" are 2; "2.5", "1e-400" and "3e9" are refused) and, when csv_options::classes is given, in
// [0, classes); a label that is not is refused with the file, the line and the column.
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <typegrad/io/io_error.hpp>
#include <typegrad/train/dataset.hpp>

namespace typegrad::io {

// A column of a CSV file: by the name its header row gives it, or by its position from 0.
// {.target = "species"} and {.target = 4} both read naturally.
class csv_column {
public:
    csv_column() = default;  // no column; a target must be given
    csv_column(std::string name) : name_{std::move(name)}, by_name_{true}, given_{true} {}
    csv_column(const char* name) : csv_column(std::string(name)) {}
    csv_column(std::string_view name) : csv_column(std::string(name)) {}
    template <std::integral I>
        requires(!std::same_as<I, bool> && !std::same_as<I, char>)
    csv_column(I index) : given_{true} {
        // A negative position is kept to be refused by the reader, naming the file; one beyond any
        // file is kept as the largest, which is out of range for every file.
        if constexpr (std::unsigned_integral<I>)
            index_ = index > static_cast<unsigned long long>(std::numeric_limits<long long>::max()) ? std::numeric_limits<long long>::max()
                                                                                                    : static_cast<long long>(index);
        else
            index_ = static_cast<long long>(index);
    }

    bool given() const { return given_; }
    bool by_name() const { return by_name_; }
    const std::string& name() const { return name_; }  // when by_name()
    long long index() const { return index_; }          // otherwise

private:
    std::string name_{};
    long long index_ = 0;
    bool by_name_ = false, given_ = false;
};

struct csv_options {
    bool header = true;                    // false: every line is a row of data, columns are chosen by position
    csv_column target{};                   // required
    std::vector<csv_column> features{};    // in this order; empty: every column but the target, in file order
    std::optional<std::size_t> classes{};  // read_csv_classes: labels must lie in [0, classes)
};

template <class Target>
struct basic_csv_table {
    std::string path;                        // or the name given to parse_csv
    std::vector<std::string> feature_names;  // in feature order: the header's names, or "column 3" without a header
    std::string target_name;
    // One sample per row: data.features is [rows, feature_names.size()], data.targets is [rows].
    dataset<float, Target> data;
    std::vector<std::size_t> feature_columns{};  // each feature's position in the file, from 0
    std::size_t target_column = 0;

    std::size_t rows() const { return data.targets.size(); }
};

using csv_table = basic_csv_table<float>;               // regression: the target is a number
using csv_class_table = basic_csv_table<std::int32_t>;  // classification: the target is a class label

// The target column chosen by name, every other column a feature.
csv_table read_csv(const std::filesystem::path& path, std::string_view target_column);
csv_table read_csv(const std::filesystem::path& path, const csv_options& options);
csv_class_table read_csv_classes(const std::filesystem::path& path, const csv_options& options);

// The same for a file's contents already in memory; `name` stands for the path in the result and in
// error messages.
csv_table parse_csv(std::string_view text, std::string name, std::string_view target_column);
csv_table parse_csv(std::string_view text, std::string name, const csv_options& options);
csv_class_table parse_csv_classes(std::string_view text, std::string name, const csv_options& options);

}  // namespace typegrad::io
