#pragma once
// An in-memory data set: n samples of `feature_size` values and `target_size` targets each, row-major.
// Targets are values (regression, probabilities) or std::int32_t class labels.
//
// A sample may carry other inputs besides its features, each bound by its name to the network's input
// of that name (an image, and a redshift or photometry per galaxy):
//
//   tg::dataset<float> galaxies{.feature_size = 3 * 64 * 64, .target_size = 37, .features = ..., .targets = ...,
//                               .other_inputs = {{.name = "redshift", .size = 1, .values = ...}}};
//   tg::fit(net, opt, galaxies, tg::inputs(image, redshift), fractions, options);
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace typegrad {

// An input of every sample besides the features: `size` values per sample, row-major.
template <class T>
struct named_values {
    std::string name;  // the network's input it is bound to: tg::named_input<name, ...>
    std::size_t size = 1;
    std::vector<T> values{};
};

// What a data source says of one of its other inputs, for checks and messages.
struct input_description {
    std::string name;
    std::size_t size = 0;
    std::optional<std::vector<std::size_t>> shape{};  // per sample, when the source knows it (a file's dataset)
    std::string origin{};  // where it is read from, for messages ("galaxies.h5: dataset \"redshift\"")
};

template <class T, class Target = T>
struct dataset {
    using value_type = T;
    using target_type = Target;
    static constexpr bool streamed = false;  // in memory (train/hdf5_dataset.hpp is streamed)

    std::size_t feature_size = 0;
    std::size_t target_size = 1;
    std::vector<T> features{};
    std::vector<Target> targets{};
    std::vector<named_values<T>> other_inputs{};

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
        for (std::size_t k = 0; k < other_inputs.size(); ++k) {
            const named_values<T>& other = other_inputs[k];
            const std::string which = "typegrad: dataset: other input '" + other.name + "'";
            if (other.name.empty()) throw std::invalid_argument("typegrad: dataset: other input " + std::to_string(k) + " has no name");
            for (std::size_t j = 0; j < k; ++j)
                if (other_inputs[j].name == other.name) throw std::invalid_argument(which + " is given twice");
            if (other.size == 0) throw std::invalid_argument(which + ": size must be positive");
            if (other.values.size() != size() * other.size)
                throw std::invalid_argument(which + ": " + std::to_string(size()) + " samples of " + std::to_string(other.size) + " values need " +
                                            std::to_string(size() * other.size) + " values, got " + std::to_string(other.values.size()));
        }
    }

    std::vector<input_description> other_input_descriptions() const {
        std::vector<input_description> descriptions;
        for (const named_values<T>& other : other_inputs) descriptions.push_back({other.name, other.size, std::nullopt, "the dataset's other input '" + other.name + "'"});
        return descriptions;
    }

    std::span<const T> features_of(std::size_t first, std::size_t count) const {
        return {features.data() + first * feature_size, count * feature_size};
    }
    std::span<const Target> targets_of(std::size_t first, std::size_t count) const {
        return {targets.data() + first * target_size, count * target_size};
    }
    std::span<const T> other_input_of(std::size_t input, std::size_t first, std::size_t count) const {
        const named_values<T>& other = other_inputs[input];
        return {other.values.data() + first * other.size, count * other.size};
    }
};

namespace detail {

// Features without targets, in memory: what predict() reads from a span.
template <class T>
struct feature_span {
    using value_type = T;
    using target_type = T;
    static constexpr bool streamed = false;
    std::span<const T> features;
    std::size_t feature_size;
    static constexpr std::size_t target_size = 0;
    std::size_t size() const { return features.size() / feature_size; }
    std::span<const T> features_of(std::size_t first, std::size_t count) const { return features.subspan(first * feature_size, count * feature_size); }
    std::span<const T> targets_of(std::size_t, std::size_t) const { return {}; }
};

}  // namespace detail

}  // namespace typegrad
