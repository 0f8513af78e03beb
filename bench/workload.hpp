#pragma once
// The reference workloads of ../shared/workloads.md as every implementation sees them: which one, its
// data, and the weights it starts from. Plain C++17, so that the peers' translation units (built
// against libtorch or dlib, at C++17) can include it without typegrad.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace bench {

enum class workload { w1, w2, w3, w4, w5 };

// "W1" ... "W5", as in the benchmark names <workload>/<implementation>/<threads>.
const char* name_of(workload w);
workload workload_named(const std::string& name);  // throws std::invalid_argument for an unknown name

// W5 (Fashion-MNIST end to end): one timed iteration trains this many epochs over the training set.
constexpr std::size_t w5_epochs = 2;

// A float tensor under its PyTorch name and shape (dense weight [out, in], conv weight [out, in, kh, kw]).
struct named_tensor {
    std::string name;
    std::vector<std::size_t> shape;
    std::vector<float> values;
};

// What every implementation of a workload starts from. W1-W4: one batch of inputs drawn once from a
// seeded normal, labels uniformly from the 10 classes, the same batch at every step. W5: the
// Fashion-MNIST training images, pixels in [0, 1], taken in file order (batch_order), and the test
// images. The weights are typegrad's initialisation of the network.
struct workload_setup {
    std::size_t batch;
    std::vector<std::size_t> sample_shape;  // per sample: {16}, {784} or {1, 28, 28}
    std::vector<float> inputs;              // [samples, sample_shape...], row-major: one batch (W1-W4) or the training set (W5)
    std::vector<float> targets;             // W1: [samples, 1] regression targets; empty otherwise
    std::vector<std::int32_t> labels;       // W2, W3, W5: [samples] classes 0..9; empty otherwise
    std::vector<named_tensor> initial_parameters;  // in typegrad's parameter order
    std::vector<float> test_inputs{};             // W5: the test images, [test samples, sample_shape...]; empty otherwise
    std::vector<std::int32_t> test_labels{};      // W5: their classes

    std::size_t sample_size() const;  // values per sample: the product of sample_shape
    std::size_t samples() const { return inputs.size() / sample_size(); }
};

// Built once per workload by typegrad's side (bench/workload_setup.cpp) and shared.
const workload_setup& setup_of(workload w);

// The parameter named `name` of a setup, or std::invalid_argument naming what is missing.
const named_tensor& parameter_named(const workload_setup& setup, const std::string& name);

// The batches a training workload steps through, the same for every implementation: the setup's
// samples in order, `batch` at a time, the last batch of an epoch holding the rest (W5: 60,000 =
// 937 x 64 + 32), then the next epoch from the first sample again. W1-W3 hold a single batch, so
// every step gets the same one.
class batch_order {
public:
    struct batch {
        std::size_t first;  // the batch's first sample
        std::size_t size;   // its number of samples
    };

    explicit batch_order(const workload_setup& setup);
    std::size_t batches_per_epoch() const;
    batch next();  // the batch of the next step

private:
    std::size_t samples_, batch_size_, next_ = 0;
};

// Training steps in one timed iteration of a workload: one, or W5's w5_epochs epochs.
std::size_t steps_per_iteration(workload w);

}  // namespace bench
