// The CSV reader: what it accepts, and a message naming the file, the line and the column for every
// kind of bad input.
#define BOOST_TEST_MODULE csv
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "scratch_directory.hpp"
#include "message_has.hpp"
#include <typegrad/io/csv.hpp>

namespace fs = std::filesystem;
namespace io = typegrad::io;

namespace {

using typegrad::testing::scratch_directory;

using typegrad::testing::message_has;

// Each case: the file's contents and what its message must say after "<file>: ".
using cases = std::vector<std::pair<std::string, std::string>>;

void check_refused(const cases& all, const std::string& target = "y") {
    scratch_directory dir{"typegrad-csv"};
    for (const auto& c : all) {
        const fs::path p = dir.write("bad.csv", c.first);
        const std::string& expected = c.second;  // a plain reference: clang 14 lambdas cannot capture structured bindings
        BOOST_CHECK_EXCEPTION(io::read_csv(p, target), io::io_error,
                              [&](const io::io_error& e) { return message_has(e, {p.string() + ": " + expected}); });
    }
}

}  // namespace

BOOST_AUTO_TEST_CASE(features_and_target_in_file_order) {
    scratch_directory dir{"typegrad-csv"};
    const auto table = io::read_csv(dir.write("gas.csv", "n,T,p\n1,300,2494.2\n2,350.5,-5.8e3\n"), "T");
    BOOST_TEST(table.path == (dir.path / "gas.csv").string());
    BOOST_TEST((table.feature_names == std::vector<std::string>{"n", "p"}));
    BOOST_TEST(table.target_name == "T");
    BOOST_TEST(table.rows() == 2u);
    BOOST_TEST(table.data.feature_size == 2u);
    BOOST_TEST(table.data.size() == 2u);
    BOOST_TEST((table.data.features == std::vector<float>{1, 2494.2f, 2, -5.8e3f}));
    BOOST_TEST((table.data.targets == std::vector<float>{300, 350.5f}));
}

BOOST_AUTO_TEST_CASE(what_spreadsheets_write_is_accepted) {
    // A byte-order mark, CRLF, quoted names with commas and quotes, spaces around cells, a '+',
    // quoted numbers, no line end after the last row, then the same with empty lines at the end.
    const std::string text = "\xEF\xBB\xBF\"length, m\" ,\t\"say \"\"hi\"\"\", y\r\n 1.5 , +2 ,\"-3\"\r\n.5,2.,1e-3";
    for (const char* ending : {"", "\r\n", "\n\n\r\n"}) {
        const auto table = io::parse_csv(text + ending, "sheet", "y");
        BOOST_TEST((table.feature_names == std::vector<std::string>{"length, m", "say \"hi\""}));
        BOOST_TEST((table.data.features == std::vector<float>{1.5f, 2, 0.5f, 2}));
        BOOST_TEST((table.data.targets == std::vector<float>{-3, 1e-3f}));
    }
}

BOOST_AUTO_TEST_CASE(contents_in_memory_are_named_as_given) {
    BOOST_TEST(io::parse_csv("a,y\n1,2\n", "the upload", "y").path == "the upload");
    BOOST_CHECK_EXCEPTION(io::parse_csv("a,y\n1,x\n", "the upload", "y"), io::io_error,
                          [](const io::io_error& e) { return message_has(e, {"the upload: line 2, column 2 (\"y\"): \"x\" is not a number"}); });
}

BOOST_AUTO_TEST_CASE(missing_file) {
    scratch_directory dir{"typegrad-csv"};
    BOOST_CHECK_EXCEPTION(io::read_csv(dir.path / "none.csv", "y"), io::io_error,
                          [&](const io::io_error& e) { return message_has(e, {"none.csv: cannot open (No such file or directory)"}); });
    BOOST_CHECK_EXCEPTION(io::read_csv(dir.path, "y"), io::io_error, [&](const io::io_error& e) { return message_has(e, {"read error", "Is a directory"}); });
}

BOOST_AUTO_TEST_CASE(empty_file) {
    check_refused({{"", "empty file: expected a header row naming the columns"},
                   {"\n\r\n\n", "empty file: expected a header row naming the columns"},
                   {"\xEF\xBB\xBF", "empty file"}});
}

