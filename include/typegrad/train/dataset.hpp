#pragma once
// An in-memory data set: n samples of `feature_size` values and `target_size` targets each, row-major.
// Targets are values (regression, probabilities) or std::int32_t class labels.
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace typegrad {

template <class T, class Target = T>
struct dataset {
    using value_type = T;
    using target_type = Target;
    static constexpr bool streamed = false;  // in memory (train/hdf5_dataset.hpp is streamed)

    std::size_t feature_size = 0;
    std::size_t target_size = 1;
    std::vector<T> features{};
    std::vector<Target> targets{};

    std::size_t size() const { return feature_size == 0 ? 0 : features.size() / feature_size; }

    // Throws unless features and targets hold the same whole number of samples.
    void validate() const {
        if (feature_size == 0 || target_size == 0) throw std::invalid_argument("typegrad: dataset: feature_size and target_size must be positive");
        if (features.size() % feature_size != 0)
            throw std::invalid_argument("typegrad: dataset: " + std::to_string(features.size()) + " feature values are not a whole number of samples of " +
                                        std::to_string(feature_size));
        if (targets.size() != size() * target_size)
            throw std::invalid_argument("typegrad: dataset: " + std::to_string(size()) + " samples need " + std::to_string(size() * target_size) +
                                        " targets, got " + std::to_string(targets.size()));
    }

    std::span<const T> features_of(std::size_t first, std::size_t count) const {
        return {features.data() + first * feature_size, count * feature_size};
    }
    std::span<const Target> targets_of(std::size_t first, std::size_t count) const {
        return {targets.data() + first * target_size, count * target_size};
    }
};

}  // namespace typegrad
