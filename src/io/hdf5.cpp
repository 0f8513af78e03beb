#include "typegrad/io/hdf5.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <system_error>
#include <type_traits>

#include "hdf5_library.hpp"

namespace typegrad::io {

using namespace detail;

std::string_view name_of(hdf5_feature_type type) {
    switch (type) {
        case hdf5_feature_type::uint8: return "uint8";
        case hdf5_feature_type::uint16: return "uint16";
        case hdf5_feature_type::float32: return "float32";
        case hdf5_feature_type::float64: return "float64";
    }
    return "unknown";
}

std::string shape_tuple(std::span<const std::size_t> shape) {
    std::string text = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + ")";
}

namespace {

// What a dataset's HDF5 datatype is, in the words an error message uses ("int64", "string").
struct stored_type {
    H5T_class_t kind = H5T_NO_CLASS;
    std::size_t bytes = 0;
    bool is_signed = false;
    std::string name;
};

stored_type describe(hid_t type) {
    stored_type t;
    t.kind = H5Tget_class(type);
    t.bytes = H5Tget_size(type);
    switch (t.kind) {
        case H5T_INTEGER:
            t.is_signed = H5Tget_sign(type) == H5T_SGN_2;
            t.name = (t.is_signed ? "int" : "uint") + std::to_string(8 * t.bytes);
            break;
        case H5T_FLOAT: t.name = "float" + std::to_string(8 * t.bytes); break;
        case H5T_STRING: t.name = "string"; break;
        case H5T_COMPOUND: t.name = "compound"; break;
        case H5T_ENUM: t.name = "enum"; break;
        case H5T_ARRAY: t.name = "array"; break;
        case H5T_VLEN: t.name = "variable-length"; break;
        case H5T_BITFIELD: t.name = "bitfield"; break;
        case H5T_OPAQUE: t.name = "opaque"; break;
        case H5T_REFERENCE: t.name = "reference"; break;
        default: t.name = "unknown"; break;
    }
    return t;
}

std::string in_quotes(const std::string& name) { return "\"" + name + "\""; }

// The names in the file's root group, for the message of a missing dataset.
herr_t collect_name(hid_t, const char* name, const H5L_info_t*, void* names) {
    auto& list = *static_cast<std::vector<std::string>*>(names);
    list.push_back(name);
    return list.size() >= 12 ? 1 : 0;  // enough to show what the file holds
}

std::string root_listing(hid_t file) {
    std::vector<std::string> names;
    const bool listed = H5Literate(file, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_name, &names) >= 0;
    H5Eclear2(H5E_DEFAULT);
    if (!listed) return "its root group cannot be listed either";
    if (names.empty()) return "the file's root group is empty";
    std::string text = "the root group holds ";
    for (std::size_t i = 0; i < names.size(); ++i) text += (i ? ", " : "") + in_quotes(names[i]);
    return names.size() >= 12 ? text + ", ..." : text;
}

// Opens the dataset at `name` ("a/b/c"), with a chunk cache of `cache_bytes`; every way of not being
// there (a missing group on the way, a group where the dataset should be) is an io_error naming it.
dataset_handle open_dataset(hid_t file, const std::string& path, const std::string& name, std::size_t cache_bytes) {
    if (name.empty()) throw io_error(path + ": no dataset name given");
    for (std::size_t end = name.find('/', 1);; end = name.find('/', end + 1)) {
        const std::string prefix = name.substr(0, end);
        const htri_t exists = H5Lexists(file, prefix.c_str(), H5P_DEFAULT);
        check(exists, path + ": cannot look for " + in_quotes(prefix));  // a corrupt group, not a missing name
        if (exists == 0) {
            throw io_error(path + ": no dataset " + in_quotes(name) + (prefix == name ? "" : " (no " + in_quotes(prefix) + ")") + "; " + root_listing(file));
        }
        if (end == std::string::npos) break;
    }
    {
        const hid_t object = H5Oopen(file, name.c_str(), H5P_DEFAULT);
        if (object < 0) throw_hdf5_error(path + ": cannot open " + in_quotes(name));
        const H5I_type_t kind = H5Iget_type(object);
        H5Oclose(object);
        if (kind != H5I_DATASET)
            throw io_error(path + ": " + in_quotes(name) + " is " + (kind == H5I_GROUP ? "a group" : "a named datatype") + ", not a dataset");
    }
    auto access = checked<property_list_handle>(H5Pcreate(H5P_DATASET_ACCESS), path + ": cannot create a property list");
    // 12421 slots: a prime about 100 times the chunks the cache holds, as HDF5's documentation advises.
    check(H5Pset_chunk_cache(access.get(), 12421, cache_bytes, 0.75), path + ": cannot set the chunk cache");
    return checked<dataset_handle>(H5Dopen2(file, name.c_str(), access.get()), path + ": cannot open dataset " + in_quotes(name));
}

// The dataset's dimensions, outermost first; a scalar or null dataspace has none.
std::vector<std::size_t> dimensions_of(hid_t dataset, const std::string& context) {
    auto space = checked<dataspace_handle>(H5Dget_space(dataset), context + ": cannot read its dataspace");
    const int rank = H5Sget_simple_extent_ndims(space.get());
    check(rank, context + ": cannot read its rank");
    std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
    if (rank > 0) check(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr), context + ": cannot read its dimensions");
    return {dims.begin(), dims.end()};
}

std::size_t product(const std::vector<std::size_t>& dims) {
    std::size_t n = 1;
    for (const std::size_t d : dims) n *= d;
    return n;
}

// A numeric scalar attribute of the dataset, if it has one.
std::optional<double> numeric_attribute(hid_t dataset, const char* name, const std::string& context) {
    const htri_t exists = H5Aexists(dataset, name);
    check(exists, context + ": cannot look for the attribute " + in_quotes(name));
    if (exists == 0) return std::nullopt;
    const std::string where = context + ", attribute " + in_quotes(name);
    auto attribute = checked<attribute_handle>(H5Aopen(dataset, name, H5P_DEFAULT), where + ": cannot open it");
    auto type = checked<datatype_handle>(H5Aget_type(attribute.get()), where + ": cannot read its type");
    const stored_type t = describe(type.get());
    auto space = checked<dataspace_handle>(H5Aget_space(attribute.get()), where + ": cannot read its dataspace");
    const hssize_t elements = H5Sget_simple_extent_npoints(space.get());
    if ((t.kind != H5T_INTEGER && t.kind != H5T_FLOAT) || elements != 1)
        throw io_error(where + ": expected one number, found " + std::to_string(elements) + " " + t.name + " value(s)");
    double value = 0;
    check(H5Aread(attribute.get(), H5T_NATIVE_DOUBLE, &value), where + ": cannot read it");
    if (!std::isfinite(value)) throw io_error(where + ": " + std::to_string(value) + " is not a finite number");
    return value;
}

// A maximal run of consecutive samples, and where it goes in the caller's buffers (in samples).
struct run {
    std::size_t first, count, destination;
};

template <class T>
constexpr hdf5_feature_type float_type_of = std::is_same_v<T, float> ? hdf5_feature_type::float32 : hdf5_feature_type::float64;

}  // namespace

