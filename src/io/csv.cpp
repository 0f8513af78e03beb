#include <typegrad/io/csv.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <type_traits>
#include <system_error>

#include "byte_source.hpp"

namespace typegrad::io {

namespace {

// A cell's text as a message quotes it: control characters escaped, cut short.
std::string shown(std::string_view text) {
    std::string out = "\"";
    for (const char c : text.substr(0, 40)) {
        if (static_cast<unsigned char>(c) < 0x20) {
            constexpr char digits[] = "0123456789ABCDEF";
            out += "\\x";
            out += digits[static_cast<unsigned char>(c) >> 4];
            out += digits[c & 0xF];
        } else {
            out += c == '"' ? "\\\"" : std::string(1, c);
        }
    }
    return out + (text.size() > 40 ? "...\"" : "\"");
}

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::string_view trimmed(std::string_view text) {
    while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
    return text;
}

// from_chars says only "out of range", for a number too large for a double (beyond about 1.8e308) or too
// small (below about 4.9e-324); the text tells which: the power of ten of its first significant digit.
// `number` is a whole number as from_chars reads it: [-]digits[.digits][(e|E)[+|-]digits].
bool too_small(std::string_view number) {
    const std::size_t e = std::min(number.find_first_of("eE"), number.size());
    const std::string_view mantissa = number.substr(0, e);
    const std::size_t point = std::min(mantissa.find('.'), mantissa.size());
    const std::size_t first = mantissa.find_first_of("123456789");
    if (first == std::string_view::npos) return true;  // zero: never out of range, but certainly not too large
    const auto power = first < point ? static_cast<long long>(point - first - 1) : -static_cast<long long>(first - point);
    if (e == number.size()) return power < 0;
    std::string_view exponent = number.substr(e + 1);
    const bool negative = exponent.starts_with('-');
    if (negative || exponent.starts_with('+')) exponent.remove_prefix(1);
    if (exponent.size() > 15) return negative;  // an exponent of 16 digits or more outweighs any mantissa
    long long value = 0;
    std::from_chars(exponent.data(), exponent.data() + exponent.size(), value);
    return power + (negative ? -value : value) < 0;
}

// Why a cell is not a number, or empty if it is one; `value` receives it. A number too large for float
// is an error; one too small for float (below about 1.4e-45 in magnitude, e.g. 1e-50 or 1e-400) reads
// as 0, keeping its sign: that is the rounding to float every value undergoes, with an absolute error
// below 1.4e-45, not a wrong answer.
std::string parse_number(std::string_view cell, float& value) {
    if (cell.empty()) return "missing value (an empty cell)";
    std::string_view digits = cell;
    if (digits.size() > 1 && digits[0] == '+' && digits[1] != '-' && digits[1] != '+') digits.remove_prefix(1);  // from_chars refuses '+'
    double number = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
    if ((error != std::errc{} && error != std::errc::result_out_of_range) || end != digits.data() + digits.size()) return shown(cell) + " is not a number";
    if (error == std::errc::result_out_of_range) {  // from_chars leaves `number` alone
        if (!too_small(digits)) return shown(cell) + " is beyond float's range (about 3.4e38)";
        number = digits.starts_with('-') ? -0.0 : 0.0;
    }
    if (!std::isfinite(number)) return shown(cell) + " is not a finite number";
    if (std::abs(number) > double(std::numeric_limits<float>::max())) return shown(cell) + " is beyond float's range (about 3.4e38)";
    value = static_cast<float>(number);
    return {};
}

// Whether a number as from_chars reads it, [-]digits[.digits][(e|E)[+|-]digits], is a whole number,
// judged from its digits rather than its double, which may have rounded a fraction away
// (2.0000000000000001 reads as 2).
bool is_whole(std::string_view number) {
    const std::size_t e = std::min(number.find_first_of("eE"), number.size());
    std::string_view mantissa = number.substr(0, e);
    if (mantissa.starts_with('-')) mantissa.remove_prefix(1);
    const std::size_t point = std::min(mantissa.find('.'), mantissa.size());
    std::string digits{mantissa.substr(0, point)};
    if (point < mantissa.size()) digits += mantissa.substr(point + 1);
    const bool all_zero = digits.find_first_not_of('0') == std::string::npos;
    long long exponent = 0;
    if (e < number.size()) {
        std::string_view text = number.substr(e + 1);
        const bool negative = text.starts_with('-');
        if (negative || text.starts_with('+')) text.remove_prefix(1);
        while (text.size() > 1 && text.front() == '0') text.remove_prefix(1);
        if (text.size() > 15) return negative ? all_zero : true;  // the point moves beyond every digit
        std::from_chars(text.data(), text.data() + text.size(), exponent);
        if (negative) exponent = -exponent;
    }
    // The digits that stay before the point once the exponent has moved it; the others must be zeros.
    const long long whole_digits = static_cast<long long>(point) + exponent;
    const std::size_t fraction = whole_digits <= 0 ? 0 : static_cast<std::size_t>(std::min<long long>(whole_digits, static_cast<long long>(digits.size())));
    return digits.find_first_not_of('0', fraction) == std::string::npos;
}

// Why a cell is not a class label, or empty if it is one; `label` receives it. A label is a whole
// number within a 32-bit integer and, when the class count is given, in [0, classes).
std::string parse_label(std::string_view cell, std::int32_t& label, std::optional<std::size_t> classes) {
    if (cell.empty()) return "missing value (an empty cell)";
    std::string_view digits = cell;
    if (digits.size() > 1 && digits[0] == '+' && digits[1] != '-' && digits[1] != '+') digits.remove_prefix(1);
    double number = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
    if ((error != std::errc{} && error != std::errc::result_out_of_range) || end != digits.data() + digits.size()) return shown(cell) + " is not a number";
    if (error == std::errc{} && !std::isfinite(number)) return shown(cell) + " is not a finite number";
    if (!is_whole(digits)) return shown(cell) + " is not a class label: labels are whole numbers (0, 1, 2, ...)";
    if (error == std::errc::result_out_of_range || number > double(std::numeric_limits<std::int32_t>::max()) ||
        number < double(std::numeric_limits<std::int32_t>::min()))
        return shown(cell) + " is beyond the range of a class label (a 32-bit integer)";
    label = static_cast<std::int32_t>(number);
    if (classes && (label < 0 || static_cast<std::size_t>(label) >= *classes))
        return "the class label " + std::to_string(label) + " is out of range: " + std::to_string(*classes) +
               (*classes == 1 ? " class has the label 0" : " classes have the labels 0 to " + std::to_string(*classes - 1));
    return {};
}

class csv_parser {
public:
    csv_parser(std::string_view text, const std::string& name) : text_{text}, name_{name} {
        if (text_.starts_with("\xEF\xBB\xBF")) text_.remove_prefix(3);  // a UTF-8 byte-order mark, as spreadsheets write
        if (const auto nul = text_.find('\0'); nul != std::string_view::npos)
            throw io_error(name_ + ": line " + std::to_string(1 + std::count(text_.begin(), text_.begin() + nul, '\n')) +
                           ": a NUL byte: this is not a text file");
    }

