#include "byte_source.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include <typegrad/io/io_error.hpp>

namespace typegrad::io::detail {

file_source::file_source(const std::filesystem::path& path) : path_{path.string()} {
    errno = 0;
    file_ = std::fopen(path_.c_str(), "rb");
    if (file_ == nullptr) throw io_error(path_ + ": cannot open (" + std::generic_category().message(errno) + ")");
}

file_source::~file_source() { std::fclose(file_); }

std::size_t file_source::read(std::byte* out, std::size_t size) {
    errno = 0;
    const std::size_t got = std::fread(out, 1, size, file_);
    if (got < size && std::ferror(file_))
        throw io_error(path_ + ": read error at byte offset " + std::to_string(offset_ + got) + " (" + std::generic_category().message(errno) + ")");
    offset_ += got;
    return got;
}

std::size_t memory_source::read(std::byte* out, std::size_t size) {
    const std::size_t got = std::min(size, bytes_.size());
    if (got != 0) std::memcpy(out, bytes_.data(), got);
    bytes_ = bytes_.subspan(got);
    return got;
}

std::vector<std::byte> read_whole_file(const std::filesystem::path& path) {
    file_source file{path};
    std::vector<std::byte> bytes;
    // Grows with what is actually read: the size a file system reports is only a hint (pipes report 0).
    std::error_code ignored;
    const auto reported = std::filesystem::file_size(path, ignored);
    bytes.resize(ignored ? 1 << 16 : std::max<std::size_t>(reported + 1, 1 << 12));
    std::size_t used = 0;
    for (;;) {
        used += file.read(bytes.data() + used, bytes.size() - used);
        if (used < bytes.size()) break;
        bytes.resize(2 * bytes.size());
    }
    bytes.resize(used);
    return bytes;
}

}  // namespace typegrad::io::detail