struct hdf5_reader::impl {
    std::string path;
    hdf5_reader_options options;
    file_handle file;
    dataset_handle features, targets;
    dataspace_handle feature_space, target_space;  // the datasets' file dataspaces, reselected per read
    std::size_t count = 0;
    std::vector<std::size_t> feature_shape, target_shape;
    std::size_t feature_size = 0, target_size = 0;
    hdf5_feature_type feature_type = hdf5_feature_type::float32;
    bool labels = false;
    hdf5_feature_type target_type = hdf5_feature_type::float32;  // for values: float32 or float64
    double scale = 1, offset = 0;
    double divisor = 0;  // 255 or 65535 when the scale is the type's default; 0 otherwise

    // Scratch for stored values that need converting, sized by the largest read so far (one of them is
    // used, after the stored type).
    std::vector<std::uint8_t> u8;
    std::vector<std::uint16_t> u16;
    std::vector<float> f32;
    std::vector<double> f64;
    std::vector<std::int64_t> label_values;
    std::vector<run> runs;
    // uint8 features: each of the 256 values converted once (the conversion was most of a read's time).
    std::array<float, 256> byte_as_float{};
    std::array<double, 256> byte_as_double{};

    std::string feature_context() const { return path + ": dataset " + in_quotes(options.features); }
    std::string target_context() const { return path + ": dataset " + in_quotes(options.targets); }

