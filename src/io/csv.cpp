#include <typegrad/io/csv.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
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

}  // namespace

csv_table parse_csv(std::string_view text, std::string name, std::string_view target_column) {
    csv_table table{std::move(name), {}, std::string(target_column), {}};
    const std::string& file = table.path;
    csv_parser parser{text, file};

    std::vector<std::string> header;
    if (!parser.next_row(header)) throw io_error(file + ": empty file: expected a header row naming the columns");
    const std::size_t header_line = parser.line();
    std::map<std::string_view, std::size_t> column_of;
    for (std::size_t c = 0; c < header.size(); ++c) {
        if (header[c].empty()) parser.fail_at(c + 1, {}, "the header gives this column no name");
        if (const auto [earlier, added] = column_of.emplace(header[c], c + 1); !added)
            parser.fail_at(c + 1, header[c], "the header names columns " + std::to_string(earlier->second) + " and " + std::to_string(c + 1) + " alike");
    }
    const auto target = std::find(header.begin(), header.end(), target_column);
    if (target == header.end()) {
        float ignored = 0;
        const bool looks_like_data = std::all_of(header.begin(), header.end(), [&](const std::string& h) { return parse_number(h, ignored).empty(); });
        throw io_error(file + ": no column is named " + shown(target_column) + " (the header, line " + std::to_string(header_line) + ", names " +
                       column_list(header) + ")" + (looks_like_data ? "; the first line looks like data: the file needs a header row" : ""));
    }
    const auto target_index = static_cast<std::size_t>(target - header.begin());
    if (header.size() == 1) throw io_error(file + ": the only column is the target " + shown(target_column) + ": there are no features");
    for (std::size_t c = 0; c < header.size(); ++c)
        if (c != target_index) table.feature_names.push_back(header[c]);
    table.data.feature_size = header.size() - 1;
    table.data.target_size = 1;

    std::vector<std::string> cells;
    while (parser.next_row(cells)) {
        if (cells.size() != header.size())
            throw io_error(file + ": line " + std::to_string(parser.line()) + " has " + std::to_string(cells.size()) + (cells.size() == 1 ? " cell" : " cells") +
                           ", the header (line " + std::to_string(header_line) + ") has " + std::to_string(header.size()) + " columns");
        for (std::size_t c = 0; c < cells.size(); ++c) {
            float value = 0;
            if (const std::string fault = parse_number(trimmed(cells[c]), value); !fault.empty()) parser.fail_at(c + 1, header[c], fault);
            (c == target_index ? table.data.targets : table.data.features).push_back(value);
        }
    }
    if (table.rows() == 0) throw io_error(file + ": a header (line " + std::to_string(header_line) + ") but no rows of data");
    return table;
}

csv_table read_csv(const std::filesystem::path& path, std::string_view target_column) {
    const std::vector<std::byte> bytes = detail::read_whole_file(path);
    return parse_csv({reinterpret_cast<const char*>(bytes.data()), bytes.size()}, path.string(), target_column);
}

}  // namespace typegrad::io
