#pragma once
// Options of the main job (examples/fashion_mnist), parsed apart so that the command-line parser's
// compile time does not add to the model's.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

struct fashion_mnist_options {
    std::size_t epochs = 10;
    std::size_t batch = 128;
    std::size_t limit = 0;  // use only the first N training images; 0: all
    double learning_rate = 0.05;
    double momentum = 0.9;
    double min_accuracy = 0;  // exit with status 3 below this test accuracy
    std::uint64_t seed = 1;
    std::string data_dir = "/usr/share/datasets/fashion-mnist";
};

// The parsed options, or the exit status when the program should stop (--help, a bad option).
std::optional<fashion_mnist_options> parse_options(int argc, char** argv, int& exit_status);