    void open();
    void open_targets();
    void read_run(hid_t dataset, hid_t space, hid_t memory_type, const run& r, void* out, const std::string& context);
    template <class F>
    void read_features(std::size_t total, std::span<F> out);
    template <class T>
    void read_values(std::size_t total, std::span<T> out);
    void read_labels(std::size_t total, std::span<std::int32_t> out);
    template <class F, class T>
    void read(std::size_t total, std::span<F> features, std::span<T> targets);
    template <class F, class T>
    void read_rows(std::size_t first, std::size_t count, std::span<F> features, std::span<T> targets);
    template <class F, class T>
    void read_sorted(std::span<const std::size_t> indices, std::span<F> features, std::span<T> targets);
};

void hdf5_reader::impl::open() {
    std::error_code error;
    const auto status = std::filesystem::status(path, error);
    if (!std::filesystem::exists(status)) throw io_error(path + ": no such file");
    if (std::filesystem::is_directory(status)) throw io_error(path + ": is a directory, not an HDF5 file");

    const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
    if (is_hdf5 == 0) throw io_error(path + ": not an HDF5 file (it does not start with HDF5's signature)");
    check(is_hdf5, path + ": cannot open");
    auto access = checked<property_list_handle>(H5Pcreate(H5P_FILE_ACCESS), path + ": cannot create a property list");
    // Strong: closing the file closes whatever HDF5 left open inside it, as a failed open in a corrupt
    // file can; otherwise the file stays open and HDF5 complains when the program ends.
    check(H5Pset_fclose_degree(access.get(), H5F_CLOSE_STRONG), path + ": cannot set the close degree");
    file = checked<file_handle>(H5Fopen(path.c_str(), H5F_ACC_RDONLY, access.get()), path + ": cannot open as an HDF5 file");

    features = open_dataset(file.get(), path, options.features, options.chunk_cache_bytes);
    if (!options.targets.empty()) targets = open_dataset(file.get(), path, options.targets, options.chunk_cache_bytes);

    // Features: [N, ...] of a supported type.
    const std::string fc = feature_context();
    {
        auto type = checked<datatype_handle>(H5Dget_type(features.get()), fc + ": cannot read its type");
        const stored_type t = describe(type.get());
        if (t.kind == H5T_INTEGER && !t.is_signed && t.bytes == 1)
            feature_type = hdf5_feature_type::uint8;
        else if (t.kind == H5T_INTEGER && !t.is_signed && t.bytes == 2)
            feature_type = hdf5_feature_type::uint16;
        else if (t.kind == H5T_FLOAT && t.bytes == 4)
            feature_type = hdf5_feature_type::float32;
        else if (t.kind == H5T_FLOAT && t.bytes == 8)
            feature_type = hdf5_feature_type::float64;
        else
            throw io_error(fc + " holds " + t.name + " values; features must be uint8, uint16, float32 or float64");
    }
    const auto fdims = dimensions_of(features.get(), fc);
    if (fdims.empty() || fdims.size() > 5)
        throw io_error(fc + " has rank " + std::to_string(fdims.size()) + " " + shape_tuple(fdims) +
                       "; features need rank 1 to 5: [N] or [N, d0, ...], one sample per row, a sample of rank 0 to 4");
    count = fdims[0];
    feature_shape.assign(fdims.begin() + 1, fdims.end());
    feature_size = product(feature_shape);
    if (feature_size == 0) throw io_error(fc + " holds samples of shape " + shape_tuple(feature_shape) + ", which hold no values");

    if (!options.targets.empty()) open_targets();
    // Scale and offset: the caller's, else the file's, else the type's default.
    const double default_scale = feature_type == hdf5_feature_type::uint8 ? 1.0 / 255 : feature_type == hdf5_feature_type::uint16 ? 1.0 / 65535 : 1.0;
    scale = options.scale ? *options.scale : numeric_attribute(features.get(), "scale_factor", fc).value_or(default_scale);
    // The defaults divide: v / 255 exactly as a division gives it (v * (1.0 / 255) can differ in the last bit).
    const double default_divisor = feature_type == hdf5_feature_type::uint8 ? 255 : feature_type == hdf5_feature_type::uint16 ? 65535 : 0;
    divisor = !options.scale && scale == default_scale ? default_divisor : 0;
    offset = options.offset ? *options.offset : numeric_attribute(features.get(), "add_offset", fc).value_or(0.0);
    if (!std::isfinite(scale) || !std::isfinite(offset)) throw std::invalid_argument(path + ": the scale and offset must be finite numbers");

    for (std::size_t v = 0; v < 256; ++v) {  // as the general conversion computes them
        const double value = divisor != 0 ? double(v) / divisor + offset : double(v) * scale + offset;
        byte_as_double[v] = value;
        // A value beyond float's range is never read from this table: such a scale takes the general
        // conversion, which refuses it.
        byte_as_float[v] = std::abs(value) > double(std::numeric_limits<float>::max()) ? 0.0f : static_cast<float>(value);
    }
    feature_space = checked<dataspace_handle>(H5Dget_space(features.get()), fc + ": cannot read its dataspace");
}

