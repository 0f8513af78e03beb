#pragma once
// The reference workloads of ../shared/workloads.md as every implementation sees them: which one, its
// data, and the weights it starts from. Plain C++17, so that the peers' translation units (built
// against libtorch or dlib, at C++17) can include it without typegrad.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace bench {

enum class workload { w1, w2, w3, w4 };

// "W1" ... "W4", as in the benchmark names <workload>/<implementation>/<threads>.
const char* name_of(workload w);
workload workload_named(const std::string& name);  // throws std::invalid_argument for an unknown name

// A float tensor under its PyTorch name and shape (dense weight [out, in], conv weight [out, in, kh, kw]).
struct named_tensor {
    std::string name;
    std::vector<std::size_t> shape;
    std::vector<float> values;
};

// What every implementation of a workload starts from. Inputs are drawn once from a seeded normal,
// labels uniformly from the 10 classes; the weights are typegrad's initialisation of the network.
struct workload_setup {
    std::size_t batch;
    std::vector<std::size_t> sample_shape;  // per sample: {16}, {784} or {1, 28, 28}
    std::vector<float> inputs;              // [batch, sample_shape...], row-major
    std::vector<float> targets;             // W1: [batch, 1] regression targets; empty otherwise
    std::vector<std::int32_t> labels;       // W2, W3: [batch] classes 0..9; empty otherwise
    std::vector<named_tensor> initial_parameters;  // in typegrad's parameter order
};

// Built once per workload by typegrad's side (bench/workload_setup.cpp) and shared.
const workload_setup& setup_of(workload w);

// The parameter named `name` of a setup, or std::invalid_argument naming what is missing.
const named_tensor& parameter_named(const workload_setup& setup, const std::string& name);

}  // namespace bench
