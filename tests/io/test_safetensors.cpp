// safetensors files and model parameter files: round trips, atomic saving, and a clear error naming
// the file and the fault for every kind of damage, with nothing loaded.
#define BOOST_TEST_MODULE safetensors
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <span>
#include <utility>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <sys/stat.h>

#include "scratch_directory.hpp"
#include "message_has.hpp"
#include <typegrad/io/model_file.hpp>
#include <typegrad/typegrad.hpp>

namespace fs = std::filesystem;
namespace tg = typegrad;
namespace io = typegrad::io;

namespace {

using typegrad::testing::scratch_directory;

// A file from a JSON header text and `data_bytes` bytes of data.
fs::path write_raw(const fs::path& path, const std::string& header, std::size_t data_bytes, std::uint64_t claimed_length = 0) {
    std::ofstream out(path, std::ios::binary);
    const std::uint64_t length = claimed_length ? claimed_length : header.size();
    out.write(reinterpret_cast<const char*>(&length), 8);
    out << header << std::string(data_bytes, '\0');
    return path;
}

using typegrad::testing::message_has;

// Writes a file (see write_raw) and checks that reading it is refused with a message naming the file
// and saying `expected`.
void check_refused(const fs::path& path, const std::string& header, std::size_t data_bytes, const std::string& expected,
                   std::uint64_t claimed_length = 0) {
    write_raw(path, header, data_bytes, claimed_length);
    BOOST_CHECK_EXCEPTION(io::read_safetensors(path), io::io_error, [&](const io::io_error& e) { return message_has(e, {path.string(), expected}); });
}

const auto image = tg::input<1, 6, 6>;
const auto scores = image | tg::conv2d<2, 3> | tg::relu | tg::flatten | tg::dense<3>;
const auto named_scores = image | tg::conv2d<2, 3>.named<"features">() | tg::relu | tg::flatten | tg::dense<4>;

}  // namespace

BOOST_AUTO_TEST_CASE(tensors_and_metadata_round_trip) {
    scratch_directory dir{"typegrad-safetensors"};
    const std::vector<float> a{1, 2, 3, 4, 5, 6};
    const std::vector<double> b{-1.5};
    const std::vector<io::tensor_to_write> tensors{{"a", io::element_type::f32, {2, 3}, a.data()}, {"b", io::element_type::f64, {1}, b.data()}};
    io::write_safetensors(dir.path / "t.safetensors", tensors, {{"epoch", "3"}});
    const auto file = io::read_safetensors(dir.path / "t.safetensors");
    BOOST_TEST(file.metadata.at("epoch") == "3");
    BOOST_TEST((file.tensors.at("a").shape == std::vector<std::size_t>{2, 3}));
    BOOST_TEST((file.tensors.at("b").type == io::element_type::f64));
    std::vector<float> read(6);
    std::memcpy(read.data(), file.data.data() + file.tensors.at("a").begin, 24);
    BOOST_TEST(read == a, boost::test_tools::per_element());
    BOOST_TEST((fs::file_size(dir.path / "t.safetensors") - 8 - 24 - 8) % 8 == 0u);  // the header is padded to 8 bytes
}

BOOST_AUTO_TEST_CASE(a_failed_save_leaves_the_old_file_and_no_temporary) {
    scratch_directory dir{"typegrad-safetensors"};
    const std::vector<float> a{1};
    io::write_safetensors(dir.path / "m.safetensors", std::vector<io::tensor_to_write>{{"a", io::element_type::f32, {1}, a.data()}});
    const auto before = fs::file_size(dir.path / "m.safetensors");
    const std::vector<io::tensor_to_write> twice{{"a", io::element_type::f32, {1}, a.data()}, {"a", io::element_type::f32, {1}, a.data()}};
    BOOST_CHECK_EXCEPTION(io::write_safetensors(dir.path / "m.safetensors", twice), io::io_error,
                          [](const io::io_error& e) { return message_has(e, {"m.safetensors", "\"a\" is given twice"}); });
    BOOST_CHECK_EXCEPTION(io::write_safetensors(dir.path / "missing" / "m.safetensors", twice), io::io_error,
                          [](const io::io_error& e) { return message_has(e, {"missing/m.safetensors"}); });
    BOOST_TEST(fs::file_size(dir.path / "m.safetensors") == before);
    BOOST_TEST(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator{}) == 1);
}

