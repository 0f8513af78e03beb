#include "setup_export.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>

#include <typegrad/io/fashion_mnist.hpp>
#include <typegrad/io/safetensors.hpp>

#include "agreement.hpp"
#include "typegrad_runner.hpp"

namespace bench {

namespace {

namespace io = typegrad::io;

std::string joined(const std::vector<std::size_t>& values) {
    std::string text;
    for (const std::size_t v : values) text += (text.empty() ? "" : ",") + std::to_string(v);
    return text;
}

std::string exact(double x) {
    char text[32];
    std::snprintf(text, sizeof text, "%.17g", x);
    return text;
}

// zlib's CRC-32 of a vector's bytes (little-endian on this machine, as the reader assumes).
template <class T>
std::string crc32_of(const std::vector<T>& values) {
    uLong crc = crc32(0L, nullptr, 0);
    const auto* bytes = reinterpret_cast<const Bytef*>(values.data());
    std::size_t left = values.size() * sizeof(T);
    while (left > 0) {  // zlib takes at most a uInt at a time
        const uInt chunk = uInt(std::min<std::size_t>(left, 1u << 30));
        crc = crc32(crc, bytes, chunk);
        bytes += chunk;
        left -= chunk;
    }
    return std::to_string(crc);
}

void export_setup(const std::filesystem::path& path, workload w) {
    const workload_setup& setup = setup_of(w);
    const std::vector<step_record> reference = first_two_steps(*make_typegrad_runner(w, 1), w);

    // Everything write_safetensors points at must outlive the call.
    std::vector<io::tensor_to_write> tensors;
    std::vector<std::size_t> samples_shape{setup.samples()};
    samples_shape.insert(samples_shape.end(), setup.sample_shape.begin(), setup.sample_shape.end());
    const std::vector<float> labels(setup.labels.begin(), setup.labels.end());
    std::map<std::string, std::string> metadata{
        {"workload", name_of(w)},
        {"batch", std::to_string(setup.batch)},
        {"sample_shape", joined(setup.sample_shape)},
        {"tolerance", exact(agreement_tolerance)},
        {"reference", "typegrad, 1 thread, first two steps (bench/agreement.cpp: first_two_steps)"},
    };
    if (w == workload::w5) {
        metadata["data"] = io::fashion_mnist_directory;
        metadata["epochs"] = std::to_string(w5_epochs);
        metadata["train_samples"] = std::to_string(setup.samples());
        metadata["test_samples"] = std::to_string(setup.test_labels.size());
        metadata["train_images_crc32"] = crc32_of(setup.inputs);
        metadata["train_labels_crc32"] = crc32_of(setup.labels);
        metadata["test_images_crc32"] = crc32_of(setup.test_inputs);
        metadata["test_labels_crc32"] = crc32_of(setup.test_labels);
    } else {
        tensors.push_back({"inputs", io::element_type::f32, samples_shape, setup.inputs.data()});
        if (!setup.targets.empty()) tensors.push_back({"targets", io::element_type::f32, {setup.samples(), 1}, setup.targets.data()});
        if (!labels.empty()) tensors.push_back({"labels", io::element_type::f32, {setup.samples()}, labels.data()});
    }
    std::string parameters;
    for (const named_tensor& t : setup.initial_parameters) {
        parameters += (parameters.empty() ? "" : ",") + t.name;
        tensors.push_back({"initial/" + t.name, io::element_type::f32, t.shape, t.values.data()});
    }
    metadata["parameters"] = parameters;
    metadata["reference_steps"] = std::to_string(reference.size());
    for (std::size_t s = 0; s < reference.size(); ++s) {
        const std::string step = "step" + std::to_string(s + 1) + "/";
        tensors.push_back({step + "loss", io::element_type::f64, {}, &reference[s].loss});
        for (const named_tensor& t : reference[s].tensors) tensors.push_back({step + t.name, io::element_type::f32, t.shape, t.values.data()});
    }
    io::write_safetensors(path, tensors, metadata);
}

}  // namespace

void export_setups(const std::filesystem::path& directory, const std::vector<workload>& workloads) {
    std::filesystem::create_directories(directory);
    for (const workload w : workloads) export_setup(directory / (std::string(name_of(w)) + ".safetensors"), w);
}

}  // namespace bench
