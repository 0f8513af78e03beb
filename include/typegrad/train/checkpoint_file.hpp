#pragma once
// The file side of checkpoints (train/checkpoint.hpp): writing and checking a safetensors file of
// tensors and exact scalar metadata. Compiled apart (src/train/checkpoint_file.cpp), so that fit()
// does not pull the file formats into every program that trains.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <typegrad/expr/parameters.hpp>
#include <typegrad/kernels/random.hpp>
#include <typegrad/train/history.hpp>

namespace typegrad {

// The __metadata__ entry that marks a file as a checkpoint, and its value for this layout.
inline constexpr const char* checkpoint_format_key = "format";
inline constexpr const char* checkpoint_format = "typegrad checkpoint 1";

// A tensor to write: product(shape) values of float or double.
struct checkpoint_tensor {
    std::string name;
    std::vector<std::size_t> shape;
    bool f64;
    const void* data;
};

using checkpoint_metadata = std::vector<std::pair<std::string, std::string>>;

// Atomic (io::write_safetensors): until the new file replaces it, the previous checkpoint at `path`
// stays whole, so an interruption while writing never leaves a broken checkpoint.
void write_checkpoint_file(const std::string& path, const std::vector<checkpoint_tensor>& tensors, const checkpoint_metadata& metadata);

// A 64-bit hash of the training data (features, then targets), to refuse resuming on other data.
std::uint64_t checkpoint_fingerprint(std::span<const std::byte> features, std::span<const std::byte> targets);

// Exact text forms of the scalar state: numbers round-trip bit for bit.
std::string checkpoint_text(double value);
std::string checkpoint_text(std::size_t value);
std::string checkpoint_text(const random_generator::state_type& generator);
std::string checkpoint_text(std::span<const double> values);
std::string checkpoint_text(std::span<const epoch_report> history);

// Reads a checkpoint, then checks it piece by piece. Each difference from what the run expects is
// collected; finish() throws one io::io_error naming the file and listing every tensor or entry that
// differs. Nothing read is to be used before finish() returns.
class checkpoint_reader {
public:
    explicit checkpoint_reader(const std::string& path);  // throws io::io_error for an unreadable or non-checkpoint file
    ~checkpoint_reader();
    checkpoint_reader(const checkpoint_reader&) = delete;
    checkpoint_reader& operator=(const checkpoint_reader&) = delete;

    // Each of `tensors`, named `prefix` + its name, as the network has it (dtype and shape).
    void expect_tensors(std::span<const parameter_tensor> tensors, bool f64, const std::string& prefix = "");
    // A permutation of [0, n), stored as F64 (exact for any n below 2^53).
    std::vector<std::size_t> order(const std::string& name, std::size_t n);
    // __metadata__ entries; a missing or malformed one is a difference (and reads as 0 or empty).
    std::string text(const std::string& key);
    std::size_t count(const std::string& key);
    double number(const std::string& key);
    std::vector<double> numbers(const std::string& key, std::size_t n);
    random_generator::state_type generator(const std::string& key);
    std::vector<epoch_report> history(const std::string& key);
    // A difference the caller found (a batch size, an optimiser).
    void differs(std::string line);

    // Throws if anything differs, or if the file holds a tensor the run does not expect.
    void finish();
    // A checked tensor's values, after finish().
    void copy(const std::string& name, void* destination) const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace typegrad