BOOST_AUTO_TEST_CASE(a_header_without_rows) {
    check_refused({{"x,y", "a header (line 1) but no rows of data"}, {"x,y\r\n\r\n", "a header (line 1) but no rows of data"}});
}

BOOST_AUTO_TEST_CASE(truncated_header) {
    check_refused({{"x,\"y", "line 1, column 2: a quoted cell is not closed on its line (cells may not span lines)"},
                   {"x,\"y\n1,2\n", "line 1, column 2: a quoted cell is not closed"},
                   {"x,", "line 1, column 2: the header gives this column no name"}});
}

BOOST_AUTO_TEST_CASE(truncated_data) {
    check_refused({{"x,y\n1,2\n3", "line 3 has 1 cell, the header (line 1) has 2 columns"},
                   {"x,y\n1,2\n3,4.5e", "line 3, column 2 (\"y\"): \"4.5e\" is not a number"},
                   {"x,y\n1,2\n3,", "line 3, column 2 (\"y\"): missing value (an empty cell)"}});
}

BOOST_AUTO_TEST_CASE(sizes_that_overflow) {
    // A float holds magnitudes up to about 3.4e38; from_chars's double up to about 1.8e308, beyond which
    // it says only "out of range" (as it does for numbers too small for a double).
    check_refused({{"x,y\n1,1e39\n", "line 2, column 2 (\"y\"): \"1e39\" is beyond float's range (about 3.4e38)"},
                   {"x,y\n-4e38,1\n", "line 2, column 1 (\"x\"): \"-4e38\" is beyond float's range"},
                   {"x,y\n1,2\n1e400,1\n", "line 3, column 1 (\"x\"): \"1e400\" is beyond float's range"},
                   {"x,y\n1,2\n-0.0001e99999999999999999999,1\n", "line 3, column 1 (\"x\"): \"-0.0001e99999999999999999999\" is beyond float's range"},
                   {"x,y\n1,2\n1,1e400x\n", "line 3, column 2 (\"y\"): \"1e400x\" is not a number"},
                   {"x,y\n1," + std::string(400, '9') + "\n", "line 2, column 2 (\"y\"): \"" + std::string(40, '9') + "...\" is beyond float's range"}});
}

// Numbers too small for float, even for a double, read as 0 with their sign: the rounding to float
// (an absolute error below 1.4e-45), not a wrong answer. Float's subnormals are kept.
BOOST_AUTO_TEST_CASE(sizes_that_underflow_read_as_zero) {
    const std::string text = "x,y\n1e-50,1e-400\n-1e-400,-0.00001e-999999999999999999999\n" + std::string("0.") + std::string(400, '0') + "1,1e-40\n" +
                             "1000e-330,2e-45\n";
    const auto table = io::parse_csv(text, "tiny", "y");
    BOOST_TEST((table.data.features == std::vector<float>{0, 0, 0, 0}));
    BOOST_TEST(std::signbit(table.data.features[1]));  // -1e-400 is -0
    BOOST_TEST(table.data.targets[0] == 0.0f);
    BOOST_TEST(std::signbit(table.data.targets[1]));
    BOOST_TEST(table.data.targets[2] == static_cast<float>(1e-40));  // a float subnormal
    BOOST_TEST(table.data.targets[3] == std::numeric_limits<float>::denorm_min());  // 2e-45 rounds to the smallest
}

BOOST_AUTO_TEST_CASE(a_file_of_another_format) {
    // CSV has no magic number; a binary file shows itself by its NUL bytes, an old Mac text file by
    // carriage returns without line feeds.
    check_refused({{std::string("\0\0\x08\x01\0\0\0\x02\x07\x01", 10), "line 1: a NUL byte: this is not a text file"},
                   {std::string("\x1F\x8B\x08\0\0\0\0\0\0\x03", 10), "line 1: a NUL byte"},
                   {"x,y\n1,2\n3,4\r5,6\r", "line 3: a carriage return inside a line"}});
}

