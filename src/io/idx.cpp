#include "typegrad/io/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <utility>

#include "byte_source.hpp"

namespace typegrad::io {

namespace {

// Largest element count we accept; a header asking for more is corrupt or
// hostile.  2^34 floats is 64 GiB, far beyond any real IDX data set.
constexpr int max_elements_log2 = std::min(34, std::numeric_limits<std::size_t>::digits - 4);
constexpr std::uint64_t max_elements = std::uint64_t{1} << max_elements_log2;

// Payload is read and converted in chunks of this many bytes, so memory
// only grows as fast as data actually arrives.  A multiple of every element size.
constexpr std::size_t chunk_bytes = std::size_t{1} << 16;

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

// A finite float64 beyond float's range would become an infinity: refused, naming the element (its index
// in the row-major data) and its byte offset. Infinities and NaNs stored as such are kept; values
// below float's smallest subnormal (about 1.4e-45) become 0 or a subnormal, as any rounding to float does.
[[noreturn]] void beyond_float(const std::string& path, double value, std::size_t index, std::uint64_t header_bytes) {
    char text[32];
    const auto end = std::to_chars(text, text + sizeof text, value).ptr;  // the shortest text that reads back as the value
    throw io_error(path + ": element " + std::to_string(index) + " (byte offset " + std::to_string(header_bytes + 8 * std::uint64_t{index}) +
                   "): the float64 value " + std::string(text, end) + " is beyond float's range (about 3.4e38); typegrad reads IDX data as float");
}

// Converts n elements of the given type, appending them to out; `out` holds the elements before them,
// and the data starts at byte offset `header_bytes` of `path`.
void decode(std::uint8_t code, const unsigned char* p, std::size_t n, std::vector<float>& out, const std::string& path, std::uint64_t header_bytes) {
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
            for (std::size_t i = 0; i < n; ++i) {
                const double value = std::bit_cast<double>(load_be64(p + 8 * i));
                // Checked before the conversion, which is undefined for a finite value beyond the range.
                if (std::isfinite(value) && std::abs(value) > double(std::numeric_limits<float>::max())) beyond_float(path, value, old + i, header_bytes);
                dst[i] = static_cast<float>(value);
            }
            break;
        default:
            break;  // unreachable: the type code was validated against element_types
    }
}

// The uncompressed content of a plain or gzipped byte source (gzip is recognised by its magic bytes
// 1F 8B, as zlib's gzread does; concatenated gzip members are one stream), tracking the uncompressed
// offset so that errors can say where they happened.
class content_reader {
public:
    content_reader(detail::byte_source& source, const std::string& name) : source_{source}, name_{name} {
        while (available_ < 2 && refill()) {
        }
        gzip_ = available_ >= 2 && input_[0] == 0x1F && input_[1] == 0x8B;
        if (gzip_ && inflateInit2(&stream_, 15 + 16) != Z_OK)  // 15 + 16: a gzip wrapper around a 32 KiB window
            throw io_error(name_ + ": out of memory while starting to decompress");
    }
    content_reader(const content_reader&) = delete;
    content_reader& operator=(const content_reader&) = delete;
    ~content_reader() {
        if (gzip_) inflateEnd(&stream_);
    }

    // Reads up to n bytes; fewer only at the end of the content. A corrupt or truncated gzip stream
    // is an error, not an end.
    std::size_t read(unsigned char* out, std::size_t n) { return gzip_ ? inflate_into(out, n) : copy_into(out, n); }

    // Bytes of (uncompressed) content consumed so far.
    std::uint64_t offset() const { return offset_; }

private:
    // Appends the next piece of the source to the unconsumed input; false at its end.
    bool refill() {
        if (source_done_) return false;
        if (consumed_ != 0) {
            std::memmove(input_.data(), input_.data() + consumed_, available_);
            consumed_ = 0;
        }
        const std::size_t got = source_.read(reinterpret_cast<std::byte*>(input_.data()) + available_, input_.size() - available_);
        source_done_ = got == 0;
        available_ += got;
        return got != 0;
    }

