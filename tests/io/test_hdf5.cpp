#define BOOST_TEST_MODULE hdf5
#include <boost/test/unit_test.hpp>

#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "message_has.hpp"
#include "scratch_directory.hpp"
#include "typegrad/io/hdf5.hpp"
#include "typegrad/io/hdf5_writer.hpp"

namespace fs = std::filesystem;
namespace io = typegrad::io;
using typegrad::testing::message_has;
using typegrad::testing::message_says;
using typegrad::testing::scratch_directory;

namespace {

// Test files written with HDF5's C API directly, so that each defect the reader must refuse can be made
// (the writer never makes them). Contiguous unless a chunk is given.
struct test_file {
    hid_t file;
    explicit test_file(const std::string& path) : file{H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT)} { BOOST_REQUIRE(file >= 0); }
    ~test_file() { H5Fclose(file); }
    test_file(const test_file&) = delete;
    test_file& operator=(const test_file&) = delete;

    template <class T>
    hid_t add(const std::string& name, hid_t file_type, hid_t memory_type, std::vector<hsize_t> dims, const std::vector<T>& values) {
        const hid_t space = dims.empty() ? H5Screate(H5S_SCALAR) : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
        const hid_t dataset = H5Dcreate2(file, name.c_str(), file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        BOOST_REQUIRE(dataset >= 0);
        if (!values.empty()) BOOST_REQUIRE(H5Dwrite(dataset, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) >= 0);
        H5Sclose(space);
        return dataset;  // for attributes; closed by close()
    }
    static void attribute(hid_t dataset, const char* name, double value) {
        const hid_t space = H5Screate(H5S_SCALAR);
        const hid_t a = H5Acreate2(dataset, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT);
        BOOST_REQUIRE(H5Awrite(a, H5T_NATIVE_DOUBLE, &value) >= 0);
        H5Aclose(a);
        H5Sclose(space);
    }
    static void close(hid_t dataset) { H5Dclose(dataset); }
};

std::vector<std::uint8_t> ramp_u8(std::size_t n) {
    std::vector<std::uint8_t> v(n);
    std::uint64_t state = 12345;  // a linear congruential sequence: no run of 40 bytes repeats, so a corruption can be placed
    for (auto& x : v) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        x = static_cast<std::uint8_t>(state >> 56);
    }
    return v;
}

// A file of `count` samples of uint8 features (3, 4, 5) and float32 values (7), with int32 class
// labels beside them, written through io::hdf5_writer in pieces of `piece` samples.
struct written_set {
    std::vector<std::uint8_t> features;
    std::vector<float> values;
    std::vector<std::int32_t> labels;
};

written_set make_set(std::size_t count) {
    written_set s;
    s.features = ramp_u8(count * 60);
    s.values.resize(count * 7);
    for (std::size_t i = 0; i < s.values.size(); ++i) s.values[i] = 0.25f * float(i) - 3.0f;
    for (std::size_t i = 0; i < count; ++i) s.labels.push_back(static_cast<std::int32_t>((i * 7) % 5));
    return s;
}

io::hdf5_writer_options set_layout() {
    io::hdf5_writer_options o;
    o.features = "images";
    o.feature_shape = {3, 4, 5};
    o.feature_type = io::hdf5_feature_type::uint8;
    o.targets = "values";
    o.target_values = 7;
    o.extra_labels = "labels";
    o.chunk_samples = 16;
    return o;
}

void write_set(const std::string& path, const written_set& s, std::size_t piece, io::hdf5_writer_options options = set_layout()) {
    io::hdf5_writer w(path, options);
    const std::size_t n = s.labels.size();
    for (std::size_t first = 0; first < n; first += piece) {
        const std::size_t count = std::min(piece, n - first);
        w.append(std::span<const std::uint8_t>(s.features).subspan(first * 60, count * 60), std::span<const float>(s.values).subspan(first * 7, count * 7),
                 std::span<const std::int32_t>(s.labels).subspan(first, count));
    }
    BOOST_CHECK_EQUAL(w.size(), n);
    w.close();
}

std::vector<char> file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void overwrite(const std::string& path, std::size_t offset, std::size_t count, char value) {
    std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(offset));
    for (std::size_t i = 0; i < count; ++i) f.put(value);
    BOOST_REQUIRE(f.good());
}