BOOST_AUTO_TEST_CASE(every_kind_of_damage_is_named) {
    scratch_directory dir{"typegrad-safetensors"};
    const fs::path p = dir.path / "bad.safetensors";
    const std::string good = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    struct damage {
        std::string header;
        std::size_t data_bytes;
        std::uint64_t claimed_length;
        std::string expected;
    };
    const std::vector<damage> cases{
        {good, 4, 0, "truncated"},                                               // data cut short
        {good, 12, 0, "4 bytes after the last tensor"},                          // trailing data
        {good, 8, 1ull << 62, "the header claims 4611686018427387904 bytes"},    // absurd header length
        {"{\"w\":", 8, 0, "malformed"},                                          // broken JSON
        {"[1,2]", 0, 0, "not an object"},
        {R"({"w":{"dtype":"F32","shape":[1e3000],"data_offsets":[0,4]}})", 4, 0, "malformed: [json.exception.out_of_range.406] number overflow"},  // found by fuzz_safetensors
        {R"({"w":{"dtype":"I8","shape":[2],"data_offsets":[0,2]}})", 2, 0, "dtype \"I8\" is not supported"},
        {R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8, 0, "shape [3] of F32 needs 12 bytes"},
        {R"({"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}})", 8, 0, "overflows"},
        {R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"v":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8, 0, "overlaps"},
        {R"({"w":{"dtype":"F32","shape":[2]}})", 8, 0, "tensor \"w\": \"data_offsets\" is missing"},
    };
    for (const auto& c : cases) check_refused(p, c.header, c.data_bytes, c.expected, c.claimed_length);
    std::ofstream(p, std::ios::trunc).close();  // empty file
    BOOST_CHECK_EXCEPTION(io::read_safetensors(p), io::io_error, [&](const io::io_error& e) { return message_has(e, {"needs 8 bytes, the file has 0"}); });
    BOOST_CHECK_EXCEPTION(io::read_safetensors(dir.path / "none"), io::io_error, [&](const io::io_error& e) { return message_has(e, {"none: cannot open"}); });
}

// The bad-input cases of every reader (see also test_idx.cpp and test_csv.cpp): a header cut short,
// sizes that overflow, a file of another format, header fields of the wrong kind.
BOOST_AUTO_TEST_CASE(truncated_headers) {
    scratch_directory dir{"typegrad-safetensors"};
    const fs::path p = dir.path / "cut.safetensors";
    const std::string good = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    std::ofstream(p, std::ios::binary) << std::string(5, '\0');  // the length itself cut short
    BOOST_CHECK_EXCEPTION(io::read_safetensors(p), io::io_error,
                          [&](const io::io_error& e) { return message_has(e, {p.string(), "truncated header", "needs 8 bytes, the file has 5"}); });
    // The length is right, the JSON text is cut after 20 of its bytes.
    write_raw(p, good.substr(0, 20), 0, good.size());
    BOOST_CHECK_EXCEPTION(io::read_safetensors(p), io::io_error, [&](const io::io_error& e) {
        return message_has(e, {p.string(), "the header claims " + std::to_string(good.size()) + " bytes after byte offset 8", "ends at byte offset 28"});
    });
}

// The header is checked against the file's size before any data is read: a file of a terabyte (sparse,
// so it takes no disk space) whose header does not fit it is refused at once, having read only its
// length and header. Reading it whole first, as the reader once did, would need a terabyte of memory.
BOOST_AUTO_TEST_CASE(a_huge_file_is_judged_by_its_header_before_its_data_is_read) {
    scratch_directory dir{"typegrad-safetensors"};
    const fs::path p = dir.path / "huge.safetensors";
    constexpr std::uintmax_t terabyte = std::uintmax_t{1} << 40;
    const std::string good = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    const std::vector<std::tuple<std::string, std::uint64_t, std::string>> cases{
        {good, 0, std::to_string(terabyte - 8 - good.size() - 8) + " bytes after the last tensor"},  // the header does not account for the data
        {good.substr(0, 20), 0, "the JSON header (bytes 8 to 28) is malformed"},
        {good, terabyte - 8, "the header claims 1099511627768 bytes after byte offset 8, the file ends at byte offset 1099511627776 (and the format's limit"},
    };
    for (const auto& [header, claimed, expected_text] : cases) {
        write_raw(p, header, 8, claimed);
        fs::resize_file(p, terabyte);
        const std::string& expected = expected_text;  // a plain reference: clang 14 lambdas cannot capture structured bindings
        BOOST_CHECK_EXCEPTION(io::read_safetensors(p), io::io_error, [&](const io::io_error& e) { return message_has(e, {p.string(), expected}); });
    }
}