// Targets: integer labels [N] or float values [N, K], as many as the features.
void hdf5_reader::impl::open_targets() {
    const std::string tc = target_context();
    auto ttype = checked<datatype_handle>(H5Dget_type(targets.get()), tc + ": cannot read its type");
    const stored_type t = describe(ttype.get());
    const auto tdims = dimensions_of(targets.get(), tc);
    if (t.kind == H5T_INTEGER && t.bytes <= 8) {
        labels = true;
        if (tdims.size() != 1)
            throw io_error(tc + " holds " + t.name + " values of rank " + std::to_string(tdims.size()) + " " + shape_tuple(tdims) +
                           "; integer targets are class labels, one per sample: [N]");
    } else if (t.kind == H5T_FLOAT && (t.bytes == 4 || t.bytes == 8)) {
        target_type = t.bytes == 4 ? hdf5_feature_type::float32 : hdf5_feature_type::float64;
        if (tdims.size() != 2)
            throw io_error(tc + " holds " + t.name + " values of rank " + std::to_string(tdims.size()) + " " + shape_tuple(tdims) +
                           "; value targets need rank 2: [N, K]");
    } else {
        throw io_error(tc + " holds " + t.name + " values; targets must be integer class labels [N] or float32 or float64 values [N, K]");
    }
    if (tdims[0] != count)
        throw io_error(path + ": dataset " + in_quotes(options.features) + " holds " + std::to_string(count) + " samples but dataset " +
                       in_quotes(options.targets) + " holds " + std::to_string(tdims[0]));
    target_shape.assign(tdims.begin() + 1, tdims.end());
    target_size = labels ? 1 : product(target_shape);
    if (target_size == 0) throw io_error(tc + " holds targets of shape " + shape_tuple(target_shape) + ", which hold no values");
    if (labels && options.classes == 0)
        throw std::invalid_argument(tc + " holds integer class labels: give hdf5_reader_options::classes, the class count, to check them against");

    target_space = checked<dataspace_handle>(H5Dget_space(targets.get()), tc + ": cannot read its dataspace");
}

// One hyperslab: rows [r.first, r.first + r.count) of the dataset into `out`, as `memory_type`.
void hdf5_reader::impl::read_run(hid_t dataset, hid_t space, hid_t memory_type, const run& r, void* out, const std::string& context) {
    hsize_t start[6] = {r.first, 0, 0, 0, 0, 0};
    hsize_t block[6] = {r.count, 0, 0, 0, 0, 0};
    check(H5Sget_simple_extent_dims(space, block, nullptr), context + ": cannot read its dimensions");
    block[0] = r.count;
    const auto what = [&] { return context + ": reading samples " + std::to_string(r.first) + " to " + std::to_string(r.first + r.count - 1) + " failed"; };
    check(H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nullptr, block, nullptr), what());
    // The memory dataspace has the selection's own shape: HDF5 then maps it to the chunks block by
    // block. A flat one (the same elements) makes it visit every element, 30 times slower.
    const int rank = H5Sget_simple_extent_ndims(space);
    check(rank, what());
    auto memory = checked<dataspace_handle>(H5Screate_simple(rank, block, nullptr), what());
    check(H5Dread(dataset, memory_type, memory.get(), space, H5P_DEFAULT, out), what());
}