// io_error whose message names the file and says each part.
template <class F>
void check_refused(F&& f, std::initializer_list<std::string> parts) {
    BOOST_CHECK_EXCEPTION(f(), io::io_error, [&](const io::io_error& e) { return message_has(e, parts); });
}

io::hdf5_reader_options names(std::string features, std::string targets, std::size_t classes = 0) {
    io::hdf5_reader_options o;
    o.features = std::move(features);
    o.targets = std::move(targets);
    o.classes = classes;
    return o;
}

}  // namespace

BOOST_AUTO_TEST_CASE(written_file_reads_back_by_rows_and_by_sorted_indices) {
    scratch_directory dir{"typegrad-hdf5"};
    const auto set = make_set(300);
    const std::string path = dir.file("set.h5");
    write_set(path, set, 37);  // pieces that do not divide the chunks or the blocks

    io::hdf5_reader reader(path, names("images", "values"));
    BOOST_CHECK_EQUAL(reader.size(), 300u);
    BOOST_CHECK((reader.feature_shape() == std::vector<std::size_t>{3, 4, 5}));
    BOOST_CHECK_EQUAL(reader.feature_size(), 60u);
    BOOST_CHECK(reader.feature_type() == io::hdf5_feature_type::uint8);
    BOOST_CHECK_EQUAL(reader.scale(), 1.0 / 255);
    BOOST_CHECK(!reader.has_labels());
    BOOST_CHECK((reader.target_shape() == std::vector<std::size_t>{7}));
    BOOST_CHECK_EQUAL(reader.target_size(), 7u);
    reader.check_feature_shape(typegrad::shape<3, 4, 5>{});
    reader.check_target_shape(typegrad::shape<7>{});

    std::vector<float> features(50 * 60), values(50 * 7);
    reader.read_rows(250, 50, features, values);
    for (std::size_t i = 0; i < features.size(); ++i) BOOST_REQUIRE_EQUAL(features[i], float(set.features[250 * 60 + i]) / 255.0f);
    for (std::size_t i = 0; i < values.size(); ++i) BOOST_REQUIRE_EQUAL(values[i], set.values[250 * 7 + i]);

    // Runs of one and of several, across chunk boundaries, the first and the last sample.
    const std::vector<std::size_t> indices{0, 1, 2, 15, 16, 17, 99, 150, 151, 152, 153, 298, 299};
    std::vector<double> df(indices.size() * 60), dv(indices.size() * 7);
    reader.read_sorted(indices, df, dv);
    for (std::size_t k = 0; k < indices.size(); ++k) {
        for (std::size_t j = 0; j < 60; ++j) BOOST_REQUIRE_EQUAL(df[k * 60 + j], double(set.features[indices[k] * 60 + j]) / 255.0);
        for (std::size_t j = 0; j < 7; ++j) BOOST_REQUIRE_EQUAL(dv[k * 7 + j], double(set.values[indices[k] * 7 + j]));
    }

    // The extra labels, as the targets of a second reader of the same file; features skipped.
    io::hdf5_reader labels(path, names("images", "labels", 5));
    BOOST_CHECK(labels.has_labels());
    BOOST_CHECK(labels.target_shape().empty());
    labels.check_target_shape(std::vector<std::size_t>{});
    std::vector<std::int32_t> got(indices.size());
    labels.read_sorted(indices, std::span<float>{}, got);
    for (std::size_t k = 0; k < indices.size(); ++k) BOOST_CHECK_EQUAL(got[k], set.labels[indices[k]]);
}

BOOST_AUTO_TEST_CASE(pieces_chunks_and_compression_do_not_change_the_data) {
    scratch_directory dir{"typegrad-hdf5"};
    const auto set = make_set(1000);
    auto gz = set_layout();
    gz.gzip_level = 6;
    gz.chunk_samples = 0;  // the default: at most 16 KiB
    write_set(dir.file("one.h5"), set, 1000);
    write_set(dir.file("ones.h5"), set, 1);
    write_set(dir.file("gz.h5"), set, 333, gz);
    for (const char* name : {"one.h5", "ones.h5", "gz.h5"}) {
        io::hdf5_reader r(dir.file(name), names("images", "values"));
        std::vector<float> f(1000 * 60), v(1000 * 7);
        r.read_rows(0, 1000, f, v);
        for (std::size_t i = 0; i < f.size(); ++i) BOOST_REQUIRE_EQUAL(f[i], float(set.features[i]) / 255.0f);
        BOOST_CHECK(v == set.values);
    }
    // No time stamps: the same samples give the same bytes, however they were appended.
    BOOST_CHECK(file_bytes(dir.file("one.h5")) == file_bytes(dir.file("ones.h5")));
    BOOST_CHECK_LT(fs::file_size(dir.file("gz.h5")), fs::file_size(dir.file("one.h5")));
}