// A pipe cannot tell its size: it is read whole, then parsed as a file would be.
BOOST_AUTO_TEST_CASE(a_pipe_is_read_as_a_file) {
    scratch_directory dir{"typegrad-safetensors"};
    const std::vector<float> a{1, 2, 3};
    io::write_safetensors(dir.path / "m.safetensors", std::vector<io::tensor_to_write>{{"a", io::element_type::f32, {3}, a.data()}});
    std::ifstream in(dir.path / "m.safetensors", std::ios::binary);
    const std::string contents{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    const fs::path fifo = dir.path / "pipe";
    BOOST_TEST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    for (const std::size_t size : {contents.size(), std::size_t{20}}) {  // whole, and cut short
        std::thread writer{[&] { std::ofstream(fifo, std::ios::binary) << contents.substr(0, size); }};
        try {
            const auto file = io::read_safetensors(fifo);
            BOOST_TEST(size == contents.size());
            BOOST_TEST(file.data.size() == 12u);
        } catch (const io::io_error& e) {
            BOOST_TEST(size == 20u);
            BOOST_TEST(message_has(e, {fifo.string(), "the header claims"}));
        }
        writer.join();
    }
}

BOOST_AUTO_TEST_CASE(sizes_that_overflow) {
    scratch_directory dir{"typegrad-safetensors"};
    const fs::path p = dir.path / "huge.safetensors";
    const std::vector<std::pair<std::string, std::string>> cases{
        // 2^31 x 2^31 = 2^62 elements: 2^64 bytes of F32, one past what 64 bits hold.
        {R"({"w":{"dtype":"F32","shape":[2147483648,2147483648],"data_offsets":[0,8]}})", "the size of shape [2147483648, 2147483648] overflows 64 bits"},
        // 2^60 elements (2^62 bytes) fit in 64 bits, but the file does not hold them: refused before any allocation.
        {R"({"w":{"dtype":"F32","shape":[1152921504606846976],"data_offsets":[0,4611686018427387904]}})",
         "its data ends at data byte 4611686018427387904, but only 8 bytes of data follow the header (truncated"},
        {R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[18446744073709551608,0]}})", "data_offsets must be [begin, end] with begin <= end"},
    };
    for (const auto& [header, expected] : cases) check_refused(p, header, 8, expected);
}

BOOST_AUTO_TEST_CASE(a_file_of_another_format) {
    // safetensors has no magic number: its first 8 bytes are the header length, which a file of
    // another format turns into an absurd claim, and a text file into a header that is not JSON.
    scratch_directory dir{"typegrad-safetensors"};
    const fs::path idx = dir.path / "labels.idx", text = dir.path / "notes.safetensors";
    std::ofstream(idx, std::ios::binary) << std::string("\0\0\x08\x01\0\0\0\x02\x07\x01", 10);
    BOOST_CHECK_EXCEPTION(io::read_safetensors(idx), io::io_error, [&](const io::io_error& e) {
        return message_has(e, {idx.string(), "the header claims 144115188093157376 bytes after byte offset 8, the file ends at byte offset 10"});
    });
    write_raw(text, "hello, world", 0);
    BOOST_CHECK_EXCEPTION(io::read_safetensors(text), io::io_error,
                          [&](const io::io_error& e) { return message_has(e, {text.string(), "the JSON header (bytes 8 to 20) is malformed"}); });
}

BOOST_AUTO_TEST_CASE(header_fields_of_the_wrong_kind) {
    scratch_directory dir{"typegrad-safetensors"};
    const fs::path p = dir.path / "kinds.safetensors";
    const std::vector<std::pair<std::string, std::string>> cases{
        {R"({"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})", "tensor \"w\": dtype \"F16\" is not supported (typegrad reads F32, F64 and I64)"},
        {R"({"w":{"dtype":32,"shape":[2],"data_offsets":[0,8]}})", "tensor \"w\": \"dtype\" is missing or not a string"},
        {R"({"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})", "\"shape\" holds 2.5, not a non-negative integer"},
        {R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}})", "\"data_offsets\" holds -8, not a non-negative integer"},
        {R"({"w":{"dtype":"F32","shape":2,"data_offsets":[0,8]}})", "\"shape\" is not a list"},
        {R"({"w":[1,2,3]})", "tensor \"w\": its entry is [1,2,3], not an object"},
        {R"({"__metadata__":{"epoch":3}})", "metadata \"epoch\" is 3, not a string"},
        {R"({"__metadata__":"note"})", "\"__metadata__\" is not an object"},
    };
    for (const auto& [header, expected] : cases) check_refused(p, header, 8, expected);
}

