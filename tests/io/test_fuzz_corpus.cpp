// The fuzzers' inputs, fed to the file readers in every build (not only the clang++ fuzzing build):
// the seeds in fuzz/corpus/<reader>/ and every input that once broke a reader, in
// fuzz/regressions/<reader>/. Each must be read (keeping the promises of fuzz/reader_checks.hpp) or
// refused with an io_error whose message starts with the file's path; a seed named valid-* must be
// read, one named bad-* refused.
#define BOOST_TEST_MODULE fuzz_corpus
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "reader_checks.hpp"

namespace fs = std::filesystem;
namespace io = typegrad::io;

namespace {

std::vector<fs::path> inputs_of(const std::string& reader) {
    std::vector<fs::path> files;
    for (const char* kind : {"corpus", "regressions"}) {
        const fs::path dir = fs::path(TYPEGRAD_FUZZ_DIR) / kind / reader;
        if (fs::is_directory(dir))
            for (const auto& entry : fs::directory_iterator(dir))
                if (entry.is_regular_file()) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

template <class Read>
void feed_every_input(const std::string& reader, Read read) {
    const auto files = inputs_of(reader);
    BOOST_TEST_REQUIRE(files.size() >= 5u, "fuzz/corpus/" << reader << " holds only " << files.size() << " files");
    std::size_t read_ok = 0, refused = 0;
    for (const auto& file : files) {
        const std::string name = file.filename().string(), path = file.string();
        try {
            const std::string broken = typegrad::fuzz::broken_promise(read(file));
            BOOST_TEST(broken.empty(), path << ": " << broken);
            BOOST_TEST(!name.starts_with("bad"), path << " was read, but its name says it is bad input");
            ++read_ok;
        } catch (const io::io_error& e) {
            BOOST_TEST(std::string(e.what()).starts_with(path + ": "), path << ": the message does not start with the path: " << e.what());
            BOOST_TEST(!name.starts_with("valid"), path << " was refused: " << e.what());
            ++refused;
        } catch (const std::exception& e) {
            BOOST_ERROR(path << ": an exception other than io_error: " << e.what());
        }
    }
    BOOST_TEST_MESSAGE(reader << ": " << files.size() << " inputs, " << read_ok << " read, " << refused << " refused");
}

}  // namespace

BOOST_AUTO_TEST_CASE(idx) {
    feed_every_input("idx", [](const fs::path& p) { return io::read_idx(p.string()); });
}

BOOST_AUTO_TEST_CASE(csv) {
    feed_every_input("csv", [](const fs::path& p) { return io::read_csv(p, typegrad::fuzz::csv_target); });
}

// The CSV inputs once more, in each of the reader's modes (reader_checks.hpp's csv_modes).
BOOST_AUTO_TEST_CASE(csv_in_every_mode) {
    for (const auto& file : inputs_of("csv")) {
        std::ifstream in(file, std::ios::binary);
        const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
        const std::string broken = typegrad::fuzz::read_in_every_mode(text, file.string()).broken;
        BOOST_TEST(broken.empty(), file.string() << ": " << broken);
    }
}

BOOST_AUTO_TEST_CASE(safetensors) {
    feed_every_input("safetensors", [](const fs::path& p) { return io::read_safetensors(p); });
}