BOOST_AUTO_TEST_CASE(cells_that_are_not_numbers) {
    check_refused({{"x,y\n1,2\nabc,3\n", "line 3, column 1 (\"x\"): \"abc\" is not a number"},
                   {"x,y\n1,nan\n", "line 2, column 2 (\"y\"): \"nan\" is not a finite number"},
                   {"x,y\n-inf,2\n", "line 2, column 1 (\"x\"): \"-inf\" is not a finite number"},
                   {"x,y\n1.5x,2\n", "line 2, column 1 (\"x\"): \"1.5x\" is not a number"},
                   {"x,y\n0x10,2\n", "line 2, column 1 (\"x\"): \"0x10\" is not a number"},
                   {"x,y\n--1,2\n", "line 2, column 1 (\"x\"): \"--1\" is not a number"},
                   {"x,y\n+-1,2\n", "line 2, column 1 (\"x\"): \"+-1\" is not a number"},
                   {"x,y\n1 2,3\n", "line 2, column 1 (\"x\"): \"1 2\" is not a number"},
                   {"x,y\nNA,3\n", "line 2, column 1 (\"x\"): \"NA\" is not a number"},
                   {"x,y\n\"\",3\n", "line 2, column 1 (\"x\"): missing value"},
                   {"x,\"p, kPa\",y\n1, ,3\n", "line 2, column 2 (\"p, kPa\"): missing value (an empty cell)"}});
}

BOOST_AUTO_TEST_CASE(rows_of_the_wrong_length) {
    check_refused({{"x,y\n1,2,3\n", "line 2 has 3 cells, the header (line 1) has 2 columns"},
                   {"a,b,y\n1,2,3\n4,5\n", "line 3 has 2 cells, the header (line 1) has 3 columns"},
                   {"x,y\n1,\"2\"\n1,2,\n", "line 3 has 3 cells"},
                   {"x,y\n1,2\n   \n", "line 3 has 1 cell"}});
}

BOOST_AUTO_TEST_CASE(the_target_column) {
    check_refused({{"a,b\n1,2\n", "no column is named \"y\" (the header, line 1, names \"a\", \"b\")"},
                   {"1,2\n3,4\n", "no column is named \"y\" (the header, line 1, names \"1\", \"2\"); the first line looks like data: the file needs a header row"},
                   {"y\n1\n", "the only column is the target \"y\": there are no features"}});
}

BOOST_AUTO_TEST_CASE(column_names) {
    check_refused({{"x,y,x\n1,2,3\n", "line 1, column 3 (\"x\"): the header names columns 1 and 3 alike"},
                   {"x, \"y\" ,y\n1,2,3\n", "line 1, column 3 (\"y\"): the header names columns 2 and 3 alike"},
                   {"x,,y\n1,2,3\n", "line 1, column 2: the header gives this column no name"}});
}

BOOST_AUTO_TEST_CASE(empty_lines_between_rows) {
    check_refused({{"x,y\n1,2\n\n3,4\n", "line 3 is empty, and a row follows it"}, {"\nx,y\n1,2\n", "line 1 is empty, and a row follows it"}});
}

BOOST_AUTO_TEST_CASE(quotes_that_do_not_close_a_cell) {
    check_refused({{"x,y\n\"1\"2,3\n", "line 2, column 1: text after the closing quote of a quoted cell: \"2,3\""},
                   {"x,y\n1,2\"\n", "line 2, column 2: a quote inside an unquoted cell \"2\\\"\""}});
}

// ---- options: the target by name or position, chosen features, files without a header, class labels ----

namespace {

// Each case refused by parse_csv (or parse_csv_classes) with these options; the contents are named
// "table.csv".
void check_refused_with(const cases& all, const io::csv_options& options, bool classes = false) {
    for (const auto& c : all) {
        const std::string& expected = c.second;
        const auto parse = [&] {
            if (classes) return io::parse_csv_classes(c.first, "table.csv", options).rows();
            return io::parse_csv(c.first, "table.csv", options).rows();
        };
        BOOST_CHECK_EXCEPTION(parse(), io::io_error, [&](const io::io_error& e) { return message_has(e, {"table.csv: " + expected}); });
    }
}

}  // namespace

