#pragma once
// Reader for CSV files of numbers: a header row naming the columns, then one row per sample. One
// column, chosen by name, is the regression target; the others, in file order, are the features.
//
// Accepted: LF or CRLF line ends, with or without one after the last row (and empty lines after it);
// a UTF-8 byte-order mark; spaces and tabs around a cell; cells in double quotes on one line (commas
// inside, "" for a quote); numbers as std::from_chars reads them, with an optional leading '+'.
// Refused with an io_error whose message names the file, the line and the column (number and
// name): a missing (empty) cell; a cell that is not a finite number ("abc", "nan", "inf", "1.5x", a
// value beyond float's range of about 3.4e38, such as 1e39 or 1e400); a row with more or fewer cells
// than the header; an empty line between rows; a quoted cell not closed on its line or with text after
// its closing quote, and a quote inside an unquoted cell; an empty file; a header without rows; an
// empty or repeated column name; an unknown target column; a file with only the target column; a NUL
// byte or a lone carriage return (not a text file of lines). A value too small for float (below about
// 1.4e-45 in magnitude, such as 1e-50 or 1e-400) reads as 0 with its sign: that is the rounding to
// float every value undergoes, not a wrong answer.
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <typegrad/io/io_error.hpp>
#include <typegrad/train/dataset.hpp>

namespace typegrad::io {

struct csv_table {
    std::string path;                        // or the name given to parse_csv
    std::vector<std::string> feature_names;  // the header's names without the target's, in file order
    std::string target_name;
    // One sample per row: data.features is [rows, feature_names.size()], data.targets is [rows].
    dataset<float> data;

    std::size_t rows() const { return data.targets.size(); }
};

csv_table read_csv(const std::filesystem::path& path, std::string_view target_column);

// The same for a file's contents already in memory; `name` stands for the path in the result and in
// error messages.
csv_table parse_csv(std::string_view text, std::string name, std::string_view target_column);

}  // namespace typegrad::io
