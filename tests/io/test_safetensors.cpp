// safetensors files and model parameter files: round trips, atomic saving, and a clear error naming
// the file and the fault for every kind of damage, with nothing loaded.
#define BOOST_TEST_MODULE safetensors
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

#include <typegrad/io/model_file.hpp>
#include <typegrad/typegrad.hpp>

namespace fs = std::filesystem;
namespace tg = typegrad;
namespace io = typegrad::io;

namespace {

struct scratch_directory {
    fs::path path = fs::temp_directory_path() / ("typegrad-safetensors-" + std::to_string(::getpid()));
    scratch_directory() { fs::create_directories(path); }
    ~scratch_directory() { fs::remove_all(path); }
};

// A file from a JSON header text and `data_bytes` bytes of data.
fs::path write_raw(const fs::path& path, const std::string& header, std::size_t data_bytes, std::uint64_t claimed_length = 0) {
    std::ofstream out(path, std::ios::binary);
    const std::uint64_t length = claimed_length ? claimed_length : header.size();
    out.write(reinterpret_cast<const char*>(&length), 8);
    out << header << std::string(data_bytes, '\0');
    return path;
}

bool message_has(const io::io_error& e, std::initializer_list<std::string> parts) {
    const std::string text = e.what();
    for (const auto& part : parts)
        if (text.find(part) == std::string::npos) {
            BOOST_TEST_MESSAGE("message lacks \"" << part << "\": " << text);
            return false;
        }
    return true;
}

const auto image = tg::input<1, 6, 6>;
const auto scores = image | tg::conv2d<2, 3> | tg::relu | tg::flatten | tg::dense<3>;
const auto named_scores = image | tg::conv2d<2, 3>.named<"features">() | tg::relu | tg::flatten | tg::dense<4>;

}  // namespace

BOOST_AUTO_TEST_CASE(tensors_and_metadata_round_trip) {
    scratch_directory dir;
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
    scratch_directory dir;
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
    scratch_directory dir;
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
        {R"({"w":{"dtype":"I8","shape":[2],"data_offsets":[0,2]}})", 2, 0, "dtype \"I8\" is not supported"},
        {R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8, 0, "shape [3] of F32 needs 12 bytes"},
        {R"({"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}})", 8, 0, "overflows"},
        {R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"v":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8, 0, "overlaps"},
        {R"({"w":{"dtype":"F32","shape":[2]}})", 8, 0, "does not describe tensors"},
    };
    for (const auto& c : cases) {
        write_raw(p, c.header, c.data_bytes, c.claimed_length);
        BOOST_CHECK_EXCEPTION(io::read_safetensors(p), io::io_error, [&](const io::io_error& e) { return message_has(e, {p.string(), c.expected}); });
    }
    std::ofstream(p, std::ios::trunc).close();  // empty file
    BOOST_CHECK_EXCEPTION(io::read_safetensors(p), io::io_error, [&](const io::io_error& e) { return message_has(e, {"needs 8 bytes, the file has 0"}); });
    BOOST_CHECK_EXCEPTION(io::read_safetensors(dir.path / "none"), io::io_error, [&](const io::io_error& e) { return message_has(e, {"none: cannot open"}); });
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
    scratch_directory dir;
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
    scratch_directory dir;
    auto other = tg::compile<float>(named_scores);
    io::save_parameters(other, dir.path / "other.safetensors");
    auto net = tg::compile<float>(scores);
    net.initialize(3);
    const std::vector<float> before(net.parameters().begin(), net.parameters().end());
    BOOST_CHECK_EXCEPTION(io::load_parameters(net, dir.path / "other.safetensors"), io::io_error, [](const io::io_error& e) {
        return message_has(e, {"other.safetensors: does not fit this network, nothing was loaded", "tensor \"0.weight\" is missing",
                               "tensor \"features.weight\" is not a parameter of this network", "tensor \"3.weight\" has shape [4, 32], the network's is [3, 32]"});
    });
    auto wide = tg::compile<double>(scores);
    io::save_parameters(wide, dir.path / "double.safetensors");
    BOOST_CHECK_EXCEPTION(io::load_parameters(net, dir.path / "double.safetensors"), io::io_error,
                          [](const io::io_error& e) { return message_has(e, {"tensor \"0.weight\" is F64, the network computes in F32"}); });
    const std::vector<float> after(net.parameters().begin(), net.parameters().end());
    BOOST_TEST(before == after, boost::test_tools::per_element());
}