    // The cells of the next line that is not empty; false at the end of the text. Empty lines are
    // allowed only at the end.
    bool next_row(std::vector<std::string>& cells) {
        std::size_t first_empty = 0;
        while (position_ < text_.size()) {
            std::string_view line = next_line();
            if (line.empty()) {
                if (first_empty == 0) first_empty = line_;
                continue;
            }
            if (first_empty != 0) throw io_error(name_ + ": line " + std::to_string(first_empty) + " is empty, and a row follows it (empty lines may only end the file)");
            split(line, cells);
            return true;
        }
        return false;
    }

    std::size_t line() const { return line_; }

    [[noreturn]] void fail_at(std::size_t column, std::string_view column_name, const std::string& what) const {
        std::string where = name_ + ": line " + std::to_string(line_) + ", column " + std::to_string(column);
        if (!column_name.empty()) where += " (" + shown(column_name) + ")";
        throw io_error(where + ": " + what);
    }

private:
    std::string_view next_line() {
        const std::size_t end = std::min(text_.find('\n', position_), text_.size());
        std::string_view line = text_.substr(position_, end - position_);
        position_ = end + 1;
        ++line_;
        if (line.ends_with('\r')) line.remove_suffix(1);
        if (line.find('\r') != std::string_view::npos)
            throw io_error(name_ + ": line " + std::to_string(line_) +
                           ": a carriage return inside a line (lines must end in LF or CRLF; old Mac line ends are not supported)");
        return line;
    }

    // Cells are separated by commas; a cell in double quotes may hold commas, and "" for a quote.
    void split(std::string_view line, std::vector<std::string>& cells) const {
        cells.clear();
        std::size_t i = 0;
        for (;;) {
            const std::size_t column = cells.size() + 1;
            while (i < line.size() && is_blank(line[i])) ++i;
            if (i < line.size() && line[i] == '"') {
                std::string cell;
                for (++i;; ++i) {
                    if (i == line.size())
                        fail_at(column, {}, "a quoted cell is not closed on its line (cells may not span lines)");
                    if (line[i] == '"') {
                        if (i + 1 < line.size() && line[i + 1] == '"') {
                            cell += '"';
                            ++i;
                            continue;
                        }
                        ++i;
                        break;
                    }
                    cell += line[i];
                }
                while (i < line.size() && is_blank(line[i])) ++i;
                if (i < line.size() && line[i] != ',')
                    fail_at(column, {}, "text after the closing quote of a quoted cell: " + shown(line.substr(i)));
                cells.push_back(std::move(cell));
            } else {
                const std::size_t end = std::min(line.find(',', i), line.size());
                const std::string_view cell = trimmed(line.substr(i, end - i));
                if (cell.find('"') != std::string_view::npos)
                    fail_at(column, {}, "a quote inside an unquoted cell " + shown(cell) + " (put the whole cell in quotes, and double the quotes inside)");
                cells.emplace_back(cell);
                i = end;
            }
            if (i == line.size()) return;
            ++i;  // the comma
        }
    }

