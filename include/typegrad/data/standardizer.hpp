#pragma once
// Standardisation: each feature shifted by its mean and divided by its standard deviation, both
// taken from the training set only (statistics of the validation or test samples would leak them
// into training), and kept in a safetensors file so that deployment applies the same ones.
//
//   tg::standardizer<float> s;
//   s.fit(train);                 // mean and standard deviation of each feature of `train`
//   s.apply(train);  s.apply(test);
//   s.save("standardizer.safetensors");   ...   auto s2 = tg::standardizer<float>::load(path);
//
// The standard deviation is the population one (divided by n, as scikit-learn's StandardScaler).
// A feature whose training values are all equal has no spread to divide by: it is divided by 1
// instead of 0, so it becomes 0 in training and stays finite on other data (its mean is that value).
// The statistics are computed, kept and applied in double whatever T is; the file holds them as F64
// tensors "standardizer.mean" and "standardizer.std" (the divisor: 1 for a constant feature), so a
// standardizer<float> and a standardizer<double> read each other's files.
// Misuse (an unfitted standardizer, data of another feature count, an empty or non-finite training
// set) throws std::invalid_argument naming the feature counts; a file that is not a standardizer's
// throws io::io_error naming the file and each fault.
#include <cstddef>
#include <filesystem>
#include <span>
#include <vector>

#include <typegrad/train/dataset.hpp>

namespace typegrad {

template <class T>
class standardizer {
public:
    standardizer() = default;  // unfitted: fit or load it before applying it

    template <class Target>
    void fit(const dataset<T, Target>& train) {
        train.validate();
        fit(std::span<const T>(train.features), train.feature_size);
    }
    // The same for raw rows of `feature_size` values each.
    void fit(std::span<const T> rows, std::size_t feature_size);

    // In place: x <- (x - mean) / std.
    template <class Target>
    void apply(dataset<T, Target>& data) const {
        check_dataset(data.feature_size, data.features.size());
        apply(std::span<T>(data.features));
    }
    void apply(std::span<T> rows) const;  // whole rows of feature_size() values

    // In place: x <- x * std + mean, undoing apply (to rounding).
    template <class Target>
    void inverse(dataset<T, Target>& data) const {
        check_dataset(data.feature_size, data.features.size());
        inverse(std::span<T>(data.features));
    }
    void inverse(std::span<T> rows) const;

    bool fitted() const { return !mean_.empty(); }
    std::size_t feature_size() const { return mean_.size(); }
    const std::vector<double>& mean() const { return mean_; }
    const std::vector<double>& standard_deviation() const { return std_; }  // the divisor of each feature: 1 for a constant one

    // Writes the statistics atomically; throws io::io_error naming the path on failure.
    void save(const std::filesystem::path& path) const;
    // Reads a file written by save; checks every tensor's name, dtype, shape and values.
    static standardizer load(const std::filesystem::path& path);

private:
    void check_dataset(std::size_t feature_size, std::size_t values) const;

    std::vector<double> mean_, std_;
};

extern template class standardizer<float>;
extern template class standardizer<double>;

}  // namespace typegrad
