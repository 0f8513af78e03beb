// The CSV reader: what it accepts, and a message naming the file, the line and the column for every
// kind of bad input.
#define BOOST_TEST_MODULE csv
#include <boost/test/unit_test.hpp>

#include <cmath>
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
