#pragma once
// exp, tanh and sigmoid for float that loops vectorise. The C library's versions are calls the
// compiler cannot vectorise, and they dominated small networks' steps (4096 std::tanh took about
// 60 us, a whole W1 training step). These are branch-free (both sides computed, then selected by
// bit masks), with Cephes' polynomials: exp and tanh within 1 ulp, sigmoid within 3 ulp of the
// correctly rounded results (tests/kernels/test_fast_math.cpp). Doubles keep the C library's.
#include <bit>
#include <cmath>
#include <cstdint>

namespace typegrad::kernels {

// condition ? a : b by bit masks: a ternary on floats that may trap (a division) is a branch to the
// compiler, and a branch stops vectorisation.
inline float select(bool condition, float a, float b) {
    const std::uint32_t mask = 0u - std::uint32_t(condition);
    return std::bit_cast<float>((std::bit_cast<std::uint32_t>(a) & mask) | (std::bit_cast<std::uint32_t>(b) & ~mask));
}

// e^x for x <= 88.37 (about ln of the largest float); below -87.33 it is 0, as the float result
// would be denormal or zero.
inline float exp_float(float x) {
    constexpr float log2e = 1.44269504088896341f, ln2_hi = 0.693359375f, ln2_lo = -2.12194440e-4f;
    constexpr float round_magic = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer in the low bits
    const bool underflows = x < -87.33f;
    x = select(x < -87.33f, -87.33f, select(x > 88.37f, 88.37f, x));  // std::clamp or fmin/fmax would be branches here
    const float shifted = x * log2e + round_magic;
    const float n = shifted - round_magic;
    const std::int32_t exponent = std::bit_cast<std::int32_t>(shifted) - std::bit_cast<std::int32_t>(round_magic);
    const float r = x - n * ln2_hi - n * ln2_lo;  // |r| <= ln(2) / 2
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    const float e_r = p * r * r + r + 1.0f;
    const float scale = std::bit_cast<float>((exponent + 127) << 23);
    return select(underflows, 0.0f, e_r * scale);
}

inline float tanh_float(float x) {
    const float a = std::fabs(x);
    // Small |x|: an odd polynomial, which keeps full relative precision near 0.
    const float z = x * x;
    float p = -5.70498872745e-3f;
    p = p * z + 2.06390887954e-2f;
    p = p * z - 5.37397155531e-2f;
    p = p * z + 1.33314422036e-1f;
    p = p * z - 3.33332819422e-1f;
    const float small = x + x * z * p;
    // Otherwise (1 - e^-2|x|) / (1 + e^-2|x|), with the sign of x.
    const float e = exp_float(-2.0f * a);
    const float large = std::copysign((1.0f - e) / (1.0f + e), x);
    return select(a < 0.625f, small, large);
}

// 1 / (1 + e^-x), with exp's argument kept non-positive so that nothing overflows.
inline float sigmoid_float(float x) {
    const float e = exp_float(-std::fabs(x));
    const float s = 1.0f / (1.0f + e);
    return select(x >= 0.0f, s, e * s);
}

}  // namespace typegrad::kernels