BOOST_AUTO_TEST_CASE(class_labels) {
    // "2.0" and "+1e0" are whole numbers; a spreadsheet that once held a fraction in the column writes them so.
    const auto table = io::parse_csv_classes("a,b,species\n1,2,0\n3,4,2.0\n5,6,+1e0\n7,8, 20e-1 \n", "iris", {.target = "species", .classes = 3});
    BOOST_TEST(table.path == "iris");
    BOOST_TEST(table.target_name == "species");
    BOOST_TEST(table.target_column == 2u);
    BOOST_TEST((table.feature_names == std::vector<std::string>{"a", "b"}));
    BOOST_TEST((table.data.features == std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8}));
    BOOST_TEST((table.data.targets == std::vector<std::int32_t>{0, 2, 1, 2}));
    // Without a class count, any label of a 32-bit integer: -1/+1 labels, the extremes.
    const auto any = io::parse_csv_classes("x,y\n1,-1\n2,2147483647\n3,-2147483648\n4,1e3\n", "any", {.target = 1});
    BOOST_TEST((any.data.targets == std::vector<std::int32_t>{-1, 2147483647, -2147483647 - 1, 1000}));
}

BOOST_AUTO_TEST_CASE(class_labels_from_a_file) {
    scratch_directory dir{"typegrad-csv"};
    const auto path = dir.write("labels.csv", "1.5,0,7\n2.5,1,8\n");
    const auto table = io::read_csv_classes(path, {.header = false, .target = 1, .classes = 2});
    BOOST_TEST(table.path == path.string());
    BOOST_TEST((table.data.features == std::vector<float>{1.5f, 7, 2.5f, 8}));
    BOOST_TEST((table.data.targets == std::vector<std::int32_t>{0, 1}));
    BOOST_CHECK_EXCEPTION(io::read_csv_classes(path, {.header = false, .target = 2, .classes = 2}), io::io_error, [&](const io::io_error& e) {
        return message_has(e, {path.string() + ": line 1, column 3: the class label 7 is out of range: 2 classes have the labels 0 to 1"});
    });
}

BOOST_AUTO_TEST_CASE(labels_that_are_not_class_labels) {
    check_refused_with({{"x,y\n1,0\n2,2.5\n", "line 3, column 2 (\"y\"): \"2.5\" is not a class label: labels are whole numbers (0, 1, 2, ...)"},
                        {"x,y\n1,-0.5\n", "line 2, column 2 (\"y\"): \"-0.5\" is not a class label"},
                        {"x,y\n1,1e-400\n", "line 2, column 2 (\"y\"): \"1e-400\" is not a class label"},
                        {"x,y\n1,2.0000000000000001\n", "line 2, column 2 (\"y\"): \"2.0000000000000001\" is not a class label"},  // its double is 2
                        {"x,y\n1,15e-1\n", "line 2, column 2 (\"y\"): \"15e-1\" is not a class label"},
                        {"x,y\n1,3e9\n", "line 2, column 2 (\"y\"): \"3e9\" is beyond the range of a class label (a 32-bit integer)"},
                        {"x,y\n1,2147483648\n", "line 2, column 2 (\"y\"): \"2147483648\" is beyond the range of a class label"},
                        {"x,y\n1,-2147483649\n", "line 2, column 2 (\"y\"): \"-2147483649\" is beyond the range"},
                        {"x,y\n1,1e400\n", "line 2, column 2 (\"y\"): \"1e400\" is beyond the range"},
                        {"x,y\n1,1e99999999999999999999\n", "line 2, column 2 (\"y\"): \"1e99999999999999999999\" is beyond the range"},
                        {"x,y\n1,cat\n", "line 2, column 2 (\"y\"): \"cat\" is not a number"},
                        {"x,y\n1,nan\n", "line 2, column 2 (\"y\"): \"nan\" is not a finite number"},
                        {"x,y\n1,\n", "line 2, column 2 (\"y\"): missing value (an empty cell)"},
                        {"x,y\n1e39,1\n", "line 2, column 1 (\"x\"): \"1e39\" is beyond float's range"}},
                       {.target = "y"}, true);
}

