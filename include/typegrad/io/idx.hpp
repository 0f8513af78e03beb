// Reader for IDX files, the format of MNIST and Fashion-MNIST.
//
// Files may be plain or gzip-compressed (recognised by gzip's magic bytes).
// Every failure (missing file, corrupt header, truncation, corrupt gzip
// stream, ...) is reported as an io_error whose message starts with the
// offending path, so a caller can show it to a user as is.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <typegrad/io/io_error.hpp>

namespace typegrad::io {

// One IDX file as read from disk.  Elements are converted to float whatever
// their stored type, because that is what the library computes with; int32
// values beyond 2^24 and float64 values lose precision in the conversion.
// A finite float64 value beyond float's range (about 3.4e38) is an io_error
// naming the element, not an infinity; stored infinities and NaNs are kept,
// and float64 values too small for float become 0 or subnormal (an absolute
// error below 1.5e-45).
struct idx_array {
    std::string path;  // or the name given to parse_idx
    // Element type as stored in the file: 0x08 ubyte, 0x09 sbyte, 0x0B int16,
    // 0x0C int32, 0x0D float32, 0x0E float64.
    std::uint8_t type_code = 0;
    // Outermost dimension first, as in the file.
    std::vector<std::size_t> dims;
    // Row-major, values.size() == element_count().
    std::vector<float> values;

    // Product of dims; 0 for a default-constructed (rank-0) array.
    std::size_t element_count() const;
};

// Reads and validates the whole file.  Trailing bytes after the data the
// header describes are an error, as are sizes beyond a sanity limit of 2^34
// elements; nothing is allocated for the data until it has actually been read.
idx_array read_idx(const std::string& path);

// The same for a file's contents already in memory (plain or gzipped); `name`
// stands for the path in the result and in error messages.
idx_array parse_idx(std::span<const std::byte> contents, const std::string& name);

// An image data set with one label per image.
struct labelled_images {
    // count * rows * cols pixels, row-major, scaled from 0..255 to [0, 1].
    std::vector<float> pixels;
    std::vector<std::int32_t> labels;
    std::size_t count = 0;
    std::size_t rows = 0;
    std::size_t cols = 0;
};

// Reads an MNIST-style pair: a rank-3 ubyte images file (count, rows, cols)
// and a rank-1 ubyte labels file with the same count.  Label values are not
// checked against any class count.
labelled_images read_idx_images(const std::string& images_path, const std::string& labels_path);

}  // namespace typegrad::io
