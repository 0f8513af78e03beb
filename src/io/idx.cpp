#include "typegrad/io/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <limits>
#include <system_error>
#include <utility>

namespace typegrad::io {

namespace {

// Largest element count we accept; a header asking for more is corrupt or
// hostile.  2^34 floats is 64 GiB, far beyond any real IDX data set.
constexpr int max_elements_log2 = std::min(34, std::numeric_limits<std::size_t>::digits - 4);
constexpr std::uint64_t max_elements = std::uint64_t{1} << max_elements_log2;

// Payload is read and converted in chunks of this many bytes, so memory
// only grows as fast as data actually arrives.  A multiple of every element size.
constexpr std::size_t chunk_bytes = std::size_t{1} << 16;

// Bound for a single gzread call (its length parameter is an unsigned int).
constexpr std::size_t max_gzread = std::size_t{1} << 20;

struct element_type {
    std::uint8_t code;
    std::size_t size;
    const char* name;
};

constexpr std::array<element_type, 6> element_types{{
    {0x08, 1, "unsigned byte"},
    {0x09, 1, "signed byte"},
    {0x0B, 2, "int16"},
    {0x0C, 4, "int32"},
    {0x0D, 4, "float32"},
    {0x0E, 8, "float64"},
}};

const element_type* find_element_type(std::uint8_t code) {
    for (const auto& t : element_types)
        if (t.code == code) return &t;
    return nullptr;
}

std::string hex(std::uint64_t value, int digits) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%0*llX", digits, static_cast<unsigned long long>(value));
    return buf;
}

std::string type_description(std::uint8_t code) {
    const element_type* t = find_element_type(code);
    return hex(code, 2) + " (" + (t ? t->name : "unknown") + ")";
}

std::uint16_t load_be16(const unsigned char* p) {
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

std::uint32_t load_be32(const unsigned char* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}

std::uint64_t load_be64(const unsigned char* p) {
    return (std::uint64_t{load_be32(p)} << 32) | load_be32(p + 4);
}

// Converts n elements of the given type, appending them to out.
void decode(std::uint8_t code, const unsigned char* p, std::size_t n, std::vector<float>& out) {
    const std::size_t old = out.size();
    out.resize(old + n);
    float* dst = out.data() + old;
    switch (code) {
        case 0x08:
            for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<float>(p[i]);
            break;
        case 0x09:
            for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<float>(static_cast<std::int8_t>(p[i]));
            break;
        case 0x0B:
            for (std::size_t i = 0; i < n; ++i)
                dst[i] = static_cast<float>(static_cast<std::int16_t>(load_be16(p + 2 * i)));
            break;
        case 0x0C:
            for (std::size_t i = 0; i < n; ++i)
                dst[i] = static_cast<float>(static_cast<std::int32_t>(load_be32(p + 4 * i)));
            break;
        case 0x0D:
            for (std::size_t i = 0; i < n; ++i) dst[i] = std::bit_cast<float>(load_be32(p + 4 * i));
            break;
        case 0x0E:
            for (std::size_t i = 0; i < n; ++i)
                dst[i] = static_cast<float>(std::bit_cast<double>(load_be64(p + 8 * i)));
            break;
        default:
            break;  // unreachable: the type code was validated against element_types
    }
}

// A plain or gzipped file read through zlib, tracking the uncompressed offset
// so that errors can say where they happened.
class gz_reader {
public:
    explicit gz_reader(const std::string& path) : path_(path) {
        errno = 0;
        file_ = gzopen(path.c_str(), "rb");
        if (file_ == nullptr) {
            const int e = errno;
            const std::string reason =
                e != 0 ? std::generic_category().message(e) : std::string("zlib could not allocate its state");
            throw io_error(path + ": cannot open (" + reason + ")");
        }
        gzbuffer(file_, 1u << 17);  // only a speed hint; failure is harmless
    }

    gz_reader(const gz_reader&) = delete;
    gz_reader& operator=(const gz_reader&) = delete;
    ~gz_reader() { gzclose(file_); }

    // Reads up to n bytes; fewer only at the end of the file.  A corrupt or
    // truncated gzip stream is an error, not an end of file.
    std::size_t read(unsigned char* buf, std::size_t n) {
        std::size_t total = 0;
        while (total < n) {
            const auto want = static_cast<unsigned>(std::min(n - total, max_gzread));
            const int got = gzread(file_, buf + total, want);
            if (got < 0) fail();
            total += static_cast<std::size_t>(got);
            offset_ += static_cast<std::uint64_t>(got);
            if (static_cast<unsigned>(got) < want) {
                // zlib reports a gzip stream cut short as a plain end of file
                // with Z_BUF_ERROR pending, so look before trusting the EOF.
                int errnum = Z_OK;
                gzerror(file_, &errnum);
                if (errnum != Z_OK) fail();
                break;
            }
        }
        return total;
    }

    // Bytes of (uncompressed) content consumed so far.
    std::uint64_t offset() const { return offset_; }

private:
    [[noreturn]] void fail() {
        const int saved_errno = errno;
        int errnum = Z_OK;
        std::string detail = gzerror(file_, &errnum);
        if (errnum == Z_ERRNO && detail.empty()) detail = std::generic_category().message(saved_errno);
        const char* what = errnum == Z_ERRNO       ? "read error"
                           : errnum == Z_BUF_ERROR ? "truncated gzip stream"
                           : errnum == Z_MEM_ERROR ? "out of memory while decompressing"
                                                   : "corrupt gzip stream";
        // zlib prefixes its messages with the path; ours already starts with it.
        const std::string prefix = path_ + ": ";
        if (detail.starts_with(prefix)) detail.erase(0, prefix.size());
        throw io_error(path_ + ": " + what + " at uncompressed byte offset " + std::to_string(offset_) + " (" +
                       detail + ")");
    }

    std::string path_;
    gzFile file_ = nullptr;
    std::uint64_t offset_ = 0;
};

}  // namespace

std::size_t idx_array::element_count() const {
    if (dims.empty()) return 0;
    std::size_t n = 1;
    for (std::size_t d : dims) n *= d;
    return n;
}

idx_array read_idx(const std::string& path) {
    gz_reader in(path);

    std::array<unsigned char, 4> magic{};
    if (const std::size_t got = in.read(magic.data(), magic.size()); got < magic.size())
        throw io_error(path +
                       ": truncated header: the magic number needs 4 bytes from byte offset 0, "
                       "the file ends at byte offset " +
                       std::to_string(got));
    if (magic[0] != 0 || magic[1] != 0)
        throw io_error(path + ": bad magic " + hex(load_be32(magic.data()), 8) +
                       " at byte 0: an IDX file starts with two zero bytes, a type code and a rank");

    const std::uint8_t code = magic[2];
    const element_type* type = find_element_type(code);
    if (type == nullptr) throw io_error(path + ": unknown element type code " + hex(code, 2));

    const std::size_t rank = magic[3];
    if (rank == 0) throw io_error(path + ": rank 0 is not allowed");

    std::array<unsigned char, 4 * 255> dim_bytes{};
    if (const std::size_t got = in.read(dim_bytes.data(), 4 * rank); got < 4 * rank)
        throw io_error(path + ": truncated header: the magic number promises " + std::to_string(rank) +
                       " dimension sizes (" + std::to_string(4 * rank) +
                       " bytes) after byte offset 4, the file ends at byte offset " + std::to_string(in.offset()));
    const std::uint64_t header_bytes = in.offset();

    idx_array result;
    result.path = path;
    result.type_code = code;
    result.dims.reserve(rank);
    bool any_zero = false;
    for (std::size_t i = 0; i < rank; ++i) {
        const std::uint32_t d = load_be32(dim_bytes.data() + 4 * i);
        result.dims.push_back(d);
        any_zero = any_zero || d == 0;
    }

    // Overflow-safe: every partial product stays at or below max_elements.
    std::uint64_t count = 0;
    if (!any_zero) {
        count = 1;
        for (std::size_t d : result.dims) {
            if (count > max_elements / d) {
                std::string shape;
                for (std::size_t e : result.dims) shape += (shape.empty() ? "" : " x ") + std::to_string(e);
                throw io_error(path + ": dimension sizes overflow (" + shape + " exceeds the limit of 2^" +
                               std::to_string(max_elements_log2) + " elements)");
            }
            count *= d;
        }
    }

    const std::uint64_t payload = count * type->size;
    const auto total_elements = static_cast<std::size_t>(count);
    std::vector<unsigned char> chunk(static_cast<std::size_t>(std::min<std::uint64_t>(payload, chunk_bytes)));
    for (std::uint64_t remaining = payload; remaining > 0;) {
        const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, chunk.size()));
        if (in.read(chunk.data(), want) < want)
            throw io_error(path + ": truncated: the header promises " + std::to_string(payload) +
                           " bytes of data after byte offset " + std::to_string(header_bytes) +
                           ", the file ends at byte offset " + std::to_string(in.offset()));
        const std::size_t n = want / type->size;
        // Grow geometrically, but never past what the header promised, so
        // capacity is exact at the end and only ever backed by data read.
        if (result.values.capacity() < result.values.size() + n)
            result.values.reserve(
                std::min(total_elements, std::max(2 * result.values.capacity(), result.values.size() + n)));
        decode(code, chunk.data(), n, result.values);
        remaining -= want;
    }

    unsigned char extra = 0;
    if (in.read(&extra, 1) != 0)
        throw io_error(path + ": trailing data after byte offset " + std::to_string(header_bytes + payload) +
                       ": the header accounts for only that many bytes");
    return result;
}