template <class F>
void hdf5_reader::impl::read_features(std::size_t total, std::span<F> out) {
    const std::size_t n = total * feature_size;
    const std::string context = feature_context();
    const auto read_all = [&](hid_t memory_type, auto* buffer) {
        for (const run& r : runs) read_run(features.get(), feature_space.get(), memory_type, r, buffer + r.destination * feature_size, context);
    };
    // Stored values -> scale, offset -> F. A value beyond float's range is refused, not made infinite
    // (the conversion would be undefined); only float64 data or a huge scale can produce one.
    const double largest_stored = feature_type == hdf5_feature_type::uint8    ? 255.0
                                  : feature_type == hdf5_feature_type::uint16 ? 65535.0
                                                                              : double(std::numeric_limits<float>::max());
    const bool may_overflow = std::is_same_v<F, float> && (feature_type == hdf5_feature_type::float64 ||
                                                           largest_stored * std::abs(scale) + std::abs(offset) > double(std::numeric_limits<float>::max()));
    const auto convert = [&](const auto* stored) {
        if (may_overflow)
            for (std::size_t i = 0; i < n; ++i) {
                const double value = static_cast<double>(stored[i]) * scale + offset;
                if (std::isfinite(value) && std::abs(value) > double(std::numeric_limits<float>::max())) {
                    std::size_t sample = 0;  // the position in the buffer, mapped back through the runs
                    for (const run& r : runs)
                        if (i / feature_size >= r.destination && i / feature_size < r.destination + r.count) sample = r.first + i / feature_size - r.destination;
                    throw io_error(context + ": sample " + std::to_string(sample) + " holds the value " + std::to_string(value) +
                                   " (after scaling), beyond float's range (about 3.4e38); read it as double");
                }
            }
        if (divisor != 0)
            for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<F>(static_cast<double>(stored[i]) / divisor + offset);
        else
            for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<F>(static_cast<double>(stored[i]) * scale + offset);
    };
    if (feature_type == float_type_of<F>) {  // read in place, then scale if need be
        read_all(std::is_same_v<F, float> ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE, out.data());
        if (scale != 1 || offset != 0) convert(static_cast<const F*>(out.data()));  // element by element: in place is fine
        return;
    }
    switch (feature_type) {
        case hdf5_feature_type::uint8: {
            if (u8.size() < n) u8.resize(n);
            read_all(H5T_NATIVE_UINT8, u8.data());
            if (may_overflow) {
                convert(u8.data());  // refuses the value, naming its sample
                break;
            }
            const auto& table = [&]() -> const auto& {
                if constexpr (std::is_same_v<F, float>) return byte_as_float;
                else return byte_as_double;
            }();
            for (std::size_t i = 0; i < n; ++i) out[i] = table[u8[i]];
            break;
        }
        case hdf5_feature_type::uint16:
            if (u16.size() < n) u16.resize(n);
            read_all(H5T_NATIVE_UINT16, u16.data());
            convert(u16.data());
            break;
        case hdf5_feature_type::float32:
            if (f32.size() < n) f32.resize(n);
            read_all(H5T_NATIVE_FLOAT, f32.data());
            convert(f32.data());
            break;
        case hdf5_feature_type::float64:
            if (f64.size() < n) f64.resize(n);
            read_all(H5T_NATIVE_DOUBLE, f64.data());
            convert(f64.data());
            break;
    }
}

template <class T>
void hdf5_reader::impl::read_values(std::size_t total, std::span<T> out) {
    const std::size_t n = total * target_size;
    const std::string context = target_context();
    if (target_type == float_type_of<T>) {
        for (const run& r : runs)
            read_run(targets.get(), target_space.get(), std::is_same_v<T, float> ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE, r, out.data() + r.destination * target_size, context);
        return;
    }
    if constexpr (std::is_same_v<T, float>) {  // float64 values into float: checked like features
        if (f64.size() < n) f64.resize(n);
        for (const run& r : runs)
            read_run(targets.get(), target_space.get(), H5T_NATIVE_DOUBLE, r, f64.data() + r.destination * target_size, context);
        for (const run& r : runs)
            for (std::size_t i = r.destination * target_size; i < (r.destination + r.count) * target_size; ++i) {
                const double value = f64[i];
                if (std::isfinite(value) && std::abs(value) > double(std::numeric_limits<float>::max()))
                    throw io_error(context + ": sample " + std::to_string(r.first + i / target_size - r.destination) + " holds the value " +
                                   std::to_string(value) + ", beyond float's range (about 3.4e38); read it as double");
                out[i] = static_cast<float>(value);
            }
    } else {  // float32 values into double: exact
        if (f32.size() < n) f32.resize(n);
        for (const run& r : runs)
            read_run(targets.get(), target_space.get(), H5T_NATIVE_FLOAT, r, f32.data() + r.destination * target_size, context);
        for (std::size_t i = 0; i < n; ++i) out[i] = f32[i];
    }
}

