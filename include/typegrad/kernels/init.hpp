#pragma once
// Parameter initialisers: Glorot (Xavier) and He (Kaiming), uniform and normal; constants for the blocks
// that are not weights.
#include <cmath>
#include <cstddef>

#include <typegrad/expr/parameters.hpp>
#include <typegrad/kernels/random.hpp>

namespace typegrad::kernels {

template <class T>
void initialise(init_scheme scheme, const param_block& block, random_generator& rng, T* out) {
    const double fan_in = double(block.fan_in), fan_out = double(block.fan_out);
    auto fill_uniform = [&](double limit) {
        for (std::size_t i = 0; i < block.size; ++i) out[i] = static_cast<T>(rng.uniform(-limit, limit));
    };
    auto fill_normal = [&](double stddev) {
        for (std::size_t i = 0; i < block.size; ++i) out[i] = static_cast<T>(rng.normal(0.0, stddev));
    };
    if (!block.is_weight) {  // biases start at zero, a normalisation's scale at one
        for (std::size_t i = 0; i < block.size; ++i) out[i] = static_cast<T>(block.constant);
        return;
    }
    switch (scheme) {
        case init_scheme::glorot_uniform: return fill_uniform(std::sqrt(6.0 / (fan_in + fan_out)));
        case init_scheme::glorot_normal: return fill_normal(std::sqrt(2.0 / (fan_in + fan_out)));
        case init_scheme::he_uniform: return fill_uniform(std::sqrt(6.0 / fan_in));
        case init_scheme::he_normal: return fill_normal(std::sqrt(2.0 / fan_in));
        case init_scheme::zeros:
            for (std::size_t i = 0; i < block.size; ++i) out[i] = T(0);
            return;
    }
}

}  // namespace typegrad::kernels
