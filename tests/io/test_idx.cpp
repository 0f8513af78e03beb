#define BOOST_TEST_MODULE idx
#include <boost/test/unit_test.hpp>

#include "scratch_directory.hpp"
#include "typegrad/io/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <span>
#include <string>
#include <tuple>
#include <vector>

namespace fs = std::filesystem;
using typegrad::io::io_error;
using typegrad::io::read_idx;
using typegrad::io::read_idx_images;

namespace {

using bytes = std::vector<unsigned char>;

using typegrad::testing::scratch_directory;

void put_be32(bytes& b, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<unsigned char>(v >> shift));
}

void put_be16(bytes& b, std::uint16_t v) {
    b.push_back(static_cast<unsigned char>(v >> 8));
    b.push_back(static_cast<unsigned char>(v));
}

void put_be64(bytes& b, std::uint64_t v) {
    put_be32(b, static_cast<std::uint32_t>(v >> 32));
    put_be32(b, static_cast<std::uint32_t>(v));
}

bytes header(std::uint8_t type, std::initializer_list<std::uint32_t> dims) {
    bytes b{0, 0, type, static_cast<unsigned char>(dims.size())};
    for (std::uint32_t d : dims) put_be32(b, d);
    return b;
}

bytes concat(bytes a, const bytes& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

std::string write_plain(const scratch_directory& dir, const std::string& name, const bytes& content) {
    const std::string p = dir.file(name);
    std::ofstream out(p, std::ios::binary);
    out.write(reinterpret_cast<const char*>(content.data()), static_cast<std::streamsize>(content.size()));
    BOOST_REQUIRE(out.good());
    return p;
}

std::string write_gz(const scratch_directory& dir, const std::string& name, const bytes& content) {
    const std::string p = dir.file(name);
    gzFile f = gzopen(p.c_str(), "wb");
    BOOST_REQUIRE(f != nullptr);
    if (!content.empty())
        BOOST_REQUIRE_EQUAL(gzwrite(f, content.data(), static_cast<unsigned>(content.size())),
                            static_cast<int>(content.size()));
    BOOST_REQUIRE_EQUAL(gzclose(f), Z_OK);
    return p;
}

bytes read_all(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Predicate for BOOST_CHECK_EXCEPTION: the message contains every part.
template <class... Parts>
auto message_has(const Parts&... parts) {
    std::vector<std::string> wanted{std::string(parts)...};
    return [wanted](const io_error& e) {
        const std::string msg = e.what();
        bool ok = true;
        for (const auto& w : wanted) {
            if (msg.find(w) == std::string::npos) {
                BOOST_TEST_MESSAGE("message \"" << msg << "\" lacks \"" << w << "\"");
                ok = false;
            }
        }
        return ok;
    };
}

// 2 images of 2x3 and their labels, as used by several tests.
const bytes image_pixels{0, 255, 51, 102, 1, 254, 10, 20, 30, 40, 50, 60};
bytes good_images() { return concat(header(0x08, {2, 2, 3}), image_pixels); }
bytes good_labels() { return concat(header(0x08, {2}), bytes{7, 200}); }

void check_good_pair(const std::string& images, const std::string& labels) {
    const auto a = read_idx(images);
    BOOST_CHECK_EQUAL(a.path, images);
    BOOST_CHECK_EQUAL(a.type_code, 0x08);
    BOOST_CHECK((a.dims == std::vector<std::size_t>{2, 2, 3}));
    BOOST_CHECK_EQUAL(a.element_count(), 12u);
    BOOST_REQUIRE_EQUAL(a.values.size(), 12u);
    for (std::size_t i = 0; i < image_pixels.size(); ++i) BOOST_CHECK_EQUAL(a.values[i], float(image_pixels[i]));

    const auto set = read_idx_images(images, labels);
    BOOST_CHECK_EQUAL(set.count, 2u);
    BOOST_CHECK_EQUAL(set.rows, 2u);
    BOOST_CHECK_EQUAL(set.cols, 3u);
    BOOST_REQUIRE_EQUAL(set.pixels.size(), 12u);
    for (std::size_t i = 0; i < image_pixels.size(); ++i) BOOST_CHECK_EQUAL(set.pixels[i], image_pixels[i] / 255.0f);
    BOOST_CHECK_EQUAL(set.pixels[0], 0.0f);
    BOOST_CHECK_EQUAL(set.pixels[1], 1.0f);
    BOOST_CHECK((set.labels == std::vector<std::int32_t>{7, 200}));
}

}  // namespace

BOOST_AUTO_TEST_CASE(ubyte_images_and_labels_round_trip_plain) {
    scratch_directory dir{"typegrad-idx"};
    check_good_pair(write_plain(dir, "images", good_images()), write_plain(dir, "labels", good_labels()));
}

BOOST_AUTO_TEST_CASE(ubyte_images_and_labels_round_trip_gzipped) {
    scratch_directory dir{"typegrad-idx"};
    check_good_pair(write_gz(dir, "images.gz", good_images()), write_gz(dir, "labels.gz", good_labels()));
}

BOOST_AUTO_TEST_CASE(int32_is_big_endian_and_signed) {
    scratch_directory dir{"typegrad-idx"};
    bytes b = header(0x0C, {4});
    for (std::int32_t v : {0, 1, -1, 0x01020304}) put_be32(b, static_cast<std::uint32_t>(v));
    for (const auto& p : {write_plain(dir, "i32", b), write_gz(dir, "i32.gz", b)}) {
        const auto a = read_idx(p);
        BOOST_CHECK_EQUAL(a.type_code, 0x0C);
        BOOST_CHECK((a.dims == std::vector<std::size_t>{4}));
        BOOST_CHECK((a.values == std::vector<float>{0.0f, 1.0f, -1.0f, float(0x01020304)}));
    }
}

BOOST_AUTO_TEST_CASE(float32_is_big_endian) {
    scratch_directory dir{"typegrad-idx"};
    const std::vector<float> expected{1.5f, -2.25f, 0.0f, 3.0e-8f, 1.0e30f, -0.1f};
    bytes b = header(0x0D, {2, 3});
    for (float v : expected) put_be32(b, std::bit_cast<std::uint32_t>(v));
    for (const auto& p : {write_plain(dir, "f32", b), write_gz(dir, "f32.gz", b)}) {
        const auto a = read_idx(p);
        BOOST_CHECK_EQUAL(a.type_code, 0x0D);
        BOOST_CHECK((a.dims == std::vector<std::size_t>{2, 3}));
        BOOST_CHECK((a.values == expected));
    }
}

BOOST_AUTO_TEST_CASE(sbyte_int16_float64_convert) {
    scratch_directory dir{"typegrad-idx"};
    bytes s8 = concat(header(0x09, {3}), bytes{0x00, 0x7F, 0x80});
    bytes i16 = header(0x0B, {3});
    for (std::int16_t v : {std::int16_t{300}, std::int16_t{-2}, std::int16_t{-32768}})
        put_be16(i16, static_cast<std::uint16_t>(v));
    bytes f64 = header(0x0E, {2});
    for (double v : {0.5, -1234.75}) put_be64(f64, std::bit_cast<std::uint64_t>(v));

    BOOST_CHECK((read_idx(write_plain(dir, "s8", s8)).values == std::vector<float>{0.0f, 127.0f, -128.0f}));
    BOOST_CHECK((read_idx(write_plain(dir, "i16", i16)).values == std::vector<float>{300.0f, -2.0f, -32768.0f}));
    BOOST_CHECK((read_idx(write_plain(dir, "f64", f64)).values == std::vector<float>{0.5f, -1234.75f}));
}

// float64 values are read as float: a finite value beyond float's range is refused, naming the element
// and its byte offset, never read as an infinity; stored infinities and NaNs are kept, and values too
// small for float become 0 (an absolute error below 1.5e-45).
BOOST_AUTO_TEST_CASE(float64_beyond_float_range_is_an_error) {
    scratch_directory dir{"typegrad-idx"};
    auto f64 = [](std::uint32_t count, std::size_t at, double value) {
        bytes b = header(0x0E, {count});
        for (std::uint32_t i = 0; i < count; ++i) put_be64(b, std::bit_cast<std::uint64_t>(i == at ? value : 0.25 * i));
        return b;
    };
    // Element 20000 lies in the third chunk of 8192 values: its index counts the chunks before it.
    const std::vector<std::tuple<std::uint32_t, std::size_t, double, std::string>> cases{
        {3, 2, 1e300, "element 2 (byte offset 24): the float64 value 1e+300 is beyond float's range (about 3.4e38)"},
        {3, 0, -3.5e38, "element 0 (byte offset 8): the float64 value -3.5e+38 is beyond float's range"},
        {30000, 20000, 1e39, "element 20000 (byte offset 160008): the float64 value 1e+39 is beyond"},
    };
    for (const auto& [count, at, value, expected_text] : cases) {
        const std::string& expected = expected_text;  // a plain reference: clang 14 lambdas cannot capture structured bindings
        for (const auto& p : {write_plain(dir, "big", f64(count, at, value)), write_gz(dir, "big.gz", f64(count, at, value))})
            BOOST_CHECK_EXCEPTION(read_idx(p), io_error, message_has(p + ": " + expected));
    }
    bytes kept = header(0x0E, {5});
    for (double v : {double(std::numeric_limits<float>::max()), std::numeric_limits<double>::infinity(), -1e-300, 1e-40,
                     std::numeric_limits<double>::quiet_NaN()})
        put_be64(kept, std::bit_cast<std::uint64_t>(v));
    const auto values = read_idx(write_plain(dir, "kept", kept)).values;
    BOOST_REQUIRE_EQUAL(values.size(), 5u);
    BOOST_CHECK_EQUAL(values[0], std::numeric_limits<float>::max());
    BOOST_CHECK(std::isinf(values[1]) && values[1] > 0);
    BOOST_CHECK_EQUAL(values[2], 0.0f);
    BOOST_CHECK(values[3] > 0 && values[3] < std::numeric_limits<float>::min());  // a float subnormal
    BOOST_CHECK(std::isnan(values[4]));
}

BOOST_AUTO_TEST_CASE(zero_sized_dimension_is_empty_not_an_error) {
    scratch_directory dir{"typegrad-idx"};
    const auto a = read_idx(write_plain(dir, "empty-set", header(0x08, {0, 28, 28})));
    BOOST_CHECK((a.dims == std::vector<std::size_t>{0, 28, 28}));
    BOOST_CHECK_EQUAL(a.element_count(), 0u);
    BOOST_CHECK(a.values.empty());
}

BOOST_AUTO_TEST_CASE(payload_spanning_many_chunks) {
    scratch_directory dir{"typegrad-idx"};
    constexpr std::uint32_t n = 300000;  // several read chunks, not a multiple of the chunk size
    bytes b = header(0x0B, {n});
    for (std::uint32_t i = 0; i < n; ++i) put_be16(b, static_cast<std::uint16_t>(i * 7));
    for (const auto& p : {write_plain(dir, "big", b), write_gz(dir, "big.gz", b)}) {
        const auto a = read_idx(p);
        BOOST_REQUIRE_EQUAL(a.values.size(), n);
        BOOST_CHECK_EQUAL(a.values.capacity(), n);
        bool all_match = true;
        for (std::uint32_t i = 0; i < n; ++i)
            all_match = all_match && a.values[i] == float(static_cast<std::int16_t>(static_cast<std::uint16_t>(i * 7)));
        BOOST_CHECK(all_match);
    }
}

BOOST_AUTO_TEST_CASE(missing_file) {
    scratch_directory dir{"typegrad-idx"};
    const std::string p = dir.file("does-not-exist");
    BOOST_CHECK_EXCEPTION(read_idx(p), io_error, message_has(p, "cannot open", "No such file or directory"));
}

BOOST_AUTO_TEST_CASE(directory_instead_of_file) {
    scratch_directory dir{"typegrad-idx"};
    const std::string p = dir.path.string();
    BOOST_CHECK_EXCEPTION(read_idx(p), io_error, message_has(p + ": read error", "Is a directory"));
}

BOOST_AUTO_TEST_CASE(empty_file) {
    scratch_directory dir{"typegrad-idx"};
    for (const auto& p : {write_plain(dir, "empty", {}), write_gz(dir, "empty.gz", {})})
        BOOST_CHECK_EXCEPTION(read_idx(p), io_error,
                              message_has(p, "truncated header", "byte offset 0, the file ends at byte offset 0"));
}

BOOST_AUTO_TEST_CASE(truncated_magic) {
    scratch_directory dir{"typegrad-idx"};
    const std::string p = write_plain(dir, "short", bytes{0, 0, 8});
    BOOST_CHECK_EXCEPTION(read_idx(p), io_error, message_has(p, "truncated header", "the file ends at byte offset 3"));
}

BOOST_AUTO_TEST_CASE(truncated_dimensions) {
    scratch_directory dir{"typegrad-idx"};
    bytes b = header(0x08, {10, 28, 28});
    b.resize(10);
    for (const auto& p : {write_plain(dir, "dims", b), write_gz(dir, "dims.gz", b)})
        BOOST_CHECK_EXCEPTION(
            read_idx(p), io_error,
            message_has(p, "truncated header", "3 dimension sizes (12 bytes) after byte offset 4",
                        "the file ends at byte offset 10"));
}

BOOST_AUTO_TEST_CASE(truncated_data) {
    scratch_directory dir{"typegrad-idx"};
    const bytes b = concat(header(0x0C, {3}), bytes{0, 0, 0, 1, 0, 0, 0, 2, 0});  // 12 bytes promised, 9 present
    for (const auto& p : {write_plain(dir, "data", b), write_gz(dir, "data.gz", b)})
        BOOST_CHECK_EXCEPTION(read_idx(p), io_error,
                              message_has(p, "truncated: the header promises 12 bytes of data after byte offset 8",
                                          "the file ends at byte offset 17"));
}

BOOST_AUTO_TEST_CASE(bad_magic) {
    scratch_directory dir{"typegrad-idx"};
    const std::string p = write_plain(dir, "magic", bytes{0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0});
    BOOST_CHECK_EXCEPTION(read_idx(p), io_error, message_has(p, "bad magic 0x12345678 at byte 0", "two zero bytes"));
}

BOOST_AUTO_TEST_CASE(unknown_type_code) {
    scratch_directory dir{"typegrad-idx"};
    const std::string p = write_plain(dir, "type", concat(header(0x07, {1}), bytes{0}));
    BOOST_CHECK_EXCEPTION(read_idx(p), io_error, message_has(p, "unknown element type code 0x07"));
}

BOOST_AUTO_TEST_CASE(rank_zero) {
    scratch_directory dir{"typegrad-idx"};
    const std::string p = write_plain(dir, "rank0", bytes{0, 0, 8, 0, 42});
    BOOST_CHECK_EXCEPTION(read_idx(p), io_error, message_has(p, "rank 0 is not allowed"));
}

BOOST_AUTO_TEST_CASE(overflowing_sizes_are_rejected_before_reading_data) {
    scratch_directory dir{"typegrad-idx"};
    // 2^31 x 2^31 elements, followed by a little data that must never be awaited.
    const std::string p = write_plain(dir, "huge", concat(header(0x0E, {1u << 31, 1u << 31}), bytes(64, 0)));
    BOOST_CHECK_EXCEPTION(read_idx(p), io_error,
                          message_has(p, "dimension sizes overflow", "2147483648 x 2147483648", "2^34"));
    // Under the cap, but the data is not there: a truncation error, not an allocation.
    const std::string q = write_plain(dir, "big-claim", header(0x08, {1u << 16, 1u << 16}));
    BOOST_CHECK_EXCEPTION(read_idx(q), io_error,
                          message_has(q, "truncated: the header promises 4294967296 bytes", "byte offset 12"));
}

BOOST_AUTO_TEST_CASE(trailing_bytes) {
    scratch_directory dir{"typegrad-idx"};
    const bytes b = concat(good_labels(), bytes{0xAB});
    for (const auto& p : {write_plain(dir, "trail", b), write_gz(dir, "trail.gz", b)})
        BOOST_CHECK_EXCEPTION(read_idx(p), io_error, message_has(p, "trailing data after byte offset 10"));
}

BOOST_AUTO_TEST_CASE(image_label_count_mismatch) {
    scratch_directory dir{"typegrad-idx"};
    const std::string images = write_plain(dir, "images", good_images());
    const std::string labels = write_plain(dir, "labels", concat(header(0x08, {1}), bytes{3}));
    BOOST_CHECK_EXCEPTION(read_idx_images(images, labels), io_error,
                          message_has("images file " + images + " holds 2 images but labels file " + labels +
                                      " holds 1 labels"));
}

BOOST_AUTO_TEST_CASE(images_wrong_rank) {
    scratch_directory dir{"typegrad-idx"};
    const std::string images = write_plain(dir, "flat", concat(header(0x08, {2, 6}), image_pixels));
    const std::string labels = write_plain(dir, "labels", good_labels());
    BOOST_CHECK_EXCEPTION(read_idx_images(images, labels), io_error,
                          message_has("images file " + images + ": expected rank 3 (count, rows, cols), got rank 2"));
    // Labels must be rank 1.
    BOOST_CHECK_EXCEPTION(read_idx_images(write_plain(dir, "images", good_images()), images), io_error,
                          message_has("labels file " + images + ": expected rank 1 (count), got rank 2"));
}

BOOST_AUTO_TEST_CASE(images_wrong_element_type) {
    scratch_directory dir{"typegrad-idx"};
    bytes b = header(0x0D, {1, 1, 1});
    put_be32(b, std::bit_cast<std::uint32_t>(0.5f));
    const std::string images = write_plain(dir, "float-images", b);
    const std::string labels = write_plain(dir, "labels", concat(header(0x08, {1}), bytes{0}));
    BOOST_CHECK_EXCEPTION(read_idx_images(images, labels), io_error,
                          message_has("images file " + images, "expected element type 0x08 (unsigned byte)",
                                      "got 0x0D (float32)"));
}

BOOST_AUTO_TEST_CASE(corrupt_gzip) {
    scratch_directory dir{"typegrad-idx"};
    // A valid gzip member header (deflate, no flags, OS=Unix) followed by garbage.
    bytes b{0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03};
    for (int i = 0; i < 32; ++i) b.push_back(0xFF);
    const std::string p = write_plain(dir, "corrupt.gz", b);
    BOOST_CHECK_EXCEPTION(read_idx(p), io_error, message_has(p, "corrupt gzip stream", "invalid"));
}

BOOST_AUTO_TEST_CASE(truncated_gzip) {
    scratch_directory dir{"typegrad-idx"};
    const std::string whole = write_gz(dir, "whole.gz", good_images());
    bytes compressed = read_all(whole);
    BOOST_REQUIRE_GT(compressed.size(), 12u);
    compressed.resize(compressed.size() - 6);  // cut into the CRC/length trailer
    const std::string p = write_plain(dir, "cut.gz", compressed);
    BOOST_CHECK_EXCEPTION(read_idx(p), io_error, message_has(p, "truncated gzip stream", "unexpected end of file"));
}

BOOST_AUTO_TEST_CASE(sizes_overflowing_64_bits) {
    scratch_directory dir{"typegrad-idx"};
    // (2^32 - 1)^3 elements overflow a 64-bit count: the check must not wrap around to a small size.
    const bytes b = header(0x0D, {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu});
    for (const auto& p : {write_plain(dir, "wrap", b), write_gz(dir, "wrap.gz", b)})
        BOOST_CHECK_EXCEPTION(read_idx(p), io_error, message_has(p, "dimension sizes overflow", "4294967295 x 4294967295 x 4294967295"));
}

BOOST_AUTO_TEST_CASE(labels_of_the_wrong_element_type) {
    scratch_directory dir{"typegrad-idx"};
    bytes labels = header(0x0C, {2});
    put_be32(labels, 7);
    put_be32(labels, 1);
    const std::string images = write_plain(dir, "images", good_images()), p = write_plain(dir, "int-labels", labels);
    BOOST_CHECK_EXCEPTION(read_idx_images(images, p), io_error,
                          message_has("labels file " + p, "expected element type 0x08 (unsigned byte)", "got 0x0C (int32)"));
}

BOOST_AUTO_TEST_CASE(bytes_after_the_gzip_stream) {
    scratch_directory dir{"typegrad-idx"};
    bytes b = read_all(write_gz(dir, "whole.gz", good_labels()));
    b.insert(b.end(), {'j', 'u', 'n', 'k'});
    const std::string p = write_plain(dir, "junk.gz", b);
    BOOST_CHECK_EXCEPTION(read_idx(p), io_error, message_has(p, "corrupt gzip stream at uncompressed byte offset 10"));
}

BOOST_AUTO_TEST_CASE(concatenated_gzip_members_are_one_stream) {
    scratch_directory dir{"typegrad-idx"};
    // gzip -c a b > ab.gz: what gunzip (and zlib's gzread) read as the contents of a, then of b.
    const bytes whole = good_images();
    const bytes first(whole.begin(), whole.begin() + 9), second(whole.begin() + 9, whole.end());
    const std::string p = write_plain(dir, "two-members.gz", concat(read_all(write_gz(dir, "1.gz", first)), read_all(write_gz(dir, "2.gz", second))));
    BOOST_CHECK_EQUAL(read_idx(p).values.size(), 12u);
}

BOOST_AUTO_TEST_CASE(contents_in_memory_parse_as_the_file_would) {
    scratch_directory dir{"typegrad-idx"};
    const auto as_bytes = [](const bytes& b) { return std::as_bytes(std::span(b)); };
    for (const bytes& contents : {good_images(), read_all(write_gz(dir, "images.gz", good_images()))}) {
        const auto a = typegrad::io::parse_idx(as_bytes(contents), "images in memory");
        BOOST_CHECK_EQUAL(a.path, "images in memory");
        BOOST_CHECK((a.dims == std::vector<std::size_t>{2, 2, 3}));
        BOOST_CHECK_EQUAL(a.values.size(), 12u);
    }
    // Errors name what the caller called the contents.
    BOOST_CHECK_EXCEPTION(typegrad::io::parse_idx({}, "upload #3"), io_error, message_has("upload #3: truncated header"));
    const bytes claim = header(0x0E, {1u << 31, 1u << 31});  // 2^62 elements
    BOOST_CHECK_EXCEPTION(typegrad::io::parse_idx(as_bytes(claim), "upload #4"), io_error, message_has("upload #4: dimension sizes overflow"));
}

BOOST_AUTO_TEST_CASE(real_fashion_mnist_test_set) {
    const fs::path dir = "/usr/share/datasets/fashion-mnist";
    if (!fs::is_directory(dir)) {
        BOOST_TEST_MESSAGE("skipped: " << dir << " does not exist");
        return;
    }
    const auto set = read_idx_images((dir / "t10k-images-idx3-ubyte.gz").string(),
                                     (dir / "t10k-labels-idx1-ubyte.gz").string());
    BOOST_CHECK_EQUAL(set.count, 10000u);
    BOOST_CHECK_EQUAL(set.rows, 28u);
    BOOST_CHECK_EQUAL(set.cols, 28u);
    BOOST_CHECK_EQUAL(set.pixels.size(), 10000u * 28u * 28u);
    BOOST_REQUIRE_EQUAL(set.labels.size(), 10000u);

    std::array<std::size_t, 10> per_class{};
    bool labels_in_range = true;
    for (std::int32_t l : set.labels) {
        if (l < 0 || l > 9) {
            labels_in_range = false;
            continue;
        }
        ++per_class[static_cast<std::size_t>(l)];
    }
    BOOST_CHECK(labels_in_range);
    for (std::size_t c = 0; c < per_class.size(); ++c)
        BOOST_CHECK_MESSAGE(per_class[c] == 1000, "class " << c << " occurs " << per_class[c] << " times");

    bool pixels_in_range = true;
    float max_pixel = 0.0f;
    for (float p : set.pixels) {
        pixels_in_range = pixels_in_range && p >= 0.0f && p <= 1.0f;
        max_pixel = std::max(max_pixel, p);
    }
    BOOST_CHECK(pixels_in_range);
    BOOST_CHECK_EQUAL(max_pixel, 1.0f);
}
