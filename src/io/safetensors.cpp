#include <typegrad/io/safetensors.hpp>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <tuple>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "byte_source.hpp"

namespace typegrad::io {

static_assert(std::endian::native == std::endian::little, "typegrad: safetensors data is little-endian; big-endian hosts are not supported");

namespace {

constexpr std::uint64_t header_limit = 100'000'000;  // the format's own limit on the JSON header

std::size_t element_count(const std::vector<std::size_t>& shape, const std::string& where) {
    std::size_t count = 1;
    for (const std::size_t d : shape) {
        if (d != 0 && count > std::numeric_limits<std::size_t>::max() / 8 / d)
            throw io_error(where + ": the size of shape " + shape_text(shape) + " overflows 64 bits");
        count *= d;
    }
    return count;
}

element_type parse_type(const std::string& name, const std::string& where) {
    if (name == "F32") return element_type::f32;
    if (name == "F64") return element_type::f64;
    if (name == "I64") return element_type::i64;
    throw io_error(where + ": dtype \"" + name + "\" is not supported (typegrad reads F32, F64 and I64)");
}

// A file descriptor that is closed, and its temporary file removed, unless the write completes.
class temporary_file {
public:
    explicit temporary_file(std::filesystem::path target) : target_{std::move(target)} {
        temporary_ = target_;
        temporary_ += ".tmp-" + std::to_string(::getpid());
        file_ = std::fopen(temporary_.c_str(), "wb");
        if (!file_) fail("cannot create " + temporary_.string());
    }
    ~temporary_file() {
        if (file_) std::fclose(file_);
        if (!committed_) std::filesystem::remove(temporary_, ignored_);
    }
    temporary_file(const temporary_file&) = delete;
    temporary_file& operator=(const temporary_file&) = delete;

    void write(const void* bytes, std::size_t size) {
        if (size && std::fwrite(bytes, 1, size, file_) != size) fail("cannot write " + temporary_.string());
    }
    // Flushes to the disk, then renames over the target: a reader sees the old file or the new one.
    void commit() {
        if (std::fflush(file_) != 0 || ::fsync(::fileno(file_)) != 0) fail("cannot flush " + temporary_.string());
        const int closed = std::fclose(file_);
        file_ = nullptr;
        if (closed != 0) fail("cannot close " + temporary_.string());
        if (std::rename(temporary_.c_str(), target_.c_str()) != 0) fail("cannot rename " + temporary_.string() + " to it");
        committed_ = true;
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        throw io_error(target_.string() + ": " + what + " (" + std::strerror(errno) + ")");
    }
    std::filesystem::path target_, temporary_;
    std::FILE* file_ = nullptr;
    bool committed_ = false;
    std::error_code ignored_;
};

}  // namespace

std::string_view name_of(element_type type) {
    switch (type) {
        case element_type::f32: return "F32";
        case element_type::f64: return "F64";
        case element_type::i64: return "I64";
    }
    return "?";
}
std::size_t bytes_of(element_type type) { return type == element_type::f32 ? 4 : 8; }

std::string shape_text(const std::vector<std::size_t>& shape) {
    std::string text = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + "]";
}

void write_safetensors(const std::filesystem::path& path, std::span<const tensor_to_write> tensors,
                       const std::map<std::string, std::string>& metadata) {
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!metadata.empty()) header["__metadata__"] = metadata;
    std::size_t offset = 0;
    for (const auto& t : tensors) {
        if (t.name.empty() || t.name == "__metadata__") throw io_error(path.string() + ": \"" + t.name + "\" is not a valid tensor name");
        if (header.contains(t.name)) throw io_error(path.string() + ": tensor \"" + t.name + "\" is given twice");
        const std::size_t size = element_count(t.shape, path.string() + ": tensor \"" + t.name + "\"") * bytes_of(t.type);
        header[t.name] = {{"dtype", name_of(t.type)}, {"shape", t.shape}, {"data_offsets", {offset, offset + size}}};
        offset += size;
    }
    std::string text = header.dump();
    text.append((8 - text.size() % 8) % 8, ' ');  // the format pads the header with spaces to keep data aligned
    const std::uint64_t length = text.size();

    temporary_file file{path};
    file.write(&length, sizeof length);
    file.write(text.data(), text.size());
    for (const auto& t : tensors) file.write(t.data, element_count(t.shape, t.name) * bytes_of(t.type));
    file.commit();
}