BOOST_AUTO_TEST_CASE(labels_out_of_range_name_their_line) {
    check_refused_with({{"x,y\n1,0\n2,1\n3,3\n4,2\n", "line 4, column 2 (\"y\"): the class label 3 is out of range: 3 classes have the labels 0 to 2"},
                        {"x,y\n1,0\n2,-1\n", "line 3, column 2 (\"y\"): the class label -1 is out of range: 3 classes have the labels 0 to 2"},
                        {"y,x\r\n0,1\r\n1e1,2\r\n", "line 3, column 1 (\"y\"): the class label 10 is out of range"}},
                       {.target = "y", .classes = 3}, true);
    check_refused_with({{"x,y\n1,1\n", "line 2, column 2 (\"y\"): the class label 1 is out of range: 1 class has the label 0"}}, {.target = "y", .classes = 1}, true);
    check_refused_with({{"x,y\n1,0\n", "classes: there are 0 classes: a class count must be at least 1"}}, {.target = "y", .classes = 0}, true);
    check_refused_with({{"x,y\n1,0\n", "classes: read_csv reads the target as numbers; class labels, checked against a class count, are read by read_csv_classes"}},
                       {.target = "y", .classes = 2});
}

BOOST_AUTO_TEST_CASE(files_without_a_header) {
    const auto table = io::parse_csv("1,2,3\n4,5,6\n", "plain", {.header = false, .target = 0});
    BOOST_TEST((table.feature_names == std::vector<std::string>{"column 2", "column 3"}));
    BOOST_TEST(table.target_name == "column 1");
    BOOST_TEST((table.feature_columns == std::vector<std::size_t>{1, 2}));
    BOOST_TEST(table.target_column == 0u);
    BOOST_TEST((table.data.features == std::vector<float>{2, 3, 5, 6}));
    BOOST_TEST((table.data.targets == std::vector<float>{1, 4}));

    const auto chosen = io::parse_csv("1,2,3,4\r\n5,6,7,8\r\n\r\n", "plain", {.header = false, .target = 3, .features = {2, 0}});
    BOOST_TEST((chosen.feature_names == std::vector<std::string>{"column 3", "column 1"}));
    BOOST_TEST((chosen.feature_columns == std::vector<std::size_t>{2, 0}));
    BOOST_TEST(chosen.data.feature_size == 2u);
    BOOST_TEST((chosen.data.features == std::vector<float>{3, 1, 7, 5}));
    BOOST_TEST((chosen.data.targets == std::vector<float>{4, 8}));
}

BOOST_AUTO_TEST_CASE(files_without_a_header_refused) {
    const io::csv_options options{.header = false, .target = 1};
    check_refused_with({{"1,2,3\n4,5\n", "line 2 has 2 cells, the first row (line 1) has 3"},
                        {"1,2\n4,5,6\n", "line 2 has 3 cells, the first row (line 1) has 2"},
                        {"1,2\n3,abc\n", "line 2, column 2: \"abc\" is not a number"},
                        {"x,y\n1,2\n", "line 1, column 1: \"x\" is not a number (the options say the file has no header row: if line 1 names the columns, set header = true)"},
                        {"", "empty file: no rows of data"},
                        {"\n\n", "empty file: no rows of data"},
                        {"1\n2\n", "target: the column index 1 is beyond the last column: the first row (line 1) has 1 column, index 0"}},
                       options);
    check_refused_with({{"5\n6\n", "the only column is the target \"column 1\": there are no features"}}, {.header = false, .target = 0});
    check_refused_with({{"1,2\n", "target: the column \"y\" is chosen by name, but the options say the file has no header row (header = false): choose it by its position, from 0"}},
                       {.header = false, .target = "y"});
    check_refused_with({{"1,2\n", "features[0]: the column \"a\" is chosen by name, but the options say the file has no header row"}},
                       {.header = false, .target = 1, .features = {"a"}});
}

