#pragma once
// Reader for data sets in HDF5 files that may be far bigger than memory: a features dataset [N, ...]
// and a targets dataset, read a few rows at a time.
//
// The file holds (dataset names chosen by the caller; the defaults are "features" and "targets"):
//   features  [N, d0, ...]  uint8, uint16, float32 or float64; d0, ... is the per-sample shape (rank 0 to 4)
//   targets   [N]           integer class labels (any integer type of up to 64 bits), or
//             [N, K]        float32 or float64 values (regression, probabilities, vote fractions)
// A feature is read as stored * scale + offset: the scale and offset given by the caller, else the
// features dataset's numeric attributes "scale_factor" and "add_offset" (the netCDF/CF packing
// convention, which h5py and xarray users know), else scale 1/255 for uint8, 1/65535 for uint16 and
// 1 for floats, offset 0. So uint8 pixels read as [0, 1] unless the file or the caller says otherwise.
//
// Opening reads only the datasets' descriptions; N and the shapes are then known and checked (the
// same N in both, supported types and ranks). Reading is by rows: a hyperslab per call, never the whole
// file, converted into the caller's float or double buffer; the memory used is HDF5's chunk cache
// (`chunk_cache_bytes` per dataset), its metadata cache (which HDF5 bounds) and a scratch buffer of the
// largest batch read, whatever N is.
// Class labels are checked against the caller's class count as they are read.
//
// Every failure is an io_error naming the file, and the dataset when one is at fault: a missing file
// or dataset, a file that is not HDF5, a truncated or corrupt file (HDF5 checks the checksums of
// metadata in the format of HDF5 1.8 or later, which io::hdf5_writer writes, and the writer puts a
// Fletcher-32 checksum on every chunk of data, so overwritten data is found when it is read; data
// without a checksum cannot be checked), a wrong rank,
// shape or element type, datasets of different lengths, a label out of range (naming its sample). HDF5
// never prints its error stack (its automatic printing is turned off by typegrad's first HDF5 call in
// each thread: a thread-safe HDF5 keeps that setting per thread); its innermost message ends the
// io_error's text. (The HDF5 library
// itself is not hardened against files crafted to break it, as typegrad's own readers are by fuzzing:
// read files of known origin.)
//
// Threads: Debian's serial HDF5 is built thread-safe (one lock inside the library), other builds
// are not, so all of typegrad's HDF5 calls take one process-wide lock of their own: readers and
// writers in different threads take turns. One reader is meant to be used from one thread at a time
// (a batch_loader's reading thread), and with a build that is not thread-safe other code must not call
// HDF5 while a typegrad reader is working.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <typegrad/io/io_error.hpp>
#include <typegrad/shape/shape.hpp>

namespace typegrad::io {

// The element types a features dataset may hold.
enum class hdf5_feature_type { uint8, uint16, float32, float64 };
std::string_view name_of(hdf5_feature_type type);  // "uint8", ..., "float64"

// "(3, 64, 64)"; "()" for a scalar per sample.
std::string shape_tuple(std::span<const std::size_t> shape);

struct hdf5_reader_options {
    std::string features = "features";  // dataset paths, "group/name" for one inside a group
    std::string targets = "targets";  // empty: none (a reader of features only)
    // Override the file's scale_factor / add_offset attributes and the type's default (see above).
    std::optional<double> scale{};
    std::optional<double> offset{};
    // Integer class labels must lie in [0, classes): required when the targets are labels.
    std::size_t classes = 0;
    // HDF5's chunk cache for each dataset; a whole chunk is read (and its checksum checked) for any
    // row of it, so this keeps recently read chunks for the next rows. Memory, not a function of N.
    std::size_t chunk_cache_bytes = std::size_t{16} << 20;
};

class hdf5_reader {
public:
    // Opens the file and both datasets and checks them (see above); io_error otherwise. A target
    // dataset of labels without options.classes is std::invalid_argument.
    explicit hdf5_reader(const std::filesystem::path& path, hdf5_reader_options options = {});
    ~hdf5_reader();
    hdf5_reader(hdf5_reader&&) noexcept;
    hdf5_reader& operator=(hdf5_reader&&) noexcept;

    const std::string& path() const;
    const hdf5_reader_options& options() const;

    std::size_t size() const;  // N, the number of samples

    const std::vector<std::size_t>& feature_shape() const;  // per sample, without N
    std::size_t feature_size() const;                       // its product
    hdf5_feature_type feature_type() const;                 // as stored
    double scale() const;                                   // in effect: feature = stored * scale + offset
    double offset() const;

    bool has_labels() const;                               // integer class labels [N], rather than values
    const std::vector<std::size_t>& target_shape() const;  // per sample: {} for labels, {K} for values
    std::size_t target_size() const;                       // 1 for labels, K for values

    // Throw an io_error naming the file, the dataset and both shapes unless the per-sample shape is
    // `expected` ("data.h5: dataset "images" holds samples of shape (3, 32, 32); the network's input is
    // (3, 64, 64)"). Pass the network's compile-time shape: check_feature_shape(tg::shape<3, 64, 64>{}).
    void check_feature_shape(std::span<const std::size_t> expected) const;
    void check_target_shape(std::span<const std::size_t> expected) const;
    template <std::size_t... Dims>
    void check_feature_shape(shape<Dims...>) const {
        check_feature_shape(std::span<const std::size_t>(shape<Dims...>::dims));
    }
    template <std::size_t... Dims>
    void check_target_shape(shape<Dims...>) const {
        check_target_shape(std::span<const std::size_t>(shape<Dims...>::dims));
    }

    // Reads samples [first, first + count) into features (count * feature_size() values) and targets
    // (count * target_size() values, or count labels). An empty span skips that dataset. Rows beyond N
    // are std::out_of_range, a buffer too small std::invalid_argument, the wrong kind of targets
    // (labels into a float buffer, values into int32) std::invalid_argument.
    void read_rows(std::size_t first, std::size_t count, std::span<float> features, std::span<float> targets);
    void read_rows(std::size_t first, std::size_t count, std::span<double> features, std::span<double> targets);
    void read_rows(std::size_t first, std::size_t count, std::span<float> features, std::span<std::int32_t> labels);
    void read_rows(std::size_t first, std::size_t count, std::span<double> features, std::span<std::int32_t> labels);

    // Reads the samples at `indices`, which must be strictly ascending (a shuffled minibatch, sorted),
    // in that order: one read per run of consecutive indices. Same buffers and errors as read_rows.
    void read_sorted(std::span<const std::size_t> indices, std::span<float> features, std::span<float> targets);
    void read_sorted(std::span<const std::size_t> indices, std::span<double> features, std::span<double> targets);
    void read_sorted(std::span<const std::size_t> indices, std::span<float> features, std::span<std::int32_t> labels);
    void read_sorted(std::span<const std::size_t> indices, std::span<double> features, std::span<std::int32_t> labels);

    struct impl;

private:
    std::unique_ptr<impl> impl_;
};

}  // namespace typegrad::io