namespace {

// A JSON value as a message shows it: its text, cut short.
std::string excerpt(const nlohmann::json& value) {
    std::string text = value.dump();
    if (text.size() > 60) text = text.substr(0, 57) + "...";
    return text;
}

// The JSON numbers of a shape or of data_offsets: only non-negative integers (a float or a negative
// number converted to std::size_t would be undefined or wrap around).
std::vector<std::size_t> unsigned_integers(const nlohmann::json& entry, const char* key, const std::string& at) {
    const auto found = entry.find(key);
    if (found == entry.end()) throw io_error(at + ": \"" + key + "\" is missing");
    if (!found->is_array()) throw io_error(at + ": \"" + key + "\" is not a list");
    std::vector<std::size_t> values;
    for (const auto& value : *found) {
        if (!value.is_number_unsigned()) throw io_error(at + ": \"" + key + "\" holds " + excerpt(value) + ", not a non-negative integer");
        values.push_back(value.get<std::size_t>());
    }
    return values;
}

// Reads exactly `size` bytes that start at byte offset `offset`. Only a file that shrinks while it is
// read can end before: its size was checked against the header's claims before.
void read_exactly(detail::byte_source& source, void* out, std::size_t size, std::uint64_t offset, const std::string& at_file) {
    if (const std::size_t got = source.read(static_cast<std::byte*>(out), size); got != size)
        throw io_error(at_file + ": truncated: the file ends at byte offset " + std::to_string(offset + got) + ", it had " +
                       std::to_string(offset + size) + " bytes or more when it was opened (it changed while it was read)");
}

// The one safetensors parser, for files and for memory: `source` holds `file_size` bytes, `where` is its
// path or in-memory name. The header is read and checked against the file's size first: a file that
// claims more than it holds is refused having read only its length and header, and the data is read
// only once the header has been validated, into a block of exactly its size.
safetensors_file parse_from(detail::byte_source& source, const std::uint64_t file_size, std::string where) {
    safetensors_file file{std::move(where), {}, {}, {}};
    const std::string& at_file = file.path;
    if (file_size < 8) throw io_error(at_file + ": truncated header: the header length needs 8 bytes, the file has " + std::to_string(file_size));
    std::uint64_t length = 0;
    read_exactly(source, &length, 8, 0, at_file);
    if (length > header_limit || length > file_size - 8)
        throw io_error(at_file + ": the header claims " + std::to_string(length) + " bytes after byte offset 8, the file ends at byte offset " +
                       std::to_string(file_size) + (length > header_limit ? " (and the format's limit is 100,000,000)" : ""));
    std::string text(static_cast<std::size_t>(length), '\0');
    read_exactly(source, text.data(), text.size(), 8, at_file);
    nlohmann::json header;
    try {
        header = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& error) {  // parse_error, and out_of_range for a number like 1e3000
        throw io_error(at_file + ": the JSON header (bytes 8 to " + std::to_string(8 + length) + ") is malformed: " + error.what());
    }
    if (!header.is_object()) throw io_error(at_file + ": the JSON header is not an object");

    const std::uint64_t data_size = file_size - 8 - length;
    struct extent {
        std::size_t begin, end;
        std::string name;
    };
    std::vector<extent> extents;
    for (const auto& [name, entry] : header.items()) {
        if (name == "__metadata__") {
            if (!entry.is_object()) throw io_error(at_file + ": \"__metadata__\" is not an object");
            for (const auto& [key, value] : entry.items()) {
                if (!value.is_string()) throw io_error(at_file + ": metadata \"" + key + "\" is " + excerpt(value) + ", not a string");
                file.metadata[key] = value.get<std::string>();
            }
            continue;
        }
        const std::string at = at_file + ": tensor \"" + name + "\"";
        if (!entry.is_object()) throw io_error(at + ": its entry is " + excerpt(entry) + ", not an object with dtype, shape and data_offsets");
        const auto dtype = entry.find("dtype");
        if (dtype == entry.end() || !dtype->is_string()) throw io_error(at + ": \"dtype\" is missing or not a string");
        const element_type type = parse_type(dtype->get<std::string>(), at);
        const auto shape = unsigned_integers(entry, "shape", at);
        const auto offsets = unsigned_integers(entry, "data_offsets", at);
        if (offsets.size() != 2 || offsets[0] > offsets[1]) throw io_error(at + ": data_offsets must be [begin, end] with begin <= end");
        const std::size_t expected = element_count(shape, at) * bytes_of(type);
        if (offsets[1] - offsets[0] != expected)
            throw io_error(at + ": shape " + shape_text(shape) + " of " + std::string(name_of(type)) + " needs " + std::to_string(expected) +
                           " bytes, data_offsets give " + std::to_string(offsets[1] - offsets[0]));
        if (offsets[1] > data_size)
            throw io_error(at + ": its data ends at data byte " + std::to_string(offsets[1]) + ", but only " + std::to_string(data_size) +
                           " bytes of data follow the header (truncated: the file ends at byte offset " + std::to_string(file_size) + ")");
        extents.push_back({offsets[0], offsets[1], name});
        file.tensors[name] = {type, shape, offsets[0], offsets[1]};
    }
    // The data must be covered exactly, without holes or overlaps, as the format requires. Sorting by
    // end as well puts an empty tensor before the one that starts where it does.
    std::sort(extents.begin(), extents.end(), [](const extent& a, const extent& b) { return std::tie(a.begin, a.end) < std::tie(b.begin, b.end); });
    std::size_t covered = 0;
    for (const auto& e : extents) {
        if (e.begin != covered)
            throw io_error(at_file + ": tensor \"" + e.name + "\" starts at data byte " + std::to_string(e.begin) + ", expected " +
                           std::to_string(covered) + (e.begin < covered ? " (it overlaps another tensor)" : " (a hole in the data)"));
        covered = e.end;
    }
    if (covered != data_size)
        throw io_error(at_file + ": " + std::to_string(data_size - covered) + " bytes after the last tensor (trailing data at byte offset " +
                       std::to_string(8 + length + covered) + ")");

    file.data.resize(static_cast<std::size_t>(data_size));
    read_exactly(source, file.data.data(), file.data.size(), 8 + length, at_file);
    if (std::byte extra{}; source.read(&extra, 1) != 0)
        throw io_error(at_file + ": the file grew while it was read: it had " + std::to_string(file_size) + " bytes when it was opened");
    return file;
}

}  // namespace

safetensors_file read_safetensors(const std::filesystem::path& path) {
    detail::file_source file{path};
    if (const auto size = file.regular_size()) return parse_from(file, *size, path.string());
    // A pipe or a device cannot tell its size: all of it is read first, then parsed from memory.
    const std::vector<std::byte> bytes = detail::read_rest(file, std::size_t{1} << 16);
    detail::memory_source memory{bytes};
    return parse_from(memory, bytes.size(), path.string());
}

safetensors_file parse_safetensors(std::span<const std::byte> contents, std::string name) {
    detail::memory_source memory{contents};
    return parse_from(memory, contents.size(), std::move(name));
}

}  // namespace typegrad::io