BOOST_AUTO_TEST_CASE(features_by_name_in_the_order_given) {
    // The id column is left out, and may hold text; an empty cell there is no missing value.
    const auto table = io::parse_csv("id,x1,x2,y\ns01,1,2,3\n,4,5,6\n", "runs", {.target = "y", .features = {"x2", "x1"}});
    BOOST_TEST((table.feature_names == std::vector<std::string>{"x2", "x1"}));
    BOOST_TEST((table.feature_columns == std::vector<std::size_t>{2, 1}));
    BOOST_TEST(table.target_column == 3u);
    BOOST_TEST((table.data.features == std::vector<float>{2, 1, 5, 4}));
    BOOST_TEST((table.data.targets == std::vector<float>{3, 6}));
    // By position in a file with a header, and names and positions mixed.
    const auto by_index = io::parse_csv("id,x1,x2,y\ns01,1,2,3\n", "runs", {.target = 3, .features = {1, "x2"}});
    BOOST_TEST(by_index.target_name == "y");
    BOOST_TEST((by_index.feature_names == std::vector<std::string>{"x1", "x2"}));
    BOOST_TEST((by_index.data.features == std::vector<float>{1, 2}));
    // A file read with options from disk.
    scratch_directory dir{"typegrad-csv"};
    const auto path = dir.write("runs.csv", "id,x1,x2,y\ns01,1,2,3\n");
    const auto from_file = io::read_csv(path, {.target = "y", .features = {"x1"}});
    BOOST_TEST(from_file.path == path.string());
    BOOST_TEST((from_file.data.features == std::vector<float>{1}));
    // The rows must still be whole, and a chosen column's cells numbers.
    check_refused_with({{"id,x1,x2,y\ns01,1,2,3\ns02,4,5\n", "line 3 has 3 cells, the header (line 1) has 4 columns"},
                        {"id,x1,x2,y\ns01,1,,3\n", "line 2, column 3 (\"x2\"): missing value (an empty cell)"}},
                       {.target = "y", .features = {"x2", "x1"}});
}

BOOST_AUTO_TEST_CASE(chosen_columns_refused) {
    const std::string text = "a,b,y\n1,2,3\n";
    const auto refused = [&](const io::csv_options& options, const std::string& expected) { check_refused_with({{text, expected}}, options); };
    refused({.target = "y", .features = {"a", "q"}}, "features[1]: no column is named \"q\" (the header, line 1, names \"a\", \"b\", \"y\")");
    refused({.target = "y", .features = {"b", "a", "b"}}, "features[2] and features[0] both choose the column at index 1 (\"b\")");
    refused({.target = "y", .features = {"a", 0}}, "features[1] and features[0] both choose the column at index 0 (\"a\")");
    refused({.target = "y", .features = {"a", "y"}}, "features[1]: the column at index 2 (\"y\") is the target: it cannot also be a feature");
    refused({.target = 2, .features = {2}}, "features[0]: the column at index 2 (\"y\") is the target: it cannot also be a feature");
    refused({.target = 3}, "target: the column index 3 is beyond the last column: the header (line 1) has 3 columns, indices 0 to 2");
    refused({.target = 0, .features = {1, 7}}, "features[1]: the column index 7 is beyond the last column: the header (line 1) has 3 columns");
    refused({.target = 0, .features = {std::size_t(-1)}}, "features[0]: the column index 9223372036854775807 is beyond the last column");
    refused({.target = -1}, "target: the column index -1 is negative (positions count from 0)");
    refused({.target = "y", .features = {-2}}, "features[0]: the column index -2 is negative");
    refused({}, "target: no target column is given (csv_options::target)");
    refused({.target = "z"}, "no column is named \"z\" (the header, line 1, names \"a\", \"b\", \"y\")");
    check_refused_with({{"1,2\n3,4\n", "features[0]: the column index 2 is beyond the last column: the first row (line 1) has 2 columns, indices 0 to 1"}},
                       {.header = false, .target = 0, .features = {2}});
    check_refused_with({{"1,2,3\n3,4,5\n", "features[1] and features[0] both choose the column at index 1"}}, {.header = false, .target = 0, .features = {1, 1}});
}
