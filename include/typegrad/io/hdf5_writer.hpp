#pragma once
// Writes an HDF5 data set a few samples at a time, for io::hdf5_reader (io/hdf5.hpp): a generator can
// stream a file far larger than memory. The file holds
//   features  [N, d0, ...]  uint8, uint16, float32 or float64, chunked along N
//   targets   [N] int32 class labels, or [N, K] float32 values
//   and, beside value targets, optionally a second dataset of int32 labels [N] (a class to report by)
//   other inputs  [N, ...]  float32, each a dataset of its own (a redshift, photometry: hdf5_dataset's other inputs)
// every dataset extendible along N, with a Fletcher-32 checksum on every chunk (so a reader finds
// overwritten bytes) and optionally gzip compression. Samples are buffered up to a block of whole
// chunks and written as one hyperslab per dataset: memory is the block, whatever N becomes.
//
// The file is written as "<path>.partial" and renamed to `path` by close(): an interrupted run leaves
// no file that looks complete. Destroying a writer that was not closed (an exception while
// generating) removes the partial file. Errors are io_errors naming the file and the dataset; a
// misuse (wrong element type, a buffer that is not whole samples) is std::invalid_argument.
// The file records no creation or modification times: the same samples give the same bytes.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include <typegrad/io/hdf5.hpp>

namespace typegrad::io {

// A dataset of float32 values per sample beside the features and targets.
struct hdf5_column {
    std::string name;
    std::vector<std::size_t> shape{};  // per sample: {} for one value, {k} for k values, ...
};

struct hdf5_writer_options {
    std::string features = "features";
    std::vector<std::size_t> feature_shape{};  // per sample (rank 0 to 4)
    hdf5_feature_type feature_type = hdf5_feature_type::float32;
    // Written as the features dataset's attributes "scale_factor" and "add_offset" when given (the
    // reader's default for uint8 is 1/255 without them).
    std::optional<double> scale{};
    std::optional<double> offset{};

    std::string targets = "targets";
    std::size_t target_values = 0;  // 0: int32 class labels [N]; K > 0: float32 values [N, K]
    std::string extra_labels{};     // with value targets: the name of a second, int32 labels [N] dataset; empty: none
    std::vector<hdf5_column> other_inputs{};  // float32 datasets [N, ...] of further per-sample values

    // Samples per chunk of the features dataset; 0 picks chunks of at most 16 KiB (one sample if a
    // sample is larger). A reader reads (and checks) whole chunks: small chunks suit random minibatches,
    // large ones compression.
    std::size_t chunk_samples = 0;
    int gzip_level = 0;  // 1 to 9: compress each chunk (io_error if this HDF5 lacks the filter); 0: none
    bool checksum = true;
};

template <class T>
concept hdf5_feature_element = std::is_same_v<T, std::uint8_t> || std::is_same_v<T, std::uint16_t> || std::is_same_v<T, float> ||
                               std::is_same_v<T, double>;

class hdf5_writer {
public:
    // Creates "<path>.partial" with empty, extendible datasets; io_error if it cannot.
    hdf5_writer(const std::filesystem::path& path, hdf5_writer_options options);
    ~hdf5_writer();
    hdf5_writer(hdf5_writer&&) noexcept;
    hdf5_writer& operator=(hdf5_writer&&) noexcept;

    // Appends features.size() / feature_size samples. The element type must be options.feature_type
    // (std::uint8_t for uint8, ...); the targets must be labels (int32) or values (float) as declared,
    // one label or K values per sample; extra_labels one per sample if declared, empty otherwise;
    // other_inputs the values of each declared other input, in their order.
    template <hdf5_feature_element F>
    void append(std::span<const F> features, std::span<const std::int32_t> labels, std::span<const std::span<const float>> other_inputs = {}) {
        append_samples(features.data(), type_of<F>(), features.size(), labels.data(), labels.size(), nullptr, 0, other_inputs);
    }
    template <hdf5_feature_element F>
    void append(std::span<const F> features, std::span<const float> values, std::span<const std::int32_t> extra_labels = {},
                std::span<const std::span<const float>> other_inputs = {}) {
        append_samples(features.data(), type_of<F>(), features.size(), extra_labels.data(), extra_labels.size(), values.data(), values.size(), other_inputs);
    }

    std::size_t size() const;  // samples appended so far
    const std::string& path() const;

    // Writes what is buffered, closes the file and renames it to its path. io_error on any failure.
    void close();

    struct impl;

private:
    template <class F>
    static constexpr hdf5_feature_type type_of() {
        if constexpr (std::is_same_v<F, std::uint8_t>) return hdf5_feature_type::uint8;
        else if constexpr (std::is_same_v<F, std::uint16_t>) return hdf5_feature_type::uint16;
        else if constexpr (std::is_same_v<F, float>) return hdf5_feature_type::float32;
        else return hdf5_feature_type::float64;
    }
    void append_samples(const void* features, hdf5_feature_type type, std::size_t feature_count, const std::int32_t* labels,
                        std::size_t label_count, const float* values, std::size_t value_count, std::span<const std::span<const float>> other_inputs);

    std::unique_ptr<impl> impl_;
};

}  // namespace typegrad::io