    std::string_view text_;
    const std::string& name_;
    std::size_t position_ = 0, line_ = 0;
};

std::string column_list(const std::vector<std::string>& names) {
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + shown(n);
    return list;
}

[[noreturn]] void refuse(const std::string& file, const std::string& what) { throw io_error(file + ": " + what); }

// The options' target and feature columns, found in the file's columns.
struct column_choice {
    std::size_t target = 0;
    std::vector<std::size_t> features;
};

column_choice choose_columns(const csv_options& options, const std::vector<std::string>& names, const std::string& file, std::size_t first_line) {
    const std::size_t width = names.size();
    const auto described = [&](std::size_t c) { return "the column at index " + std::to_string(c) + (options.header ? " (" + shown(names[c]) + ")" : ""); };
    // Where `column`, given as the option `role` ("target", "features[1]"), is in the file.
    const auto position_of = [&](const csv_column& column, const std::string& role) -> std::size_t {
        if (column.by_name()) {
            if (!options.header)
                refuse(file, role + ": the column " + shown(column.name()) +
                                 " is chosen by name, but the options say the file has no header row (header = false): choose it by its position, from 0");
            const auto found = std::find(names.begin(), names.end(), column.name());
            if (found != names.end()) return static_cast<std::size_t>(found - names.begin());
            const std::string header_says = "(the header, line " + std::to_string(first_line) + ", names " + column_list(names) + ")";
            if (role != "target") refuse(file, role + ": no column is named " + shown(column.name()) + " " + header_says);
            float ignored = 0;
            const bool looks_like_data = std::all_of(names.begin(), names.end(), [&](const std::string& h) { return parse_number(h, ignored).empty(); });
            refuse(file, "no column is named " + shown(column.name()) + " " + header_says +
                             (looks_like_data ? "; the first line looks like data: the file needs a header row" : ""));
        }
        if (column.index() < 0) refuse(file, role + ": the column index " + std::to_string(column.index()) + " is negative (positions count from 0)");
        if (static_cast<unsigned long long>(column.index()) >= width)
            refuse(file, role + ": the column index " + std::to_string(column.index()) + " is beyond the last column: " +
                             (options.header ? "the header" : "the first row") + " (line " + std::to_string(first_line) + ") has " + std::to_string(width) +
                             (width == 1 ? " column, index 0" : " columns, indices 0 to " + std::to_string(width - 1)));
        return static_cast<std::size_t>(column.index());
    };

    column_choice choice;
    choice.target = position_of(options.target, "target");
    if (options.features.empty()) {
        if (width == 1) refuse(file, "the only column is the target " + shown(names[choice.target]) + ": there are no features");
        for (std::size_t c = 0; c < width; ++c)
            if (c != choice.target) choice.features.push_back(c);
        return choice;
    }
    constexpr std::size_t unchosen = std::size_t(-1);
    std::vector<std::size_t> chosen_by(width, unchosen);  // which of options.features chose each column
    for (std::size_t i = 0; i < options.features.size(); ++i) {
        const std::string role = "features[" + std::to_string(i) + "]";
        const std::size_t c = position_of(options.features[i], role);
        if (c == choice.target) refuse(file, role + ": " + described(c) + " is the target: it cannot also be a feature");
        if (chosen_by[c] != unchosen) refuse(file, role + " and features[" + std::to_string(chosen_by[c]) + "] both choose " + described(c));
        chosen_by[c] = i;
        choice.features.push_back(c);
    }
    return choice;
}

// Reads the target cell as a Target: a number, or a class label.
std::string parse_target(std::string_view cell, float& value, const csv_options&) { return parse_number(cell, value); }
std::string parse_target(std::string_view cell, std::int32_t& value, const csv_options& options) { return parse_label(cell, value, options.classes); }

template <class Target>
basic_csv_table<Target> parse_table(std::string_view text, std::string name, const csv_options& options) {
    basic_csv_table<Target> table;
    table.path = std::move(name);
    const std::string& file = table.path;
    if (!options.target.given()) refuse(file, "target: no target column is given (csv_options::target)");
    if constexpr (std::is_same_v<Target, float>) {
        if (options.classes) refuse(file, "classes: read_csv reads the target as numbers; class labels, checked against a class count, are read by read_csv_classes");
    } else if (options.classes && *options.classes == 0) {
        refuse(file, "classes: there are 0 classes: a class count must be at least 1");
    }
    csv_parser parser{text, file};

    // The header's names; without a header, "column 1", ... and the first row waits in `cells`.
    std::vector<std::string> names, cells;
    if (options.header) {
        if (!parser.next_row(names)) refuse(file, "empty file: expected a header row naming the columns");
        std::map<std::string_view, std::size_t> column_of;
        for (std::size_t c = 0; c < names.size(); ++c) {
            if (names[c].empty()) parser.fail_at(c + 1, {}, "the header gives this column no name");
            if (const auto [earlier, added] = column_of.emplace(names[c], c + 1); !added)
                parser.fail_at(c + 1, names[c], "the header names columns " + std::to_string(earlier->second) + " and " + std::to_string(c + 1) + " alike");
        }
    } else {
        if (!parser.next_row(cells)) refuse(file, "empty file: no rows of data");
        for (std::size_t c = 0; c < cells.size(); ++c) names.push_back("column " + std::to_string(c + 1));
    }
    const std::size_t first_line = parser.line(), width = names.size();
    const column_choice choice = choose_columns(options, names, file, first_line);

    table.target_column = choice.target;
    table.target_name = names[choice.target];
    table.feature_columns = choice.features;
    for (const std::size_t c : choice.features) table.feature_names.push_back(names[c]);
    table.data.feature_size = choice.features.size();
    table.data.target_size = 1;

    constexpr std::size_t unused = std::size_t(-1);
    std::vector<std::size_t> feature_of(width, unused);  // each column's place among the features
    for (std::size_t f = 0; f < choice.features.size(); ++f) feature_of[choice.features[f]] = f;
    std::vector<float> row(choice.features.size());
    bool row_waiting = !options.header;
    while (row_waiting || parser.next_row(cells)) {
        row_waiting = false;
        if (cells.size() != width)
            throw io_error(file + ": line " + std::to_string(parser.line()) + " has " + std::to_string(cells.size()) + (cells.size() == 1 ? " cell" : " cells") +
                           (options.header ? ", the header (line " + std::to_string(first_line) + ") has " + std::to_string(width) + " columns"
                                           : ", the first row (line " + std::to_string(first_line) + ") has " + std::to_string(width)));
        for (std::size_t c = 0; c < width; ++c) {
            if (c != choice.target && feature_of[c] == unused) continue;  // a column the options leave out: it may hold text
            std::string fault;
            if (c == choice.target) {
                Target value{};
                fault = parse_target(trimmed(cells[c]), value, options);
                table.data.targets.push_back(value);
            } else {
                fault = parse_number(trimmed(cells[c]), row[feature_of[c]]);
            }
            if (fault.empty()) continue;
            if (!options.header && parser.line() == first_line && fault.ends_with("is not a number"))
                fault += " (the options say the file has no header row: if line " + std::to_string(first_line) + " names the columns, set header = true)";
            parser.fail_at(c + 1, options.header ? std::string_view(names[c]) : std::string_view(), fault);
        }
        table.data.features.insert(table.data.features.end(), row.begin(), row.end());
    }
    if (table.rows() == 0) refuse(file, "a header (line " + std::to_string(first_line) + ") but no rows of data");
    return table;
}

std::string_view text_of(const std::vector<std::byte>& bytes) { return {reinterpret_cast<const char*>(bytes.data()), bytes.size()}; }

}  // namespace

csv_table parse_csv(std::string_view text, std::string name, const csv_options& options) { return parse_table<float>(text, std::move(name), options); }

csv_table parse_csv(std::string_view text, std::string name, std::string_view target_column) {
    return parse_table<float>(text, std::move(name), {.target = target_column});
}

csv_class_table parse_csv_classes(std::string_view text, std::string name, const csv_options& options) {
    return parse_table<std::int32_t>(text, std::move(name), options);
}

csv_table read_csv(const std::filesystem::path& path, const csv_options& options) {
    return parse_csv(text_of(detail::read_whole_file(path)), path.string(), options);
}

csv_table read_csv(const std::filesystem::path& path, std::string_view target_column) { return read_csv(path, {.target = target_column}); }

csv_class_table read_csv_classes(const std::filesystem::path& path, const csv_options& options) {
    return parse_csv_classes(text_of(detail::read_whole_file(path)), path.string(), options);
}

}  // namespace typegrad::io
