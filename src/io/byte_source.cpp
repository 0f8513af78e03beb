#include "byte_source.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include <sys/stat.h>

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

std::optional<std::uint64_t> file_source::regular_size() const {
    struct stat status {};
    if (::fstat(::fileno(file_), &status) != 0 || !S_ISREG(status.st_mode)) return std::nullopt;
    return static_cast<std::uint64_t>(status.st_size);
}

std::size_t memory_source::read(std::byte* out, std::size_t size) {
    const std::size_t got = std::min(size, bytes_.size());
    if (got != 0) std::memcpy(out, bytes_.data(), got);
    bytes_ = bytes_.subspan(got);
    return got;
}

std::vector<std::byte> read_rest(byte_source& source, std::size_t hint) {
    std::vector<std::byte> bytes(std::max<std::size_t>(hint, 1 << 12));
    std::size_t used = 0;
    for (;;) {
        used += source.read(bytes.data() + used, bytes.size() - used);
        if (used < bytes.size()) break;
        bytes.resize(2 * bytes.size());
    }
    bytes.resize(used);
    return bytes;
}

std::vector<std::byte> read_whole_file(const std::filesystem::path& path) {
    file_source file{path};
    // Grows with what is actually read: the size is only a hint (the file may change; pipes tell none).
    const auto size = file.regular_size();
    return read_rest(file, size ? static_cast<std::size_t>(*size) + 1 : std::size_t{1} << 16);
}

}  // namespace typegrad::io::detail