void hdf5_reader::impl::read_labels(std::size_t total, std::span<std::int32_t> out) {
    if (label_values.size() < total) label_values.resize(total);
    const std::string context = target_context();
    // Read as int64 whatever the stored width: HDF5 would clip a wider value silently into a narrower
    // type; here every label is checked at full width.
    for (const run& r : runs) read_run(targets.get(), target_space.get(), H5T_NATIVE_INT64, r, label_values.data() + r.destination, context);
    const auto classes = static_cast<std::int64_t>(options.classes);
    for (const run& r : runs)
        for (std::size_t i = 0; i < r.count; ++i) {
            const std::int64_t label = label_values[r.destination + i];
            if (label < 0 || label >= classes)
                throw io_error(context + ": sample " + std::to_string(r.first + i) + " has the label " + std::to_string(label) +
                               ", outside the " + std::to_string(classes) + " classes (0 to " + std::to_string(classes - 1) + ")");
            out[r.destination + i] = static_cast<std::int32_t>(label);
        }
}

template <class F, class T>
void hdf5_reader::impl::read(std::size_t total, std::span<F> out_features, std::span<T> out_targets) {
    if (!out_features.empty() && out_features.size() < total * feature_size)
        throw std::invalid_argument(feature_context() + ": " + std::to_string(total) + " samples of " + std::to_string(feature_size) +
                                    " values need a buffer of " + std::to_string(total * feature_size) + ", got " + std::to_string(out_features.size()));
    if constexpr (std::is_same_v<T, std::int32_t>) {
        if (!labels && !out_targets.empty())
            throw std::invalid_argument(target_context() + " holds float values of shape " + shape_tuple(target_shape) +
                                        " per sample, not class labels: read it into a float or double buffer");
    } else {
        if (labels && !out_targets.empty())
            throw std::invalid_argument(target_context() + " holds integer class labels: read it into a std::int32_t buffer");
    }
    if (!out_targets.empty() && options.targets.empty())
        throw std::invalid_argument(path + ": this reader of dataset " + in_quotes(options.features) + " reads no targets (no targets dataset was named)");
    if (!out_targets.empty() && out_targets.size() < total * target_size)
        throw std::invalid_argument(target_context() + ": " + std::to_string(total) + " samples of " + std::to_string(target_size) +
                                    " targets need a buffer of " + std::to_string(total * target_size) + ", got " + std::to_string(out_targets.size()));
    if (total == 0) return;

    hdf5_session session;
    if (!out_features.empty()) read_features(total, out_features);
    if (!out_targets.empty()) {
        if constexpr (std::is_same_v<T, std::int32_t>)
            read_labels(total, out_targets);
        else
            read_values(total, out_targets);
    }
}

template <class F, class T>
void hdf5_reader::impl::read_rows(std::size_t first, std::size_t n, std::span<F> out_features, std::span<T> out_targets) {
    if (first > count || n > count - first)
        throw std::out_of_range(path + ": samples " + std::to_string(first) + " to " + std::to_string(first + n) + " (exclusive) requested; the file holds " +
                                std::to_string(count));
    runs.assign(1, run{first, n, 0});
    read(n, out_features, out_targets);
}

template <class F, class T>
void hdf5_reader::impl::read_sorted(std::span<const std::size_t> indices, std::span<F> out_features, std::span<T> out_targets) {
    runs.clear();
    for (std::size_t i = 0; i < indices.size(); ++i) {
        const std::size_t index = indices[i];
        if (index >= count)
            throw std::out_of_range(path + ": sample " + std::to_string(index) + " requested (position " + std::to_string(i) + "); the file holds " +
                                    std::to_string(count));
        if (i > 0 && index <= indices[i - 1])
            throw std::invalid_argument(path + ": read_sorted needs strictly ascending indices; position " + std::to_string(i) + " holds " +
                                        std::to_string(index) + " after " + std::to_string(indices[i - 1]));
        if (!runs.empty() && runs.back().first + runs.back().count == index)
            ++runs.back().count;
        else
            runs.push_back(run{index, 1, i});
    }
    read(indices.size(), out_features, out_targets);
}

