#include "typegrad/io/hdf5_writer.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "hdf5_library.hpp"

namespace typegrad::io {

using namespace detail;

namespace {

std::string in_quotes(const std::string& name) { return "\"" + name + "\""; }

// Values per sample of a dataset whose samples have this shape.
std::size_t values_per_sample(const std::vector<std::size_t>& shape) {
    std::size_t values = 1;
    for (const std::size_t d : shape) values *= d;
    return values;
}

// Throws unless a sample's shape (the features', or an other input's, named by `what`) has rank 0 to 4
// and no zero dimension.
void require_sample_shape(const std::vector<std::size_t>& shape, const std::string& what, const std::string& shape_name) {
    if (shape.size() > 4) throw std::invalid_argument(what + ": a sample has rank 0 to 4, not " + std::to_string(shape.size()));
    for (const std::size_t d : shape)
        if (d == 0) throw std::invalid_argument(what + ": " + shape_name + " " + shape_tuple(shape) + " has a zero dimension");
}

std::size_t bytes_of(hdf5_feature_type type) {
    switch (type) {
        case hdf5_feature_type::uint8: return 1;
        case hdf5_feature_type::uint16: return 2;
        case hdf5_feature_type::float32: return 4;
        case hdf5_feature_type::float64: return 8;
    }
    return 0;
}

// Stored little-endian, the byte order of every machine typegrad runs on: no conversion when written or read.
hid_t file_type_of(hdf5_feature_type type) {
    switch (type) {
        case hdf5_feature_type::uint8: return H5T_STD_U8LE;
        case hdf5_feature_type::uint16: return H5T_STD_U16LE;
        case hdf5_feature_type::float32: return H5T_IEEE_F32LE;
        case hdf5_feature_type::float64: return H5T_IEEE_F64LE;
    }
    return H5I_INVALID_HID;
}

hid_t memory_type_of(hdf5_feature_type type) {
    switch (type) {
        case hdf5_feature_type::uint8: return H5T_NATIVE_UINT8;
        case hdf5_feature_type::uint16: return H5T_NATIVE_UINT16;
        case hdf5_feature_type::float32: return H5T_NATIVE_FLOAT;
        case hdf5_feature_type::float64: return H5T_NATIVE_DOUBLE;
    }
    return H5I_INVALID_HID;
}

// Small chunks: a random minibatch reads (and checks) a whole chunk for each of its samples, so the
// chunks of a large sample hold one, and the targets' chunks a few dozen samples. For 3 x 64 x 64 uint8
// images and 37 float32 values, a sorted batch of 64 random samples takes 1.4 ms of CPU with one sample
// per chunk and 5.5 ms with 16; 64 consecutive samples 1.0 and 0.7 ms (build/bench/hdf5_reading,
// 2026-12-01, medians of 3, on a shared 2-core machine at load 4).
constexpr std::size_t feature_chunk_bytes = std::size_t{16} << 10, target_chunk_bytes = std::size_t{4} << 10;
constexpr std::size_t block_bytes = std::size_t{1} << 20;

// One extendible dataset being appended to, and its buffered rows.
struct column {
    std::string name;
    dataset_handle dataset;
    std::vector<std::size_t> row_shape;  // per sample
    std::size_t row_bytes = 0;           // bytes per sample in memory (= in the file)
    hid_t memory_type = H5I_INVALID_HID;
    std::vector<unsigned char> buffer;   // block_samples rows
};

}  // namespace

struct hdf5_writer::impl {
    std::string path, partial;
    hdf5_writer_options options;
    file_handle file;
    std::vector<column> columns;  // features, targets, the extra labels if any, then the other inputs
    std::size_t feature_size = 1;
    std::size_t block_samples = 0;
    std::size_t buffered = 0, written = 0;
    bool closed = false;

