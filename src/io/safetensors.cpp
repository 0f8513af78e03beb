#include <typegrad/io/safetensors.hpp>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <unistd.h>

#include <nlohmann/json.hpp>

namespace typegrad::io {

static_assert(std::endian::native == std::endian::little, "typegrad: safetensors data is little-endian; big-endian hosts are not supported");

namespace {

constexpr std::uint64_t header_limit = 100'000'000;  // the format's own limit on the JSON header

std::size_t element_count(const std::vector<std::size_t>& shape, const std::string& where) {
    std::size_t count = 1;
    for (const std::size_t d : shape) {
        if (d != 0 && count > std::numeric_limits<std::size_t>::max() / 8 / d) throw io_error(where + ": the shape's size overflows");
        count *= d;
    }
    return count;
}

element_type parse_type(const std::string& name, const std::string& where) {
    if (name == "F32") return element_type::f32;
    if (name == "F64") return element_type::f64;
    throw io_error(where + ": dtype \"" + name + "\" is not supported (typegrad reads F32 and F64)");
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

std::string_view name_of(element_type type) { return type == element_type::f32 ? "F32" : "F64"; }
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

safetensors_file read_safetensors(const std::filesystem::path& path) {
    safetensors_file file{path.string(), {}, {}, {}};
    const std::string& where = file.path;
    std::ifstream in(path, std::ios::binary);
    if (!in) throw io_error(where + ": cannot open (" + std::strerror(errno) + ")");
    in.seekg(0, std::ios::end);
    const auto file_size = static_cast<std::uint64_t>(in.tellg());
    in.seekg(0);
    std::uint64_t length = 0;
    if (file_size < 8) throw io_error(where + ": truncated header: the header length needs 8 bytes, the file has " + std::to_string(file_size));
    in.read(reinterpret_cast<char*>(&length), 8);
    if (length > header_limit || length > file_size - 8)
        throw io_error(where + ": the header claims " + std::to_string(length) + " bytes after byte offset 8, the file ends at byte offset " +
                       std::to_string(file_size));
    std::string text(length, '\0');
    in.read(text.data(), std::streamsize(length));
    nlohmann::json header;
    try {
        header = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& error) {
        throw io_error(where + ": the JSON header (bytes 8 to " + std::to_string(8 + length) + ") is malformed: " + error.what());
    }
    if (!header.is_object()) throw io_error(where + ": the JSON header is not an object");

    const std::uint64_t data_size = file_size - 8 - length;
    struct extent {
        std::size_t begin, end;
        std::string name;
    };
    std::vector<extent> extents;
    try {
        for (const auto& [name, entry] : header.items()) {
            if (name == "__metadata__") {
                for (const auto& [key, value] : entry.items()) file.metadata[key] = value.get<std::string>();
                continue;
            }
            const std::string at = where + ": tensor \"" + name + "\"";
            const element_type type = parse_type(entry.at("dtype").get<std::string>(), at);
            const auto shape = entry.at("shape").get<std::vector<std::size_t>>();
            const auto offsets = entry.at("data_offsets").get<std::vector<std::size_t>>();
            if (offsets.size() != 2 || offsets[0] > offsets[1]) throw io_error(at + ": data_offsets must be [begin, end] with begin <= end");
            const std::size_t expected = element_count(shape, at) * bytes_of(type);
            if (offsets[1] - offsets[0] != expected)
                throw io_error(at + ": shape " + shape_text(shape) + " of " + std::string(name_of(type)) + " needs " + std::to_string(expected) +
                               " bytes, data_offsets give " + std::to_string(offsets[1] - offsets[0]));
            if (offsets[1] > data_size)
                throw io_error(at + ": data ends at byte " + std::to_string(8 + length + offsets[1]) + ", the file ends at byte offset " +
                               std::to_string(file_size) + " (truncated)");
            extents.push_back({offsets[0], offsets[1], name});
            file.tensors[name] = {type, shape, offsets[0], offsets[1]};
        }
    } catch (const nlohmann::json::exception& error) {
        throw io_error(where + ": the JSON header does not describe tensors: " + error.what());
    }
    // The data must be covered exactly, without holes or overlaps, as the format requires.
    std::sort(extents.begin(), extents.end(), [](const extent& a, const extent& b) { return a.begin < b.begin; });
    std::size_t covered = 0;
    for (const auto& e : extents) {
        if (e.begin != covered)
            throw io_error(where + ": tensor \"" + e.name + "\" starts at data byte " + std::to_string(e.begin) + ", expected " +
                           std::to_string(covered) + (e.begin < covered ? " (it overlaps another tensor)" : " (a hole in the data)"));
        covered = e.end;
    }
    if (covered != data_size)
        throw io_error(where + ": " + std::to_string(data_size - covered) + " bytes after the last tensor (trailing data at byte offset " +
                       std::to_string(8 + length + covered) + ")");

    file.data.resize(data_size);
    in.read(reinterpret_cast<char*>(file.data.data()), std::streamsize(data_size));
    if (!in) throw io_error(where + ": read error in the data after byte offset " + std::to_string(8 + length));
    return file;
}

}  // namespace typegrad::io