BOOST_AUTO_TEST_CASE(writer_uses_chunks_with_checksums) {
    scratch_directory dir{"typegrad-hdf5"};
    write_set(dir.file("set.h5"), make_set(40), 40);
    const hid_t file = H5Fopen(dir.file("set.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    BOOST_REQUIRE(file >= 0);
    const hid_t dataset = H5Dopen2(file, "images", H5P_DEFAULT);
    const hid_t creation = H5Dget_create_plist(dataset);
    BOOST_CHECK_EQUAL(H5Pget_layout(creation), H5D_CHUNKED);
    hsize_t chunk[4] = {};
    BOOST_CHECK_EQUAL(H5Pget_chunk(creation, 4, chunk), 4);
    BOOST_CHECK_EQUAL(chunk[0], 16u);
    BOOST_CHECK_EQUAL(chunk[1], 3u);
    BOOST_CHECK_EQUAL(chunk[3], 5u);
    BOOST_CHECK_EQUAL(H5Pget_nfilters(creation), 1);
    unsigned flags = 0;
    BOOST_CHECK_EQUAL(H5Pget_filter2(creation, 0, &flags, nullptr, nullptr, 0, nullptr, nullptr), H5Z_FILTER_FLETCHER32);
    H5Pclose(creation);
    H5Dclose(dataset);
    H5Fclose(file);
}

BOOST_AUTO_TEST_CASE(a_writer_not_closed_leaves_no_file) {
    scratch_directory dir{"typegrad-hdf5"};
    const std::string path = dir.file("set.h5");
    {
        io::hdf5_writer w(path, set_layout());
        const auto s = make_set(20);
        w.append(std::span<const std::uint8_t>(s.features), std::span<const float>(s.values), std::span<const std::int32_t>(s.labels));
        BOOST_CHECK(fs::exists(path + ".partial"));
        BOOST_CHECK(!fs::exists(path));
    }
    BOOST_CHECK(fs::is_empty(dir.path));
}

BOOST_AUTO_TEST_CASE(writer_refuses_misuse) {
    scratch_directory dir{"typegrad-hdf5"};
    io::hdf5_writer w(dir.file("set.h5"), set_layout());
    const auto s = make_set(2);
    const std::vector<float> wrong_type(120);
    BOOST_CHECK_THROW(w.append(std::span<const float>(wrong_type), std::span<const float>(s.values), std::span<const std::int32_t>(s.labels)),
                      std::invalid_argument);
    BOOST_CHECK_THROW(w.append(std::span<const std::uint8_t>(s.features).first(59), std::span<const float>(s.values), std::span<const std::int32_t>(s.labels)),
                      std::invalid_argument);
    BOOST_CHECK_THROW(w.append(std::span<const std::uint8_t>(s.features), std::span<const float>(s.values).first(13), std::span<const std::int32_t>(s.labels)),
                      std::invalid_argument);
    BOOST_CHECK_THROW(w.append(std::span<const std::uint8_t>(s.features), std::span<const float>(s.values)), std::invalid_argument);
    BOOST_CHECK_EQUAL(w.size(), 0u);
    check_refused([&] { io::hdf5_writer{dir.file("no/such/dir/x.h5"), set_layout()}; }, {"no/such/dir/x.h5", "cannot create"});
}

BOOST_AUTO_TEST_CASE(every_uint8_and_uint16_value_scales_as_division) {
    scratch_directory dir{"typegrad-hdf5"};
    const std::string path = dir.file("all.h5");
    std::vector<std::uint8_t> u8(256);
    std::iota(u8.begin(), u8.end(), std::uint8_t{0});
    std::vector<std::uint16_t> u16(65536);
    std::iota(u16.begin(), u16.end(), std::uint16_t{0});
    std::vector<std::int32_t> labels256(256, 0), labels65536(65536, 0);
    {
        test_file f(path);
        test_file::close(f.add("u8", H5T_STD_U8LE, H5T_NATIVE_UINT8, {256}, u8));
        test_file::close(f.add("u16", H5T_STD_U16BE, H5T_NATIVE_UINT16, {65536}, u16));  // big-endian: converted on reading
        test_file::close(f.add("l256", H5T_STD_I32LE, H5T_NATIVE_INT32, {256}, labels256));
        test_file::close(f.add("l65536", H5T_STD_I32LE, H5T_NATIVE_INT32, {65536}, labels65536));
    }
    io::hdf5_reader r8(path, names("u8", "l256", 1));
    BOOST_CHECK(r8.feature_shape().empty());
    std::vector<float> f(256);
    std::vector<double> d(256);
    r8.read_rows(0, 256, f, std::span<std::int32_t>{});
    r8.read_rows(0, 256, d, std::span<std::int32_t>{});
    for (int v = 0; v < 256; ++v) {
        BOOST_REQUIRE_EQUAL(f[std::size_t(v)], float(v) / 255.0f);
        BOOST_REQUIRE_EQUAL(d[std::size_t(v)], double(v) / 255.0);
    }
    io::hdf5_reader r16(path, names("u16", "l65536", 1));
    BOOST_CHECK(r16.feature_type() == io::hdf5_feature_type::uint16);
    std::vector<float> g(65536);
    r16.read_rows(0, 65536, g, std::span<std::int32_t>{});
    for (int v = 0; v < 65536; ++v) BOOST_REQUIRE_EQUAL(g[std::size_t(v)], float(v) / 65535.0f);
}

BOOST_AUTO_TEST_CASE(scale_from_the_file_or_the_caller) {
    scratch_directory dir{"typegrad-hdf5"};
    const std::string path = dir.file("scaled.h5");
    {
        test_file f(path);
        const hid_t d = f.add("pixels", H5T_STD_U8LE, H5T_NATIVE_UINT8, {2, 2}, std::vector<std::uint8_t>{0, 10, 100, 255});
        test_file::attribute(d, "scale_factor", 0.5);
        test_file::attribute(d, "add_offset", -1.0);
        test_file::close(d);
        test_file::close(f.add("floats", H5T_IEEE_F64BE, H5T_NATIVE_DOUBLE, {2, 2}, std::vector<double>{0.125, -2.5, 1e10, 3}));
        test_file::close(f.add("targets", H5T_STD_U8LE, H5T_NATIVE_UINT8, {2}, std::vector<std::uint8_t>{1, 0}));
    }
    std::vector<float> out(4);
    io::hdf5_reader file_scale(path, names("pixels", "targets", 2));
    file_scale.read_rows(0, 2, out, std::span<std::int32_t>{});
    BOOST_CHECK((out == std::vector<float>{-1.0f, 4.0f, 49.0f, 126.5f}));

    auto options = names("pixels", "targets", 2);
    options.scale = 2.0;
    options.offset = 0.0;
    io::hdf5_reader caller_scale(path, options);
    caller_scale.read_rows(0, 2, out, std::span<std::int32_t>{});
    BOOST_CHECK((out == std::vector<float>{0.0f, 20.0f, 200.0f, 510.0f}));

    io::hdf5_reader floats(path, names("floats", "targets", 2));  // floats as stored, byte order converted
    BOOST_CHECK(floats.feature_type() == io::hdf5_feature_type::float64);
    floats.read_rows(0, 2, out, std::span<std::int32_t>{});
    BOOST_CHECK((out == std::vector<float>{0.125f, -2.5f, 1e10f, 3.0f}));
}

BOOST_AUTO_TEST_CASE(float64_beyond_float_range_is_refused_in_float_and_kept_in_double) {
    scratch_directory dir{"typegrad-hdf5"};
    const std::string path = dir.file("big.h5");
    {
        test_file f(path);
        test_file::close(f.add("features", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {3, 2}, std::vector<double>{0, 1, 2, 3, 4, 1e300}));
        test_file::close(f.add("targets", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {3, 1}, std::vector<double>{1, -1e39, 0}));
    }
    io::hdf5_reader r(path);
    std::vector<float> f(6), t(3);
    check_refused([&] { r.read_rows(0, 3, f, std::span<float>{}); }, {path, "dataset \"features\"", "sample 2", "beyond float's range"});
    check_refused([&] { r.read_rows(0, 3, std::span<float>{}, t); }, {path, "dataset \"targets\"", "sample 1", "beyond float's range"});
    std::vector<double> df(6), dt(3);
    r.read_rows(0, 3, df, dt);
    BOOST_CHECK_EQUAL(df[5], 1e300);
    BOOST_CHECK_EQUAL(dt[1], -1e39);
}

BOOST_AUTO_TEST_CASE(labels_are_checked_against_the_class_count_as_they_are_read) {
    scratch_directory dir{"typegrad-hdf5"};
    const std::string path = dir.file("labels.h5");
    {
        test_file f(path);
        test_file::close(f.add("features", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {5, 1}, std::vector<float>{0, 1, 2, 3, 4}));
        test_file::close(f.add("targets", H5T_STD_I64LE, H5T_NATIVE_INT64, {5}, std::vector<std::int64_t>{0, 9, 3, 10, 1}));
        test_file::close(f.add("negative", H5T_STD_I8LE, H5T_NATIVE_INT8, {5}, std::vector<std::int8_t>{0, 1, -1, 2, 3}));
        test_file::close(f.add("huge", H5T_STD_U64LE, H5T_NATIVE_UINT64, {5}, std::vector<std::uint64_t>{0, 1, 2, 3, std::uint64_t{1} << 63}));
    }
    BOOST_CHECK_THROW(io::hdf5_reader{path}, std::invalid_argument);  // labels need a class count
    io::hdf5_reader r(path, names("features", "targets", 10));
    std::vector<std::int32_t> labels(5);
    r.read_rows(0, 3, std::span<float>{}, labels);  // samples 0 to 2 are fine
    BOOST_CHECK((labels == std::vector<std::int32_t>{0, 9, 3, 0, 0}));
    check_refused([&] { r.read_rows(0, 5, std::span<float>{}, labels); }, {path, "dataset \"targets\"", "sample 3 has the label 10", "10 classes (0 to 9)"});
    const std::vector<std::size_t> indices{1, 3};
    check_refused([&] { r.read_sorted(indices, std::span<float>{}, labels); }, {"sample 3 has the label 10"});
    io::hdf5_reader negative(path, names("features", "negative", 10));
    check_refused([&] { negative.read_rows(0, 5, std::span<float>{}, labels); }, {path, "dataset \"negative\"", "sample 2 has the label -1"});
    io::hdf5_reader huge(path, names("features", "huge", 10));
    check_refused([&] { huge.read_rows(4, 1, std::span<float>{}, labels); }, {path, "sample 4 has the label"});
}

BOOST_AUTO_TEST_CASE(shapes_are_checked_against_the_network) {
    scratch_directory dir{"typegrad-hdf5"};
    const std::string path = dir.file("data.h5");
    {
        test_file f(path);
        test_file::close(f.add("images", H5T_STD_U8LE, H5T_NATIVE_UINT8, {2, 3, 32, 32}, std::vector<std::uint8_t>(2 * 3 * 32 * 32)));
        test_file::close(f.add("targets", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {2, 37}, std::vector<float>(74)));
    }
    io::hdf5_reader r(path, names("images", "targets"));
    check_refused([&] { r.check_feature_shape(typegrad::shape<3, 64, 64>{}); },
                  {path + ": dataset \"images\" holds samples of shape (3, 32, 32); the network's input is (3, 64, 64)"});
    check_refused([&] { r.check_feature_shape(std::vector<std::size_t>{3, 32}); }, {"the network's input is (3, 32)"});
    check_refused([&] { r.check_target_shape(typegrad::shape<10>{}); },
                  {path + ": dataset \"targets\" holds targets of shape (37); the network's target is (10)"});
    r.check_feature_shape(typegrad::shape<3, 32, 32>{});
    r.check_target_shape(typegrad::shape<37>{});
}

// Other inputs: float32 datasets beside the features, written in the same rows and read by a reader of
// features only (no targets dataset named).
BOOST_AUTO_TEST_CASE(other_inputs_are_written_beside_and_read_without_targets) {
    scratch_directory dir{"typegrad-hdf5"};
    io::hdf5_writer_options layout = set_layout();
    layout.other_inputs = {{"redshift", {}}, {"flux", {2}}};
    const auto s = make_set(30);
    std::vector<float> redshift(30), flux(60);
    for (std::size_t i = 0; i < flux.size(); ++i) flux[i] = float(i) / 4;
    for (std::size_t i = 0; i < redshift.size(); ++i) redshift[i] = float(i) / 10;
    {
        io::hdf5_writer w(dir.file("set.h5"), layout);
        const std::span<const float> wrong_count[1] = {redshift};
        BOOST_CHECK_EXCEPTION(w.append(std::span<const std::uint8_t>(s.features), std::span<const float>(s.values), std::span<const std::int32_t>(s.labels), wrong_count),
                              std::invalid_argument, message_says({"append was given 1 other inputs; the file has 2"}));
        const std::span<const float> short_flux[2] = {redshift, std::span<const float>(flux).first(59)};
        BOOST_CHECK_EXCEPTION(w.append(std::span<const std::uint8_t>(s.features), std::span<const float>(s.values), std::span<const std::int32_t>(s.labels), short_flux),
                              std::invalid_argument, message_says({"30 samples need 60 values in \"flux\", got 59"}));
        const std::span<const float> others[2] = {redshift, flux};
        w.append(std::span<const std::uint8_t>(s.features), std::span<const float>(s.values), std::span<const std::int32_t>(s.labels), others);
        w.close();
    }
    io::hdf5_reader r(dir.file("set.h5"), {.features = "flux", .targets = ""});
    BOOST_TEST(r.size() == 30u);
    BOOST_TEST(r.feature_shape() == std::vector<std::size_t>{2}, boost::test_tools::per_element());
    BOOST_TEST(r.target_size() == 0u);
    std::vector<float> read(60);
    r.read_rows(0, 30, std::span<float>(read), std::span<float>{});
    BOOST_TEST(read == flux, boost::test_tools::per_element());
    std::vector<float> targets(30);
    BOOST_CHECK_EXCEPTION(r.read_rows(0, 1, std::span<float>(read), std::span<float>(targets)), std::invalid_argument,
                          message_says({"reads no targets"}));
    io::hdf5_reader z(dir.file("set.h5"), {.features = "redshift", .targets = ""});
    BOOST_TEST(z.feature_shape().empty());
    const std::vector<std::size_t> rows{3, 4, 17};
    std::vector<float> some(3);
    z.read_sorted(rows, std::span<float>(some), std::span<float>{});
    BOOST_TEST(some == (std::vector<float>{redshift[3], redshift[4], redshift[17]}), boost::test_tools::per_element());

    layout.other_inputs = {{"values", {}}};
    BOOST_CHECK_EXCEPTION(io::hdf5_writer(dir.file("clash.h5"), layout), std::invalid_argument, message_says({"two datasets are named \"values\""}));
    layout.other_inputs = {{"a", {2, 0}}};
    BOOST_CHECK_EXCEPTION(io::hdf5_writer(dir.file("zero.h5"), layout), std::invalid_argument, message_says({"other input \"a\"", "(2, 0) has a zero dimension"}));
}

BOOST_AUTO_TEST_CASE(reading_checks_its_arguments) {
    scratch_directory dir{"typegrad-hdf5"};
    write_set(dir.file("set.h5"), make_set(50), 50);
    io::hdf5_reader r(dir.file("set.h5"), names("images", "values"));
    std::vector<float> f(10 * 60), v(10 * 7);
    std::vector<std::int32_t> labels(10);
    BOOST_CHECK_THROW(r.read_rows(45, 6, f, v), std::out_of_range);
    BOOST_CHECK_THROW(r.read_rows(51, 0, f, v), std::out_of_range);
    r.read_rows(50, 0, f, v);  // nothing, at the end
    BOOST_CHECK_THROW(r.read_rows(0, 11, f, v), std::invalid_argument);                       // buffers of 10 samples
    BOOST_CHECK_THROW(r.read_rows(0, 1, f, labels), std::invalid_argument);                  // values into labels
    const std::vector<std::size_t> unsorted{3, 2}, repeated{2, 2}, beyond{1, 50};
    BOOST_CHECK_THROW(r.read_sorted(unsorted, f, v), std::invalid_argument);
    BOOST_CHECK_THROW(r.read_sorted(repeated, f, v), std::invalid_argument);
    BOOST_CHECK_THROW(r.read_sorted(beyond, f, v), std::out_of_range);
}

// The bad-input cases: each an io_error naming the file (and the dataset at fault).
BOOST_AUTO_TEST_CASE(bad_files_are_refused_naming_the_file_and_dataset) {
    scratch_directory dir{"typegrad-hdf5"};
    const std::string path = dir.file("bad.h5");
    {
        test_file f(path);
        test_file::close(f.add("features", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {4, 2}, std::vector<float>(8)));
        test_file::close(f.add("targets", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {4, 1}, std::vector<float>(4)));
        test_file::close(f.add("short", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {3, 1}, std::vector<float>(3)));
        test_file::close(f.add("scalar", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {}, std::vector<float>{1}));
        test_file::close(f.add("rank3", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {4, 1, 1}, std::vector<float>(4)));
        test_file::close(f.add("labels2d", H5T_STD_I32LE, H5T_NATIVE_INT32, {4, 2}, std::vector<std::int32_t>(8)));
        test_file::close(f.add("values1d", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {4}, std::vector<float>(4)));
        test_file::close(f.add("int64", H5T_STD_I64LE, H5T_NATIVE_INT64, {4, 2}, std::vector<std::int64_t>(8)));
        test_file::close(f.add("int8", H5T_STD_I8LE, H5T_NATIVE_INT8, {4, 2}, std::vector<std::int8_t>(8)));
        test_file::close(f.add("empty_rows", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {4, 0}, std::vector<float>{}));
        const hid_t text = H5Tcopy(H5T_C_S1);
        H5Tset_size(text, 8);
        test_file::close(f.add("strings", text, text, {4}, std::vector<char>(32, 'a')));
        H5Tclose(text);
        const hid_t group = H5Gcreate2(f.file, "group", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        H5Gclose(group);
    }
    const auto open = [&](std::string features, std::string targets, std::size_t classes = 10) {
        return [=] { io::hdf5_reader{path, names(features, targets, classes)}; };
    };
    io::hdf5_reader{path};  // the good pair opens
    check_refused(open("images", "targets"), {path + ": no dataset \"images\"", "the root group holds \"empty_rows\", \"features\""});
    check_refused(open("features", "group/inner/labels"), {path + ": no dataset \"group/inner/labels\" (no \"group/inner\")"});
    check_refused(open("group", "targets"), {path + ": \"group\" is a group, not a dataset"});
    check_refused(open("scalar", "targets"), {path + ": dataset \"scalar\" has rank 0 ()", "features need rank 1 to 5"});
    check_refused(open("features", "rank3"), {path + ": dataset \"rank3\" holds float32 values of rank 3 (4, 1, 1)", "[N, K]"});
    check_refused(open("features", "values1d"), {path + ": dataset \"values1d\" holds float32 values of rank 1 (4)", "[N, K]"});
    check_refused(open("features", "labels2d"), {path + ": dataset \"labels2d\" holds int32 values of rank 2 (4, 2)", "one per sample: [N]"});
    check_refused(open("int64", "targets"), {path + ": dataset \"int64\" holds int64 values; features must be uint8, uint16, float32 or float64"});
    check_refused(open("int8", "targets"), {"dataset \"int8\" holds int8 values"});
    check_refused(open("features", "strings"), {path + ": dataset \"strings\" holds string values; targets must be"});
    check_refused(open("features", "short"), {path + ": dataset \"features\" holds 4 samples but dataset \"short\" holds 3"});
    check_refused(open("empty_rows", "targets"), {path + ": dataset \"empty_rows\" holds samples of shape (0)"});
}

BOOST_AUTO_TEST_CASE(missing_non_hdf5_truncated_and_corrupt_files_are_refused) {
    scratch_directory dir{"typegrad-hdf5"};
    check_refused([&] { io::hdf5_reader{dir.file("none.h5")}; }, {dir.file("none.h5") + ": no such file"});
    check_refused([&] { io::hdf5_reader{dir.path}; }, {dir.path.string() + ": is a directory"});
    const auto text = dir.write("text.h5", "features,targets\n1,2\n").string();
    check_refused([&] { io::hdf5_reader{text}; }, {text + ": not an HDF5 file"});
    const auto empty = dir.write("empty.h5", "").string();
    check_refused([&] { io::hdf5_reader{empty}; }, {empty + ": not an HDF5 file"});

    // A file of 200 samples of (3, 4, 5) uint8 (12000 bytes of features), cut in the middle of its data.
    const auto set = make_set(200);
    const std::string good = dir.file("good.h5");
    write_set(good, set, 200);
    const auto bytes = file_bytes(good);
    const std::string cut = dir.file("cut.h5");
    std::ofstream(cut, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
    check_refused([&] { io::hdf5_reader{cut, names("images", "values")}; }, {cut + ": cannot open as an HDF5 file", "truncated file"});

    // Bytes of the data overwritten: found by the chunks' checksum when that chunk is read.
    const std::vector<char> pattern(set.features.begin() + 6000, set.features.begin() + 6040);
    const auto at = std::search(bytes.begin(), bytes.end(), pattern.begin(), pattern.end());
    BOOST_REQUIRE(at != bytes.end());
    const std::string corrupt = dir.file("corrupt.h5");
    fs::copy_file(good, corrupt);
    overwrite(corrupt, static_cast<std::size_t>(at - bytes.begin()) + 10, 4, '\x5a');
    io::hdf5_reader r(corrupt, names("images", "values"));
    std::vector<float> f(200 * 60), v(200 * 7);
    r.read_rows(0, 16, f, v);  // the first chunk is intact
    check_refused([&] { r.read_rows(0, 200, f, v); }, {corrupt + ": dataset \"images\": reading samples 0 to 199 failed", "Fletcher32"});
    const std::vector<std::size_t> indices{3, 101, 102};
    check_refused([&] { r.read_sorted(indices, f, v); }, {corrupt + ": dataset \"images\": reading samples 101 to 102 failed"});

    // Bytes of the metadata overwritten (the superblock after the signature): its checksum fails on opening.
    const std::string bad_superblock = dir.file("superblock.h5");
    fs::copy_file(good, bad_superblock);
    overwrite(bad_superblock, 12, 8, '\x33');
    check_refused([&] { io::hdf5_reader{bad_superblock, names("images", "values")}; }, {bad_superblock + ": cannot open as an HDF5 file", "HDF5: "});
    // The signature itself overwritten: not an HDF5 file any more.
    const std::string bad_signature = dir.file("signature.h5");
    fs::copy_file(good, bad_signature);
    overwrite(bad_signature, 0, 4, 'x');
    check_refused([&] { io::hdf5_reader{bad_signature, names("images", "values")}; }, {bad_signature + ": not an HDF5 file"});
}

// Failures do not print HDF5's error stack (on stderr): the io_error says it all.
BOOST_AUTO_TEST_CASE(hdf5_prints_nothing_on_failure) {
    scratch_directory dir{"typegrad-hdf5"};
    const std::string good = dir.file("good.h5");
    write_set(good, make_set(10), 10);
    std::fflush(stderr);
    const int saved = dup(STDERR_FILENO);
    std::FILE* capture = std::fopen(dir.file("stderr.txt").c_str(), "w");
    BOOST_REQUIRE(capture != nullptr);
    dup2(fileno(capture), STDERR_FILENO);
    int refused = 0;
    for (const auto& [features, targets] : {std::pair{"nothing", "values"}, std::pair{"images", "nothing/deeper"}}) {
        try {
            io::hdf5_reader{good, names(features, targets)};
        } catch (const io::io_error&) {
            ++refused;
        }
    }
    const auto text = dir.write("text.h5", "not hdf5").string();
    try {
        io::hdf5_reader r(text);
    } catch (const io::io_error&) {
        ++refused;
    }
    std::fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    std::fclose(capture);
    BOOST_CHECK_EQUAL(refused, 3);
    BOOST_CHECK_EQUAL(fs::file_size(dir.file("stderr.txt")), 0u);
}

// Debian's serial HDF5 is not thread-safe: readers in two threads take turns, and both read right.
BOOST_AUTO_TEST_CASE(readers_in_two_threads_take_turns) {
    scratch_directory dir{"typegrad-hdf5"};
    const auto set = make_set(400);
    write_set(dir.file("set.h5"), set, 400);
    bool ok[2] = {true, true};
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t)
        threads.emplace_back([&, t] {
            io::hdf5_reader r(dir.file("set.h5"), names("images", "values"));
            std::vector<float> f(8 * 60), v(8 * 7);
            for (int round = 0; round < 200; ++round) {
                const std::size_t first = std::size_t(round * 13 + t * 7) % 392;
                r.read_rows(first, 8, f, v);
                for (std::size_t i = 0; i < f.size(); ++i) ok[t] = ok[t] && f[i] == float(set.features[first * 60 + i]) / 255.0f;
            }
        });
    for (auto& thread : threads) thread.join();
    BOOST_CHECK(ok[0]);
    BOOST_CHECK(ok[1]);
}
