#pragma once
// typegrad's own random generator and distributions. The standard distributions are
// implementation-defined, so a seed would give different weights under libstdc++ and libc++; these
// give bit-identical streams everywhere.
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <utility>

namespace typegrad {

// xoshiro256** seeded through splitmix64.
class random_generator {
public:
    explicit random_generator(std::uint64_t seed = 0) { reseed(seed); }

    void reseed(std::uint64_t seed) {
        for (auto& word : state_) {
            seed += 0x9e3779b97f4a7c15ULL;
            std::uint64_t z = seed;
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
            word = z ^ (z >> 31);
        }
        spare_normal_valid_ = false;
    }

    std::uint64_t next() {
        const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
        const std::uint64_t t = state_[1] << 17;
        state_[2] ^= state_[0];
        state_[3] ^= state_[1];
        state_[1] ^= state_[2];
        state_[0] ^= state_[3];
        state_[2] ^= t;
        state_[3] = rotl(state_[3], 45);
        return result;
    }

    // Skips n draws of next() (n uniforms).
    void discard(std::uint64_t n) {
        for (; n > 0; --n) next();
    }

    // Uniform in [0, 1) with 53 random bits.
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    double uniform(double low, double high) { return low + (high - low) * uniform(); }

    // Uniform integer in [0, n), without modulo bias.
    std::uint64_t below(std::uint64_t n) {
        const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % n);
        std::uint64_t x;
        do x = next();
        while (x >= limit);
        return x % n;
    }

    // Standard normal by the Box-Muller transform.
    double normal() {
        if (spare_normal_valid_) {
            spare_normal_valid_ = false;
            return spare_normal_;
        }
        const double u1 = 1.0 - uniform();  // in (0, 1]: log stays finite
        const double u2 = uniform();
        const double radius = std::sqrt(-2.0 * std::log(u1));
        spare_normal_ = radius * std::sin(2 * std::numbers::pi * u2);
        spare_normal_valid_ = true;
        return radius * std::cos(2 * std::numbers::pi * u2);
    }
    double normal(double mean, double stddev) { return mean + stddev * normal(); }

    // The whole state, for checkpoints (train/checkpoint.hpp): restoring it continues the same stream.
    struct state_type {
        std::array<std::uint64_t, 4> words;
        double spare_normal;
        bool spare_normal_valid;
        bool operator==(const state_type&) const = default;
    };
    state_type state() const { return {{state_[0], state_[1], state_[2], state_[3]}, spare_normal_, spare_normal_valid_}; }
    void set_state(const state_type& s) {
        for (std::size_t i = 0; i < 4; ++i) state_[i] = s.words[i];
        spare_normal_ = s.spare_normal;
        spare_normal_valid_ = s.spare_normal_valid;
    }

    // Fisher-Yates shuffle.
    template <class RandomIt>
    void shuffle(RandomIt first, RandomIt last) {
        for (auto n = last - first; n > 1; --n) std::swap(first[n - 1], first[static_cast<decltype(n)>(below(static_cast<std::uint64_t>(n)))]);
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::uint64_t state_[4]{};
    double spare_normal_ = 0;
    bool spare_normal_valid_ = false;
};

}  // namespace typegrad
