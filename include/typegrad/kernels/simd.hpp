#pragma once
// Vectors of the target's widest registers through the GCC/Clang vector extension (64 bytes with
// AVX-512, 32 with AVX, 16 otherwise: -march=native picks the machine's), so the same source is
// portable. (Wider than the registers would work too, but GCC then warns at every use that passing
// such vectors changes the ABI.) The width fixes the order of the additions in a reduction, so
// results are the same on every machine for one build configuration. Used where the
// auto-vectoriser does not find the code by itself: keeping partial sums in registers across a
// reduction (a plain array of partial sums goes through memory, and reloading half of a vector
// store stalls store forwarding).
#include <array>
#include <cstddef>
#include <cstring>
#include <utility>

namespace typegrad::kernels {

#if defined(__AVX512F__)
inline constexpr std::size_t simd_bytes = 64;
#elif defined(__AVX__)
inline constexpr std::size_t simd_bytes = 32;
#else
inline constexpr std::size_t simd_bytes = 16;
#endif

template <class T, std::size_t Bytes>
struct simd_of {
    using type [[gnu::vector_size(Bytes)]] = T;
};
// `Lanes` values of T in one vector.
template <class T, std::size_t Lanes = simd_bytes / sizeof(T)>
using simd = typename simd_of<T, Lanes * sizeof(T)>::type;

template <class T, std::size_t Lanes = simd_bytes / sizeof(T)>
[[gnu::always_inline]] inline simd<T, Lanes> load_simd(const T* p) {
    simd<T, Lanes> v;
    std::memcpy(&v, p, sizeof v);  // an unaligned vector load
    return v;
}

template <class T, std::size_t Lanes = simd_bytes / sizeof(T)>
[[gnu::always_inline]] inline void store_simd(const simd<T, Lanes>& v, T* p) {
    std::memcpy(p, &v, sizeof v);
}

namespace detail {
template <class T, std::size_t Lanes, std::size_t... I>
[[gnu::always_inline]] inline T horizontal_sum(const simd<T, Lanes>& v, std::index_sequence<I...>) {
    if constexpr (Lanes == 1) {
        return v[0];
    } else {
        // Halving: add the upper half onto the lower, in registers, log2(Lanes) times.
        const simd<T, Lanes / 2> low = __builtin_shufflevector(v, v, I...);
        const simd<T, Lanes / 2> high = __builtin_shufflevector(v, v, (I + Lanes / 2)...);
        return horizontal_sum<T, Lanes / 2>(low + high, std::make_index_sequence<Lanes / 4>{});
    }
}
}  // namespace detail

// The sum of a vector's lanes, in a fixed order for its width.
template <class T, std::size_t Lanes>
[[gnu::always_inline]] inline T horizontal_sum(const simd<T, Lanes>& v) {
    return detail::horizontal_sum<T, Lanes>(v, std::make_index_sequence<Lanes / 2>{});
}

namespace detail {
// Lane `o` of the vector that folds vectors a and b once, when each holds Lanes / Group sums of Group
// lanes: the result holds a's sums then b's, each in Group / 2 lanes. `High` picks the upper halves
// of the groups (added to the lower).
template <std::size_t Lanes, std::size_t Group, bool High>
constexpr int fold_pair_index(std::size_t o) {
    const std::size_t half = Group / 2, per_vector = Lanes / 2;
    const std::size_t source = o / per_vector, sum = (o % per_vector) / half, lane = o % half;
    return int(source * Lanes + sum * Group + lane + (High ? half : 0));
}
template <class T, std::size_t Lanes, std::size_t Group, std::size_t... O>
[[gnu::always_inline]] inline simd<T, Lanes> fold_pair(const simd<T, Lanes>& a, const simd<T, Lanes>& b, std::index_sequence<O...>) {
    return __builtin_shufflevector(a, b, fold_pair_index<Lanes, Group, false>(O)...) +
           __builtin_shufflevector(a, b, fold_pair_index<Lanes, Group, true>(O)...);
}
template <class T, std::size_t Lanes, std::size_t Count, std::size_t Group>
[[gnu::always_inline]] inline void fold_pairs(std::array<simd<T, Lanes>, Lanes>& v) {
    if constexpr (Group > 1) {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            ((v[I] = fold_pair<T, Lanes, Group>(v[2 * I], v[2 * I + 1], std::make_index_sequence<Lanes>{})), ...);
        }(std::make_index_sequence<Count / 2>{});
        fold_pairs<T, Lanes, Count / 2, Group / 2>(v);
    }
}
}  // namespace detail

// Lane j of the result is the sum of v[j]'s lanes: Lanes horizontal sums at once, folding pairs of
// vectors so that every shuffle and addition works on full vectors (Lanes - 1 pair folds instead of
// Lanes separate log2(Lanes)-step reductions). Overwrites v.
template <class T, std::size_t Lanes>
[[gnu::always_inline]] inline simd<T, Lanes> horizontal_sums(std::array<simd<T, Lanes>, Lanes>& v) {
    detail::fold_pairs<T, Lanes, Lanes, Lanes>(v);
    return v[0];
}

}  // namespace typegrad::kernels