labelled_images read_idx_images(const std::string& images_path, const std::string& labels_path) {
    auto require = [](const idx_array& a, const char* role, std::size_t rank, const char* layout) {
        if (a.dims.size() != rank)
            throw io_error(std::string(role) + " file " + a.path + ": expected rank " + std::to_string(rank) + " (" +
                           layout + "), got rank " + std::to_string(a.dims.size()));
        if (a.type_code != 0x08)
            throw io_error(std::string(role) + " file " + a.path + ": expected element type " +
                           type_description(0x08) + ", got " + type_description(a.type_code));
    };

    idx_array images = read_idx(images_path);
    require(images, "images", 3, "count, rows, cols");
    idx_array labels = read_idx(labels_path);
    require(labels, "labels", 1, "count");
    if (images.dims[0] != labels.dims[0])
        throw io_error("images file " + images_path + " holds " + std::to_string(images.dims[0]) +
                       " images but labels file " + labels_path + " holds " + std::to_string(labels.dims[0]) +
                       " labels");

    labelled_images out;
    out.count = images.dims[0];
    out.rows = images.dims[1];
    out.cols = images.dims[2];
    out.pixels = std::move(images.values);
    for (float& p : out.pixels) p /= 255.0f;
    out.labels.reserve(labels.values.size());
    for (float l : labels.values) out.labels.push_back(static_cast<std::int32_t>(l));
    return out;
}

}  // namespace typegrad::io
