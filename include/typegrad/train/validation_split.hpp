#pragma once
// Splits a validation set off a training set: a seeded random `fraction` of the samples, so that
// the test set stays untouched until the end.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <typegrad/kernels/random.hpp>
#include <typegrad/train/dataset.hpp>

namespace typegrad {

template <class T, class Target>
struct train_validation {
    dataset<T, Target> train;
    dataset<T, Target> validation;
};

// Both parts keep the samples' original order; the same seed gives the same split.
template <class T, class Target>
train_validation<T, Target> split_validation(const dataset<T, Target>& data, double fraction, std::uint64_t seed) {
    data.validate();
    if (!(fraction > 0 && fraction < 1))
        throw std::invalid_argument("typegrad: split_validation: the validation fraction must be in (0, 1), got " + std::to_string(fraction));
    const std::size_t n = data.size();
    const auto held_out = static_cast<std::size_t>(std::llround(fraction * double(n)));
    if (held_out == 0 || held_out == n)
        throw std::invalid_argument("typegrad: split_validation: a fraction of " + std::to_string(fraction) + " of " + std::to_string(n) +
                                    " samples leaves one part empty");
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t{0});
    random_generator rng{seed};
    rng.shuffle(order.begin(), order.end());
    std::vector<bool> in_validation(n, false);
    for (std::size_t i = 0; i < held_out; ++i) in_validation[order[i]] = true;

    train_validation<T, Target> parts{{data.feature_size, data.target_size, {}, {}, {}}, {data.feature_size, data.target_size, {}, {}, {}}};
    for (auto* part : {&parts.train, &parts.validation}) {
        const std::size_t count = part == &parts.validation ? held_out : n - held_out;
        part->features.reserve(count * data.feature_size);
        part->targets.reserve(count * data.target_size);
        for (const named_values<T>& other : data.other_inputs) {
            part->other_inputs.push_back({other.name, other.size, {}});
            part->other_inputs.back().values.reserve(count * other.size);
        }
    }
    const auto append = [](auto& to, auto values) { to.insert(to.end(), values.begin(), values.end()); };
    for (std::size_t s = 0; s < n; ++s) {
        auto& part = in_validation[s] ? parts.validation : parts.train;
        append(part.features, data.features_of(s, 1));
        append(part.targets, data.targets_of(s, 1));
        for (std::size_t k = 0; k < data.other_inputs.size(); ++k) append(part.other_inputs[k].values, data.other_input_of(k, s, 1));
    }
    return parts;
}

}  // namespace typegrad