BOOST_AUTO_TEST_CASE(an_empty_tensor_may_start_where_another_does) {
    // Whatever the names' order, an empty tensor at the start of another's data is no overlap.
    scratch_directory dir{"typegrad-safetensors"};
    for (const std::string empty : {"a", "z"}) {
        write_raw(dir.path / "e.safetensors",
                  R"({")" + empty + R"(":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"m":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 8);
        BOOST_TEST(io::read_safetensors(dir.path / "e.safetensors").tensors.size() == 2u);
    }
}

BOOST_AUTO_TEST_CASE(contents_in_memory_parse_as_the_file_would) {
    scratch_directory dir{"typegrad-safetensors"};
    const std::vector<float> a{1, 2};
    io::write_safetensors(dir.path / "m.safetensors", std::vector<io::tensor_to_write>{{"a", io::element_type::f32, {2}, a.data()}});
    std::ifstream in(dir.path / "m.safetensors", std::ios::binary);
    const std::string contents{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    const auto file = io::parse_safetensors(std::as_bytes(std::span(contents)), "weights from the network");
    BOOST_TEST(file.path == "weights from the network");
    BOOST_TEST(file.data.size() == 8u);
    BOOST_TEST((file.tensors.at("a").shape == std::vector<std::size_t>{2}));
    BOOST_CHECK_EXCEPTION(io::parse_safetensors(std::as_bytes(std::span(contents)).first(20), "weights from the network"), io::io_error,
                          [](const io::io_error& e) { return message_has(e, {"weights from the network: the header claims"}); });
}

BOOST_AUTO_TEST_CASE(parameters_are_named_and_shaped_as_in_pytorch) {
    auto net = tg::compile<float>(scores);
    std::vector<std::string> names;
    std::vector<std::vector<std::size_t>> shapes;
    for (const auto& t : net.parameter_tensors()) {
        names.push_back(t.name);
        shapes.push_back(t.shape);
    }
    // torch.nn.Sequential(Conv2d(1, 2, 3), ReLU(), Flatten(), Linear(32, 3))
    BOOST_TEST(names == (std::vector<std::string>{"0.weight", "0.bias", "3.weight", "3.bias"}), boost::test_tools::per_element());
    BOOST_TEST((shapes[0] == std::vector<std::size_t>{2, 1, 3, 3}));
    BOOST_TEST((shapes[2] == std::vector<std::size_t>{3, 32}));
    auto named = tg::compile<float>(named_scores);
    BOOST_TEST(named.parameter_tensors()[0].name == "features.weight");
}

BOOST_AUTO_TEST_CASE(a_saved_model_loads_into_a_fresh_network_with_the_same_outputs) {
    scratch_directory dir{"typegrad-safetensors"};
    auto trained = tg::compile<float>(scores);
    trained.initialize(11);
    io::save_parameters(trained, dir.path / "model.safetensors", {{"note", "test"}});
    auto fresh = tg::compile<float>(scores);
    fresh.initialize(12);
    BOOST_TEST(io::load_parameters(fresh, dir.path / "model.safetensors").at("note") == "test");
    const std::vector<float> a(trained.parameters().begin(), trained.parameters().end());
    const std::vector<float> b(fresh.parameters().begin(), fresh.parameters().end());
    BOOST_TEST(a == b, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_model_file_for_another_network_is_refused_whole) {
    scratch_directory dir{"typegrad-safetensors"};
    auto other = tg::compile<float>(named_scores);
    io::save_parameters(other, dir.path / "other.safetensors");
    auto net = tg::compile<float>(scores);
    net.initialize(3);
    const std::vector<float> before(net.parameters().begin(), net.parameters().end());
    BOOST_CHECK_EXCEPTION(io::load_parameters(net, dir.path / "other.safetensors"), io::io_error, [](const io::io_error& e) {
        return message_has(e, {"other.safetensors: does not fit this network, nothing was loaded", "tensor \"0.weight\" is missing",
                               "tensor \"features.weight\" is not a parameter or state of this network", "tensor \"3.weight\" has shape [4, 32], the network's is [3, 32]"});
    });
    auto wide = tg::compile<double>(scores);
    io::save_parameters(wide, dir.path / "double.safetensors");
    BOOST_CHECK_EXCEPTION(io::load_parameters(net, dir.path / "double.safetensors"), io::io_error,
                          [](const io::io_error& e) { return message_has(e, {"tensor \"0.weight\" is F64, the network computes in F32"}); });
    const std::vector<float> after(net.parameters().begin(), net.parameters().end());
    BOOST_TEST(before == after, boost::test_tools::per_element());
}
