#pragma once
// Options of the main job (examples/fashion_mnist), parsed apart so that the command-line parser's
// compile time does not add to the model's.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include <typegrad/io/fashion_mnist.hpp>

struct fashion_mnist_options {
    std::size_t epochs = 12;
    std::size_t batch = 64;
    double learning_rate = 1e-3;   // Adam's, annealed by a cosine schedule to a tenth
    double validation = 0.1;       // fraction of the training images held out for validation
    std::size_t patience = 4;      // early stopping: epochs without a lower validation loss
    std::size_t threads = 0;       // 0: all cores
    std::uint64_t seed = 1;
    std::size_t limit = 0;         // use only the first N training images; 0: all
    double min_accuracy = 0;       // exit with status 3 below this test accuracy
    std::string data_dir = typegrad::io::fashion_mnist_directory;
    std::string out_dir = "out";
    std::string json;              // default: <out>/summary.json
    std::string save;              // default: <out>/model.safetensors
    std::string load;
    bool evaluate = false;         // with --load: only evaluate on the test set
    bool plots = true;
    std::string checkpoint;        // written after each epoch and when stopped by a signal; default: <out>/checkpoint.safetensors
    std::string resume;            // a checkpoint to continue from
    bool grad_report = false;      // print each layer's weight and gradient norms after each epoch
    bool check_finite = false;     // stop at the first NaN or infinity (fit's guard), keeping the last checkpoint
};

// The parsed options, or the exit status when the program should stop (--help, a bad option).
std::optional<fashion_mnist_options> parse_options(int argc, char** argv, int& exit_status);