    void create();
    column make_column(const std::string& name, hid_t file_type, hid_t memory_type, std::vector<std::size_t> row_shape, std::size_t element_bytes,
                       std::size_t chunk_samples);
    void flush();
    void discard() noexcept;
};

column hdf5_writer::impl::make_column(const std::string& name, hid_t file_type, hid_t memory_type, std::vector<std::size_t> row_shape,
                                      std::size_t element_bytes, std::size_t chunk_samples) {
    const std::string context = path + ": dataset " + in_quotes(name);
    if (name.empty()) throw std::invalid_argument(path + ": a dataset name is empty");
    column c;
    c.name = name;
    c.row_shape = std::move(row_shape);
    c.row_bytes = element_bytes;
    for (const std::size_t d : c.row_shape) c.row_bytes *= d;
    c.memory_type = memory_type;

    std::vector<hsize_t> dims{0}, max_dims{H5S_UNLIMITED}, chunk{chunk_samples};
    for (const std::size_t d : c.row_shape) {
        dims.push_back(d);
        max_dims.push_back(d);
        chunk.push_back(d);
    }
    const int rank = static_cast<int>(dims.size());
    auto space = checked<dataspace_handle>(H5Screate_simple(rank, dims.data(), max_dims.data()), context + ": cannot create its dataspace");
    auto creation = checked<property_list_handle>(H5Pcreate(H5P_DATASET_CREATE), context + ": cannot create a property list");
    check(H5Pset_chunk(creation.get(), rank, chunk.data()), context + ": cannot set its chunks");
    check(H5Pset_obj_track_times(creation.get(), 0), context + ": cannot turn off its time stamps");
    if (options.gzip_level > 0) {
        if (element_bytes > 1) check(H5Pset_shuffle(creation.get()), context + ": cannot set the shuffle filter");  // bytes of equal weight together: better compression
        check(H5Pset_deflate(creation.get(), static_cast<unsigned>(options.gzip_level)), context + ": cannot set gzip compression");
    }
    if (options.checksum) check(H5Pset_fletcher32(creation.get()), context + ": cannot set the Fletcher-32 checksum");  // last: it checks the stored bytes
    auto links = checked<property_list_handle>(H5Pcreate(H5P_LINK_CREATE), context + ": cannot create a property list");
    check(H5Pset_create_intermediate_group(links.get(), 1), context + ": cannot create its groups");
    c.dataset = checked<dataset_handle>(H5Dcreate2(file.get(), name.c_str(), file_type, space.get(), links.get(), creation.get(), H5P_DEFAULT),
                                        context + ": cannot create it");
    return c;
}

void hdf5_writer::impl::create() {
    require_sample_shape(options.feature_shape, path, "the feature shape");
    if (options.gzip_level < 0 || options.gzip_level > 9) throw std::invalid_argument(path + ": the gzip level is 0 (none) or 1 to 9");
    if (options.target_values == 0 && !options.extra_labels.empty())
        throw std::invalid_argument(path + ": extra labels go beside value targets; the targets are labels already");
    std::vector<const std::string*> names{&options.features, &options.targets, &options.extra_labels};
    for (const hdf5_column& other : options.other_inputs) names.push_back(&other.name);
    for (std::size_t i = 0; i < names.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
            if (*names[i] == *names[j]) throw std::invalid_argument(path + ": two datasets are named " + in_quotes(*names[i]));
    for (const hdf5_column& other : options.other_inputs) require_sample_shape(other.shape, path + ": other input " + in_quotes(other.name), "the shape");
    if (options.scale && !std::isfinite(*options.scale)) throw std::invalid_argument(path + ": the scale must be a finite number");
    if (options.offset && !std::isfinite(*options.offset)) throw std::invalid_argument(path + ": the offset must be a finite number");
    if (options.gzip_level > 0 && H5Zfilter_avail(H5Z_FILTER_DEFLATE) <= 0)
        throw io_error(path + ": this HDF5 library has no gzip (deflate) filter; write with gzip_level 0");

    const std::size_t element_bytes = bytes_of(options.feature_type);
    feature_size = values_per_sample(options.feature_shape);
    const std::size_t sample_bytes = feature_size * element_bytes;
    const std::size_t chunk_samples = options.chunk_samples != 0 ? options.chunk_samples : std::max<std::size_t>(1, feature_chunk_bytes / sample_bytes);
    // A block is whole feature chunks, about 1 MiB: one write per dataset per block.
    block_samples = chunk_samples * std::max<std::size_t>(1, block_bytes / (chunk_samples * sample_bytes));

    auto access = checked<property_list_handle>(H5Pcreate(H5P_FILE_ACCESS), path + ": cannot create a property list");
    // The 1.8 file format at least: checksums on all metadata (superblock, object headers, indexes).
    check(H5Pset_libver_bounds(access.get(), H5F_LIBVER_V18, H5F_LIBVER_LATEST), path + ": cannot set the file format");
    auto creation = checked<property_list_handle>(H5Pcreate(H5P_FILE_CREATE), path + ": cannot create a property list");
    check(H5Pset_obj_track_times(creation.get(), 0), path + ": cannot turn off time stamps");
    file = checked<file_handle>(H5Fcreate(partial.c_str(), H5F_ACC_TRUNC, creation.get(), access.get()), path + ": cannot create " + partial);

    columns.push_back(make_column(options.features, file_type_of(options.feature_type), memory_type_of(options.feature_type), options.feature_shape,
                                  element_bytes, chunk_samples));
    if (options.target_values == 0) {
        columns.push_back(make_column(options.targets, H5T_STD_I32LE, H5T_NATIVE_INT32, {}, 4, target_chunk_bytes / 4));
    } else {
        const std::size_t k = options.target_values;
        columns.push_back(make_column(options.targets, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {k}, 4, std::max<std::size_t>(1, target_chunk_bytes / (4 * k))));
        if (!options.extra_labels.empty()) columns.push_back(make_column(options.extra_labels, H5T_STD_I32LE, H5T_NATIVE_INT32, {}, 4, target_chunk_bytes / 4));
    }
    for (const hdf5_column& other : options.other_inputs)
        columns.push_back(make_column(other.name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, other.shape, 4,
                                      std::max<std::size_t>(1, target_chunk_bytes / (4 * values_per_sample(other.shape)))));
    for (column& c : columns) c.buffer.resize(block_samples * c.row_bytes);

    const hid_t features = columns.front().dataset.get();
    const std::string context = path + ": dataset " + in_quotes(options.features);
    for (const auto& [name, value] : {std::pair{"scale_factor", options.scale}, std::pair{"add_offset", options.offset}}) {
        if (!value) continue;
        auto space = checked<dataspace_handle>(H5Screate(H5S_SCALAR), context + ": cannot create a dataspace");
        auto attribute = checked<attribute_handle>(H5Acreate2(features, name, H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT),
                                                   context + ": cannot create the attribute " + in_quotes(name));
        check(H5Awrite(attribute.get(), H5T_NATIVE_DOUBLE, &*value), context + ": cannot write the attribute " + in_quotes(name));
    }
}

void hdf5_writer::impl::flush() {
    if (buffered == 0) return;
    for (column& c : columns) {
        const std::string what = path + ": dataset " + in_quotes(c.name) + ": writing samples " + std::to_string(written) + " to " +
                                 std::to_string(written + buffered - 1) + " failed";
        std::vector<hsize_t> dims{written + buffered}, start{written}, count{buffered};
        for (const std::size_t d : c.row_shape) {
            dims.push_back(d);
            start.push_back(0);
            count.push_back(d);
        }
        check(H5Dset_extent(c.dataset.get(), dims.data()), what);
        auto space = checked<dataspace_handle>(H5Dget_space(c.dataset.get()), what);
        check(H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr), what);
        auto memory = checked<dataspace_handle>(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr), what);
        check(H5Dwrite(c.dataset.get(), c.memory_type, memory.get(), space.get(), H5P_DEFAULT, c.buffer.data()), what);
    }
    written += buffered;
    buffered = 0;
}

