#pragma once
// A temporary directory for a test's files, unique to the process and removed with everything in it
// when the test ends. Shared by the readers' tests.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace typegrad::testing {

struct scratch_directory {
    std::filesystem::path path;

    explicit scratch_directory(const std::string& prefix)
        : path{std::filesystem::temp_directory_path() / (prefix + "-" + std::to_string(::getpid()))} {
        std::filesystem::create_directories(path);
    }
    ~scratch_directory() { std::filesystem::remove_all(path); }

    // Writes `contents` to the file `name` in the directory; returns its path.
    std::filesystem::path write(const std::string& name, const std::string& contents) const {
        std::ofstream(path / name, std::ios::binary) << contents;
        return path / name;
    }
};

}  // namespace typegrad::testing