    std::size_t copy_into(unsigned char* out, std::size_t n) {
        std::size_t total = 0;
        while (total < n && (available_ != 0 || refill())) {
            const std::size_t take = std::min(n - total, available_);
            std::memcpy(out + total, input_.data() + consumed_, take);
            consumed_ += take;
            available_ -= take;
            total += take;
            offset_ += take;
        }
        return total;
    }

    std::size_t inflate_into(unsigned char* out, std::size_t n) {
        std::size_t total = 0;
        while (total < n) {
            if (available_ == 0 && !refill()) {
                if (member_ended_) break;  // the end of the last member is the end of the content
                fail("truncated gzip stream", "unexpected end of file");
            }
            if (member_ended_) {  // more input after a member: the next member
                inflateReset(&stream_);
                member_ended_ = false;
            }
            stream_.next_in = input_.data() + consumed_;
            stream_.avail_in = static_cast<unsigned>(available_);
            stream_.next_out = out + total;
            stream_.avail_out = static_cast<unsigned>(std::min(n - total, max_inflate));
            const unsigned out_before = stream_.avail_out;
            const int status = inflate(&stream_, Z_NO_FLUSH);
            consumed_ += available_ - stream_.avail_in;
            available_ = stream_.avail_in;
            total += out_before - stream_.avail_out;
            offset_ += out_before - stream_.avail_out;
            if (status == Z_STREAM_END)
                member_ended_ = true;
            else if (status == Z_MEM_ERROR)
                fail("out of memory while decompressing", "");
            else if (status == Z_BUF_ERROR && available_ != 0)
                fail("corrupt gzip stream", "no progress");  // cannot happen with room for output; never loop on it
            else if (status != Z_OK && status != Z_BUF_ERROR)  // Z_BUF_ERROR with no input: refill and go on
                fail("corrupt gzip stream", stream_.msg ? stream_.msg : "error " + std::to_string(status));
        }
        return total;
    }

    [[noreturn]] void fail(const std::string& what, const std::string& detail) const {
        throw io_error(name_ + ": " + what + " at uncompressed byte offset " + std::to_string(offset_) + (detail.empty() ? "" : " (" + detail + ")"));
    }

    // Bound for a single inflate call (its lengths are unsigned int).
    static constexpr std::size_t max_inflate = std::size_t{1} << 20;

    detail::byte_source& source_;
    const std::string& name_;
    std::vector<unsigned char> input_ = std::vector<unsigned char>(std::size_t{1} << 16);
    std::size_t consumed_ = 0, available_ = 0;  // input_[consumed_, consumed_ + available_) is not yet used
    bool source_done_ = false, gzip_ = false, member_ended_ = false;
    z_stream stream_{};
    std::uint64_t offset_ = 0;
};

}  // namespace

std::size_t idx_array::element_count() const {
    if (dims.empty()) return 0;
    std::size_t n = 1;
    for (std::size_t d : dims) n *= d;
    return n;
}

namespace {

// The one IDX parser, for files and for memory; `path` is the file's path or the in-memory name.
idx_array read_idx_from(detail::byte_source& source, const std::string& path) {
    content_reader in(source, path);

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
        decode(code, chunk.data(), n, result.values, path, header_bytes);
        remaining -= want;
    }

    unsigned char extra = 0;
    if (in.read(&extra, 1) != 0)
        throw io_error(path + ": trailing data after byte offset " + std::to_string(header_bytes + payload) +
                       ": the header accounts for only that many bytes");
    return result;
}

}  // namespace

idx_array read_idx(const std::string& path) {
    detail::file_source file{path};
    return read_idx_from(file, path);
}

idx_array parse_idx(std::span<const std::byte> contents, const std::string& name) {
    detail::memory_source memory{contents};
    return read_idx_from(memory, name);
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
