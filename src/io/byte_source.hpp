#pragma once
// Where a reader's bytes come from: a file on disk or a block of memory (an in-memory entry point,
// which the fuzzers use). The readers parse from a byte_source, so one parser serves both. Internal to
// the compiled library: not installed.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace typegrad::io::detail {

class byte_source {
public:
    virtual ~byte_source() = default;
    // Copies up to `size` bytes into `out`; fewer only at the end. Throws io_error on a read error.
    virtual std::size_t read(std::byte* out, std::size_t size) = 0;
};

// A file read in order. Errors (cannot open, read error) are io_errors naming the path.
class file_source final : public byte_source {
public:
    explicit file_source(const std::filesystem::path& path);
    ~file_source() override;
    file_source(const file_source&) = delete;
    file_source& operator=(const file_source&) = delete;
    std::size_t read(std::byte* out, std::size_t size) override;
    // The file's size if it is a regular file; none for a pipe or a device, which cannot tell it.
    std::optional<std::uint64_t> regular_size() const;

private:
    std::string path_;
    std::FILE* file_ = nullptr;
    std::uint64_t offset_ = 0;
};

class memory_source final : public byte_source {
public:
    explicit memory_source(std::span<const std::byte> bytes) : bytes_{bytes} {}
    std::size_t read(std::byte* out, std::size_t size) override;

private:
    std::span<const std::byte> bytes_;
};

// Everything the source still holds, read in growing blocks; `hint` is only a first guess of its size.
std::vector<std::byte> read_rest(byte_source& source, std::size_t hint);

// The whole file in memory, for the formats that are parsed from one block (CSV).
std::vector<std::byte> read_whole_file(const std::filesystem::path& path);

}  // namespace typegrad::io::detail
