#pragma once
// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header
// {"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {...}},
// then the raw little-endian data. Reading validates everything the header claims against the
// file before any tensor is used; writing is atomic (a temporary file renamed over the target).
#include <cstddef>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <vector>

#include <typegrad/io/io_error.hpp>

namespace typegrad::io {

// I64 holds counts (a batch normalisation's num_batches_tracked, as PyTorch stores it).
enum class element_type { f32, f64, i64 };

std::string_view name_of(element_type type);  // "F32", "F64", "I64"
std::size_t bytes_of(element_type type);
std::string shape_text(const std::vector<std::size_t>& shape);  // "[32, 1, 3, 3]"

struct tensor_to_write {
    std::string name;
    element_type type;
    std::vector<std::size_t> shape;
    const void* data;  // product(shape) values of `type`
};

// Writes the tensors (in the given order) and the metadata; on any failure the target is untouched
// and an io_error names the path.
void write_safetensors(const std::filesystem::path& path, std::span<const tensor_to_write> tensors,
                       const std::map<std::string, std::string>& metadata = {});

struct stored_tensor {
    element_type type;
    std::vector<std::size_t> shape;
    std::size_t begin, end;  // byte range within safetensors_file::data
};

struct safetensors_file {
    std::string path;  // or the name given to parse_safetensors
    std::map<std::string, std::string> metadata;
    std::map<std::string, stored_tensor> tensors;
    std::vector<std::byte> data;
};

// Reads and validates a whole file: header length within the file, well-formed JSON, known dtypes,
// offsets that match the shapes, lie within the data, and do not overlap, and no trailing bytes. The
// length and the header are read and checked against the file's size first, the data only then: a
// file that claims more (or less) than it holds is refused having read only its header.
safetensors_file read_safetensors(const std::filesystem::path& path);

// The same for a file's contents already in memory; `name` stands for the path in the result and in
// error messages.
safetensors_file parse_safetensors(std::span<const std::byte> contents, std::string name);

}  // namespace typegrad::io
