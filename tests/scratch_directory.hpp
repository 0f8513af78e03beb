#pragma once
// A temporary directory for a test's files, unique to the instance (process id and a counter) and
// removed with everything in it when the test ends. Shared by the readers' and the training tests.
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

namespace typegrad::testing {

struct scratch_directory {
    std::filesystem::path path;

    explicit scratch_directory(const std::string& prefix) {
        static std::atomic<unsigned> instances{0};
        const auto base = std::filesystem::temp_directory_path() / (prefix + "-" + std::to_string(::getpid()) + "-");
        do path = base.string() + std::to_string(instances++);
        while (!std::filesystem::create_directories(path));  // false: left by an earlier process of the same id
    }
    scratch_directory(const scratch_directory&) = delete;
    scratch_directory& operator=(const scratch_directory&) = delete;
    ~scratch_directory() {
        std::error_code ignored;  // a destructor must not throw
        std::filesystem::remove_all(path, ignored);
    }

    // The path of the file `name` in the directory.
    std::string file(const std::string& name) const { return (path / name).string(); }

    // Writes `contents` to the file `name` in the directory; returns its path.
    std::filesystem::path write(const std::string& name, const std::string& contents) const {
        std::ofstream(path / name, std::ios::binary) << contents;
        return path / name;
    }
};

}  // namespace typegrad::testing