hdf5_reader::hdf5_reader(const std::filesystem::path& path, hdf5_reader_options options) : impl_{std::make_unique<impl>()} {
    impl_->path = path.string();
    impl_->options = std::move(options);
    hdf5_session session;
    try {
        impl_->open();
    } catch (...) {
        impl_.reset();  // closes the file here, quietly and under the lock
        throw;
    }
}

hdf5_reader::~hdf5_reader() {
    if (!impl_) return;
    hdf5_session session;
    impl_.reset();
}

hdf5_reader::hdf5_reader(hdf5_reader&&) noexcept = default;
hdf5_reader& hdf5_reader::operator=(hdf5_reader&& other) noexcept {
    if (this != &other) {
        hdf5_session session;
        impl_ = std::move(other.impl_);
    }
    return *this;
}

const std::string& hdf5_reader::path() const { return impl_->path; }
const hdf5_reader_options& hdf5_reader::options() const { return impl_->options; }
std::size_t hdf5_reader::size() const { return impl_->count; }
const std::vector<std::size_t>& hdf5_reader::feature_shape() const { return impl_->feature_shape; }
std::size_t hdf5_reader::feature_size() const { return impl_->feature_size; }
hdf5_feature_type hdf5_reader::feature_type() const { return impl_->feature_type; }
double hdf5_reader::scale() const { return impl_->scale; }
double hdf5_reader::offset() const { return impl_->offset; }
bool hdf5_reader::has_labels() const { return impl_->labels; }
const std::vector<std::size_t>& hdf5_reader::target_shape() const { return impl_->target_shape; }
std::size_t hdf5_reader::target_size() const { return impl_->target_size; }

void hdf5_reader::check_feature_shape(std::span<const std::size_t> expected) const {
    if (!std::ranges::equal(expected, impl_->feature_shape))
        throw io_error(impl_->feature_context() + " holds samples of shape " + shape_tuple(impl_->feature_shape) + "; the network's input is " +
                       shape_tuple(expected));
}

void hdf5_reader::check_target_shape(std::span<const std::size_t> expected) const {
    if (!std::ranges::equal(expected, impl_->target_shape)) {
        const std::string held = impl_->labels ? "integer class labels, one per sample (shape ())" : "targets of shape " + shape_tuple(impl_->target_shape);
        throw io_error(impl_->target_context() + " holds " + held + "; the network's target is " + shape_tuple(expected));
    }
}

void hdf5_reader::read_rows(std::size_t first, std::size_t count, std::span<float> features, std::span<float> targets) {
    impl_->read_rows(first, count, features, targets);
}
void hdf5_reader::read_rows(std::size_t first, std::size_t count, std::span<double> features, std::span<double> targets) {
    impl_->read_rows(first, count, features, targets);
}
void hdf5_reader::read_rows(std::size_t first, std::size_t count, std::span<float> features, std::span<std::int32_t> labels) {
    impl_->read_rows(first, count, features, labels);
}
void hdf5_reader::read_rows(std::size_t first, std::size_t count, std::span<double> features, std::span<std::int32_t> labels) {
    impl_->read_rows(first, count, features, labels);
}
void hdf5_reader::read_sorted(std::span<const std::size_t> indices, std::span<float> features, std::span<float> targets) {
    impl_->read_sorted(indices, features, targets);
}
void hdf5_reader::read_sorted(std::span<const std::size_t> indices, std::span<double> features, std::span<double> targets) {
    impl_->read_sorted(indices, features, targets);
}
void hdf5_reader::read_sorted(std::span<const std::size_t> indices, std::span<float> features, std::span<std::int32_t> labels) {
    impl_->read_sorted(indices, features, labels);
}
void hdf5_reader::read_sorted(std::span<const std::size_t> indices, std::span<double> features, std::span<std::int32_t> labels) {
    impl_->read_sorted(indices, features, labels);
}

}  // namespace typegrad::io