void hdf5_writer::impl::discard() noexcept {
    columns.clear();
    file.reset();
    std::error_code ignored;
    std::filesystem::remove(partial, ignored);
}

hdf5_writer::hdf5_writer(const std::filesystem::path& path, hdf5_writer_options options) : impl_{std::make_unique<impl>()} {
    impl_->path = path.string();
    impl_->partial = impl_->path + ".partial";
    impl_->options = std::move(options);
    hdf5_session session;
    try {
        impl_->create();
    } catch (...) {
        impl_->discard();
        throw;
    }
}

hdf5_writer::~hdf5_writer() {
    if (!impl_ || impl_->closed) return;
    hdf5_session session;
    impl_->discard();
}

hdf5_writer::hdf5_writer(hdf5_writer&&) noexcept = default;
hdf5_writer& hdf5_writer::operator=(hdf5_writer&& other) noexcept {
    if (this != &other) {
        if (impl_ && !impl_->closed) {
            hdf5_session session;
            impl_->discard();
        }
        impl_ = std::move(other.impl_);
    }
    return *this;
}

std::size_t hdf5_writer::size() const { return impl_->written + impl_->buffered; }
const std::string& hdf5_writer::path() const { return impl_->path; }

void hdf5_writer::append_samples(const void* features, hdf5_feature_type type, std::size_t feature_count, const std::int32_t* labels,
                                 std::size_t label_count, const float* values, std::size_t value_count, std::span<const std::span<const float>> other_inputs) {
    impl& w = *impl_;
    if (w.closed) throw std::logic_error(w.path + ": append after close");
    if (type != w.options.feature_type)
        throw std::invalid_argument(w.path + ": dataset " + in_quotes(w.options.features) + " stores " + std::string(name_of(w.options.feature_type)) +
                                    "; append was given " + std::string(name_of(type)) + " features");
    if (feature_count % w.feature_size != 0)
        throw std::invalid_argument(w.path + ": " + std::to_string(feature_count) + " feature values are not a whole number of samples of shape " +
                                    shape_tuple(w.options.feature_shape));
    const std::size_t n = feature_count / w.feature_size;
    const std::size_t k = w.options.target_values;
    const bool want_labels = k == 0 || !w.options.extra_labels.empty();
    if (k == 0 ? value_count != 0 : value_count != n * k)
        throw std::invalid_argument(w.path + ": " + std::to_string(n) + " samples need " + std::to_string(n * k) + " target values in " +
                                    in_quotes(w.options.targets) + ", got " + std::to_string(value_count));
    if (label_count != (want_labels ? n : 0))
        throw std::invalid_argument(w.path + ": " + std::to_string(n) + " samples need " + std::to_string(want_labels ? n : 0) + " labels in " +
                                    in_quotes(k == 0 ? w.options.targets : w.options.extra_labels.empty() ? std::string("(none)") : w.options.extra_labels) +
                                    ", got " + std::to_string(label_count));

    const std::size_t first_other = w.columns.size() - w.options.other_inputs.size();
    if (other_inputs.size() != w.options.other_inputs.size())
        throw std::invalid_argument(w.path + ": append was given " + std::to_string(other_inputs.size()) + " other inputs; the file has " +
                                    std::to_string(w.options.other_inputs.size()));
    for (std::size_t i = 0; i < other_inputs.size(); ++i) {
        const column& c = w.columns[first_other + i];
        if (other_inputs[i].size() * 4 != n * c.row_bytes)
            throw std::invalid_argument(w.path + ": " + std::to_string(n) + " samples need " + std::to_string(n * c.row_bytes / 4) + " values in " +
                                        in_quotes(c.name) + ", got " + std::to_string(other_inputs[i].size()));
    }

    // The sources, in the order of the columns.
    std::vector<const unsigned char*> sources{static_cast<const unsigned char*>(features)};
    if (k == 0) {
        sources.push_back(reinterpret_cast<const unsigned char*>(labels));
    } else {
        sources.push_back(reinterpret_cast<const unsigned char*>(values));
        if (want_labels) sources.push_back(reinterpret_cast<const unsigned char*>(labels));
    }
    for (const std::span<const float> other : other_inputs) sources.push_back(reinterpret_cast<const unsigned char*>(other.data()));
    hdf5_session session;
    for (std::size_t done = 0; done < n;) {
        const std::size_t take = std::min(n - done, w.block_samples - w.buffered);
        for (std::size_t i = 0; i < w.columns.size(); ++i) {
            column& c = w.columns[i];
            if (take != 0) std::memcpy(c.buffer.data() + w.buffered * c.row_bytes, sources[i] + done * c.row_bytes, take * c.row_bytes);
        }
        w.buffered += take;
        done += take;
        if (w.buffered == w.block_samples) w.flush();
    }
}

void hdf5_writer::close() {
    impl& w = *impl_;
    if (w.closed) return;
    hdf5_session session;
    try {
        w.flush();
        for (column& c : w.columns)
            if (!c.dataset.close()) throw_hdf5_error(w.path + ": dataset " + in_quotes(c.name) + ": closing it failed");
        w.columns.clear();
        if (!w.file.close()) throw_hdf5_error(w.path + ": closing " + w.partial + " failed");
        std::error_code error;
        std::filesystem::rename(w.partial, w.path, error);
        if (error) throw io_error(w.path + ": cannot rename " + w.partial + " to it: " + error.message());
    } catch (...) {
        w.discard();
        w.closed = true;
        throw;
    }
    w.closed = true;
}

}  // namespace typegrad::io
