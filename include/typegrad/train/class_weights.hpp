#pragma once
// Class weights for imbalanced data, from how often each class occurs: scikit-learn's "balanced"
// weighting, w_c = n_samples / (classes * count_c). Every class then carries the same total weight
// (n_samples / classes), so a rare class counts as much in the loss as a common one; a perfectly
// balanced data set gets all weights 1. The result plugs into the class-weighted cross-entropy:
//   tg::cross_entropy(logits, labels, {.class_weights = tg::class_weights_from_frequencies(train.targets, 10)})
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace typegrad {

// Throws std::invalid_argument for no labels, a label outside [0, classes), or a class with no
// samples: its weight would be infinite, and quietly giving it another value would hide that the
// training data cannot teach that class at all.
inline std::vector<double> class_weights_from_frequencies(std::span<const std::int32_t> labels, std::size_t classes) {
    if (classes == 0) throw std::invalid_argument("typegrad: class_weights_from_frequencies: the number of classes must be positive");
    if (labels.empty()) throw std::invalid_argument("typegrad: class_weights_from_frequencies: no labels to count");
    std::vector<std::size_t> counts(classes, 0);
    for (std::size_t i = 0; i < labels.size(); ++i) {
        const std::int32_t label = labels[i];
        if (label < 0 || static_cast<std::size_t>(label) >= classes)
            throw std::invalid_argument("typegrad: class_weights_from_frequencies: label " + std::to_string(label) + " of sample " +
                                        std::to_string(i) + " is not a class in [0, " + std::to_string(classes) + ")");
        ++counts[static_cast<std::size_t>(label)];
    }
    std::vector<double> weights(classes);
    for (std::size_t c = 0; c < classes; ++c) {
        if (counts[c] == 0)
            throw std::invalid_argument("typegrad: class_weights_from_frequencies: class " + std::to_string(c) + " has no samples among the " +
                                        std::to_string(labels.size()) + " labels, so it has no frequency to weight by");
        weights[c] = double(labels.size()) / (double(classes) * double(counts[c]));
    }
    return weights;
}

}  // namespace typegrad
