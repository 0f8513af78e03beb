#pragma once
// Gradient clipping, the usual cure for exploding gradients: by global norm (all parameters as one
// vector, as torch.nn.utils.clip_grad_norm_) or by value.
#include <algorithm>
#include <cmath>
#include <span>
#include <stdexcept>

namespace typegrad {

// The Euclidean norm of a gradient vector, accumulated in double.
template <class T>
double gradient_norm(std::span<const T> gradients) {
    double sum = 0;
    for (const T g : gradients) sum += double(g) * double(g);
    return std::sqrt(sum);
}

// Scales the gradients so that their norm is at most `max_norm`; returns the norm before clipping.
template <class T>
double clip_gradient_norm(std::span<T> gradients, double max_norm) {
    if (!(max_norm > 0)) throw std::invalid_argument("typegrad: clip_gradient_norm: max_norm must be positive");
    const double norm = gradient_norm(std::span<const T>(gradients));
    if (norm > max_norm) {
        const T scale = T(max_norm / norm);
        for (T& g : gradients) g *= scale;
    }
    return norm;
}

// Clamps every gradient value to [-limit, limit].
template <class T>
void clip_gradient_value(std::span<T> gradients, double limit) {
    if (!(limit > 0)) throw std::invalid_argument("typegrad: clip_gradient_value: the limit must be positive");
    for (T& g : gradients) g = std::clamp(g, T(-limit), T(limit));
}

}  // namespace typegrad
