#pragma once
// Winograd convolution F(m x m, 3 x 3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural
// Networks", 2016) for stride-1 3x3 layers over NCHW samples, weights [out, in, 3, 3] as in PyTorch,
// cross-correlation as in convolution.hpp. The outputs are cut into m x m tiles; each tile's
// (m + 2) x (m + 2) input patch d and each 3x3 kernel g are carried into a transformed domain, where
// the convolution becomes an elementwise product summed over the input channels:
//   Y = A^T [ sum_c (G g G^T) . (B^T d B) ] A.
// Summed over channels, the product is, for each of the (m + 2)^2 tile elements, one matrix product
// [out x in] x [in x tiles] (kernels/gemm.hpp). F(2, 3) does 2.25 times fewer multiplications than the
// direct convolution, F(4, 3) 4 times fewer, for transforms whose larger coefficients cost accuracy.
//
// Backward runs the same algorithm's adjoint (the transposed transforms): the output gradient's
// tiles go through A . A^T, the products take the transformed weights transposed (so the forward's
// transformed weights serve backward-data) or the transformed inputs (backward-weights), and
// B . B^T / G^T . G bring the results back. Being the exact adjoint of the forward, it is the
// gradient of what forward computes, edge tiles included.
//
// Tiles at the bottom and right edges, where the output is not a multiple of m, read zeros past the
// input and write only the outputs that exist. The transforms work on a vector of tiles at once
// (kernels/simd.hpp), one lane per tile.
//
// Threads: a batch is done a group of samples at a time (the group's transformed values stay in
// cache); within a group the transforms are split by channel and the products by tile element, so
// every value is computed by one thread in an order that does not depend on the thread count.
#include <algorithm>
#include <array>
#include <cstddef>
#include <utility>

#include <typegrad/kernels/convolution.hpp>
#include <typegrad/kernels/gemm.hpp>
#include <typegrad/kernels/parallel.hpp>
#include <typegrad/kernels/simd.hpp>

namespace typegrad::kernels {

// Winograd covers 3x3 kernels at stride 1, with any zero padding before the first row and column
// below the kernel (valid: 0, same: 1).
constexpr bool winograd_applies(const window_geometry& g) {
    return g.kernel == 3 && g.stride == 1 && g.pad_top < 3 && g.pad_left < 3;
}

// The transforms of F(m x m, 3 x 3): input V = B^T d B, weights U = G g G^T, output Y = A^T M A.
template <std::size_t M>
struct winograd_transforms;

template <>
struct winograd_transforms<2> {  // interpolation points 0, 1, -1, infinity
    static constexpr std::size_t m = 2, alpha = 4;
    static constexpr std::array<std::array<double, 4>, 4> bt{{{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}}};
    static constexpr std::array<std::array<double, 3>, 4> g{{{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}}};
    static constexpr std::array<std::array<double, 4>, 2> at{{{1, 1, 1, 0}, {0, 1, -1, -1}}};
};

template <>
struct winograd_transforms<4> {  // interpolation points 0, 1, -1, 2, -2, infinity
    static constexpr std::size_t m = 4, alpha = 6;
    static constexpr std::array<std::array<double, 6>, 6> bt{{{4, 0, -5, 0, 1, 0},
                                                              {0, -4, -4, 1, 1, 0},
                                                              {0, 4, -4, -1, 1, 0},
                                                              {0, -2, -1, 2, 1, 0},
                                                              {0, 2, -1, -2, 1, 0},
                                                              {0, 4, 0, -5, 0, 1}}};
    static constexpr std::array<std::array<double, 3>, 6> g{{{1.0 / 4, 0, 0},
                                                             {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                                             {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                                             {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                                             {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                                             {0, 0, 1}}};
    static constexpr std::array<std::array<double, 6>, 4> at{{{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}}};
};

// How the products over the tiles (forward, backward-data) are computed: kernels::gemm (CBLAS for
// these sizes) or the register tiles of kernels::gemm_loop. The weight gradient's product, a sum
// over the tiles, always goes to kernels::gemm.
enum class winograd_product { blas, register_tiles };

struct winograd_settings {
    std::size_t samples_per_group = 0;  // 0: winograd_samples_per_group's choice
    winograd_product product = winograd_product::register_tiles;  // measured faster per step on W3 and W6 (2026-12-01)
};

namespace winograd_detail {

// A transform matrix, or its transpose, as compile-time coefficients.
template <const auto& Matrix, bool Transposed>
struct coefficients {
    static constexpr std::size_t rows = Transposed ? Matrix[0].size() : Matrix.size();
    static constexpr std::size_t cols = Transposed ? Matrix.size() : Matrix[0].size();
    static constexpr double at(std::size_t i, std::size_t k) { return Transposed ? Matrix[k][i] : Matrix[i][k]; }
    static constexpr std::size_t first_nonzero(std::size_t i) {
        std::size_t k = 0;
        while (at(i, k) == 0) ++k;
        return k;
    }
};

template <std::size_t N, class F>
[[gnu::always_inline]] inline void unroll(F&& f) {
    [&]<std::size_t... I>(std::index_sequence<I...>) { (f(std::integral_constant<std::size_t, I>{}), ...); }(std::make_index_sequence<N>{});
}

// sum (+)= L(I, K) * x(), skipping zero coefficients and multiplications by +-1 (the compiler would
// keep both: 0 * x is not 0 for an infinite x).
template <class L, std::size_t I, std::size_t K, class T, class V, class X>
[[gnu::always_inline]] inline void accumulate(V& sum, X&& x) {
    constexpr double c = L::at(I, K);
    if constexpr (c != 0) {
        constexpr bool first = L::first_nonzero(I) == K;
        if constexpr (c == 1) {
            if constexpr (first) sum = x(); else sum += x();
        } else if constexpr (c == -1) {
            if constexpr (first) sum = -x(); else sum -= x();
        } else {
            if constexpr (first) sum = x() * T(c); else sum += x() * T(c);
        }
    }
}

// out = L in L^T for a cols x cols `in` read by load(k, l), the rows x rows result given to
// store(i, j, value); one row of L in at a time, so that few values are live.
template <class L, class T, class V, class Load, class Store>
[[gnu::always_inline]] inline void sandwich(Load&& load, Store&& store) {
    unroll<L::rows>([&](auto i) {
        V row[L::cols];
        unroll<L::cols>([&](auto l) {
            row[l] = V{};
            unroll<L::cols>([&](auto k) { accumulate<L, decltype(i)::value, decltype(k)::value, T>(row[l], [&] { return load(k, l); }); });
        });
        unroll<L::rows>([&](auto j) {
            V value{};
            unroll<L::cols>([&](auto l) { accumulate<L, decltype(j)::value, decltype(l)::value, T>(value, [&] { return row[l]; }); });
            store(i, j, value);
        });
    });
}

// Where a tile's patch starts in its sample's staged plane (see staged_planes); an empty lane has no tile.
struct tile_origin {
    std::size_t sample, offset;
    bool present;
};

// The group's tiles t0 .. t0 + Lanes - 1, numbered sample by sample, row by row: tile (r, c) starts
// at row r * M, column c * M of a staged plane `width` wide.
template <std::size_t Lanes>
void tile_origins(std::size_t t0, std::size_t tiles, std::size_t per_sample, std::size_t tile_cols, std::size_t step, std::size_t width,
                  std::array<tile_origin, Lanes>& origins) {
    for (std::size_t lane = 0; lane < Lanes; ++lane) {
        const std::size_t t = t0 + lane, within = t % per_sample;
        origins[lane] = t < tiles ? tile_origin{t / per_sample, within / tile_cols * step * width + within % tile_cols * step, true} : tile_origin{0, 0, false};
    }
}

// Lane swaps of a pair of rows for transpose_lanes(): the off-diagonal Block x Block blocks trade places.
template <class T, std::size_t N, std::size_t Block, std::size_t... P>
[[gnu::always_inline]] inline void swap_blocks(simd<T, N>& a, simd<T, N>& b, std::index_sequence<P...>) {
    const simd<T, N> upper = __builtin_shufflevector(a, b, int((P & Block) == 0 ? P : N + P - Block)...);
    const simd<T, N> lower = __builtin_shufflevector(a, b, int((P & Block) == 0 ? P + Block : N + P)...);
    a = upper;
    b = lower;
}

// v[i][j] becomes v[j][i]: log2(N) rounds of block swaps, all in registers.
template <class T, std::size_t N, std::size_t Block = N / 2>
[[gnu::always_inline]] inline void transpose_lanes(std::array<simd<T, N>, N>& v) {
    if constexpr (Block > 0) {
        unroll<N>([&](auto i) {
            if constexpr ((decltype(i)::value & Block) == 0) swap_blocks<T, N, Block>(v[i], v[i + Block], std::make_index_sequence<N>{});
        });
        transpose_lanes<T, N, Block / 2>(v);
    }
}

// Per-lane patches (Size x Size values, each lane's contiguous) to and from the transforms' layout,
// value e of every lane together: buffer[e * Lanes + lane]. A whole vector of lanes at a time, by
// transposing blocks of Lanes x Lanes in registers (value by value, the lanes' strided stores were
// the transforms' largest cost).
template <std::size_t Size, std::size_t Lanes>
inline constexpr std::size_t patch_stride = (Size * Size + Lanes - 1) / Lanes * Lanes;

// Unrolled at compile time, so that the block stays in registers (with a run-time bound on the
// values of the last, partial block, it went through memory, zeroed by memset each time).
template <std::size_t Size, std::size_t Lanes, class T>
[[gnu::always_inline]] inline void patches_to_lanes(const T* patches, T* buffer) {
    unroll<patch_stride<Size, Lanes> / Lanes>([&](auto block) {
        constexpr std::size_t first = decltype(block)::value * Lanes;
        std::array<simd<T, Lanes>, Lanes> v;
        unroll<Lanes>([&](auto lane) { v[lane] = load_simd<T, Lanes>(patches + lane * patch_stride<Size, Lanes> + first); });
        transpose_lanes<T, Lanes>(v);
        unroll<Lanes>([&](auto e) {
            if constexpr (first + decltype(e)::value < Size * Size) store_simd<T, Lanes>(v[e], buffer + (first + e) * Lanes);
        });
    });
}

template <std::size_t Size, std::size_t Lanes, class T>
[[gnu::always_inline]] inline void lanes_to_patches(const T* buffer, T* patches) {
    unroll<patch_stride<Size, Lanes> / Lanes>([&](auto block) {
        constexpr std::size_t first = decltype(block)::value * Lanes;
        std::array<simd<T, Lanes>, Lanes> v;
        unroll<Lanes>([&](auto e) {
            if constexpr (first + decltype(e)::value < Size * Size)
                v[e] = load_simd<T, Lanes>(buffer + (first + e) * Lanes);
            else
                v[e] = simd<T, Lanes>{};
        });
        transpose_lanes<T, Lanes>(v);
        unroll<Lanes>([&](auto lane) { store_simd<T, Lanes>(v[lane], patches + lane * patch_stride<Size, Lanes> + first); });
    });
}

// buffer[(k * Size + l) * Lanes + lane] = value (k, l) of each lane's patch in its staged plane
// (`width` wide, from plane_of(sample)), or 0 for an empty lane. `patches` is room for Lanes *
// patch_stride values. Loops of compile-time lengths (std::copy_n and fill_n became calls).
template <std::size_t Size, std::size_t Lanes, class T, class PlaneOf>
void gather_patches(const std::array<tile_origin, Lanes>& origins, std::size_t width, PlaneOf&& plane_of, T* patches, T* buffer) {
    for (std::size_t lane = 0; lane < Lanes; ++lane) {
        const tile_origin& o = origins[lane];
        T* to = patches + lane * patch_stride<Size, Lanes>;
        if (!o.present) {
            for (std::size_t e = 0; e < Size * Size; ++e) to[e] = T(0);
            continue;
        }
        const T* from = plane_of(o.sample) + o.offset;
        for (std::size_t k = 0; k < Size; ++k)
            for (std::size_t l = 0; l < Size; ++l) to[k * Size + l] = from[k * width + l];
    }
    patches_to_lanes<Size, Lanes>(patches, buffer);
}

// The adjoint of gather_patches: each present lane's patch written into its staged plane (Add:
// added to it, in lane order).
template <std::size_t Size, std::size_t Lanes, bool Add, class T, class PlaneOf>
void scatter_patches(const std::array<tile_origin, Lanes>& origins, std::size_t width, PlaneOf&& plane_of, const T* buffer, T* patches) {
    lanes_to_patches<Size, Lanes>(buffer, patches);
    for (std::size_t lane = 0; lane < Lanes; ++lane) {
        const tile_origin& o = origins[lane];
        if (!o.present) continue;
        const T* from = patches + lane * patch_stride<Size, Lanes>;
        T* to = plane_of(o.sample) + o.offset;
        for (std::size_t k = 0; k < Size; ++k)
            for (std::size_t l = 0; l < Size; ++l) {
                if constexpr (Add) to[k * width + l] += from[k * Size + l]; else to[k * width + l] = from[k * Size + l];
            }
    }
}

// The tiles of one group of samples: `tiles` of them, stored `stride` apart (a multiple of the lanes,
// the lanes past the last tile holding zeros).
struct tile_group {
    std::size_t first_sample, samples, tiles, stride;
};

// The tiles of a plane, and the staged planes their patches are read from and written to: each
// plane copied, with its zero padding, into one whole tiles cover (input side: (rows * M + 2) x
// (cols * M + 2), the plane at (pad_top, pad_left); output side: rows * M x cols * M). Then every
// tile lies inside, none needs a test of the edges (the edge tiles were half of W3's and W6's).
template <std::size_t M>
struct tiling {
    std::size_t rows, cols, per_sample;
    std::size_t in_height, in_width, out_height, out_width;  // staged planes
    explicit constexpr tiling(const window_geometry& g)
        : rows((g.out_height + M - 1) / M), cols((g.out_width + M - 1) / M), per_sample(rows * cols), in_height(rows * M + 2),
          in_width(cols * M + 2), out_height(rows * M), out_width(cols * M) {}
    std::size_t in_plane() const { return in_height * in_width; }
    std::size_t out_plane() const { return out_height * out_width; }
};

// `planes` planes height x width (rows `from_width` apart) into staged planes staged_height x
// staged_width, at (top, left), zero elsewhere.
template <class T>
void stage_planes(std::size_t planes, const T* from, std::size_t plane_stride, std::size_t height, std::size_t width, T* to, std::size_t staged_height,
                  std::size_t staged_width, std::size_t top, std::size_t left) {
    // Only the border is zeroed: the plane overwrites the rest (and output planes that are a
    // whole number of tiles have none).
    const std::size_t right = staged_width - left - width;
    for (std::size_t p = 0; p < planes; ++p) {
        T* staged = to + p * staged_height * staged_width;
        std::fill_n(staged, top * staged_width, T(0));
        for (std::size_t r = 0; r < height; ++r) {
            T* row = staged + (top + r) * staged_width;
            std::fill_n(row, left, T(0));
            std::copy_n(from + p * plane_stride + r * width, width, row + left);
            std::fill_n(row + left + width, right, T(0));
        }
        std::fill_n(staged + (top + height) * staged_width, (staged_height - top - height) * staged_width, T(0));
    }
}

// The part height x width at (top, left) of staged planes back into planes: written, or added.
template <class T>
void unstage_planes(std::size_t planes, const T* staged_planes, std::size_t staged_height, std::size_t staged_width, std::size_t top, std::size_t left,
                    T* to, std::size_t plane_stride, std::size_t height, std::size_t width, bool add) {
    for (std::size_t p = 0; p < planes; ++p) {
        const T* staged = staged_planes + p * staged_height * staged_width;
        for (std::size_t r = 0; r < height; ++r) {
            const T* from = staged + (top + r) * staged_width + left;
            T* row = to + p * plane_stride + r * width;
            if (add)
                for (std::size_t c = 0; c < width; ++c) row[c] += from[c];
            else
                std::copy_n(from, width, row);
        }
    }
}

template <class T>
inline constexpr std::size_t lanes = simd_bytes / sizeof(T);

template <class T>
constexpr std::size_t round_up_to_lanes(std::size_t n) {
    return (n + lanes<T> - 1) / lanes<T> * lanes<T>;
}

// Layout of a transformed tensor [alpha^2][rows][stride]: element e, row r, tile t.
template <class T>
struct transformed {
    T* data;
    std::size_t rows, stride;
    T* at(std::size_t e, std::size_t r) const { return data + (e * rows + r) * stride; }
};

// Staged planes of one group: channel c's of sample i at at(c, i).
template <class T>
struct staged {
    T* data;
    std::size_t samples, plane;
    T* at(std::size_t channel, std::size_t sample) const { return data + (channel * samples + sample) * plane; }
};

// Input patches of channels [c_begin, c_end) of the group's samples, transformed: V = B^T d B.
template <std::size_t M, class T>
void transform_inputs(const conv_shape& s, const tile_group& group, const T* x, std::size_t c_begin, std::size_t c_end, staged<T> planes,
                      transformed<T> v) {
    using W = winograd_transforms<M>;
    using L = coefficients<W::bt, false>;
    constexpr std::size_t alpha = W::alpha, n = lanes<T>;
    const window_geometry& g = s.plane;
    const tiling<M> tiles(g);
    for (std::size_t c = c_begin; c < c_end; ++c)
        for (std::size_t i = 0; i < group.samples; ++i)
            stage_planes<T>(1, x + ((group.first_sample + i) * s.in_channels + c) * g.height * g.width, 0, g.height, g.width, planes.at(c, i),
                            tiles.in_height, tiles.in_width, g.pad_top, g.pad_left);
    alignas(64) T buffer[alpha * alpha * n], patches[n * patch_stride<alpha, n>]{};
    std::array<tile_origin, n> origins;
    for (std::size_t t0 = 0; t0 < group.stride; t0 += n) {
        tile_origins<n>(t0, group.tiles, tiles.per_sample, tiles.cols, M, tiles.in_width, origins);
        for (std::size_t c = c_begin; c < c_end; ++c) {
            gather_patches<alpha, n>(origins, tiles.in_width, [&](std::size_t i) { return planes.at(c, i); }, patches, buffer);
            sandwich<L, T, simd<T>>([&](std::size_t k, std::size_t l) { return load_simd(buffer + (k * alpha + l) * n); },
                                    [&](std::size_t i, std::size_t j, const simd<T>& value) { store_simd(value, v.at(i * alpha + j, c) + t0); });
        }
    }
}

// Output tiles of channels [o_begin, o_end) from the products: Y = A^T M A (+ bias).
template <std::size_t M, class T>
void transform_outputs(const conv_shape& s, const tile_group& group, transformed<T> products, const T* bias, std::size_t o_begin, std::size_t o_end,
                       staged<T> planes, T* y) {
    using W = winograd_transforms<M>;
    using L = coefficients<W::at, false>;
    constexpr std::size_t alpha = W::alpha, n = lanes<T>;
    const window_geometry& g = s.plane;
    const tiling<M> tiles(g);
    alignas(64) T buffer[M * M * n], patches[n * patch_stride<M, n>]{};
    std::array<tile_origin, n> origins;
    for (std::size_t t0 = 0; t0 < group.stride; t0 += n) {
        tile_origins<n>(t0, group.tiles, tiles.per_sample, tiles.cols, M, tiles.out_width, origins);
        for (std::size_t o = o_begin; o < o_end; ++o) {
            const T b = bias ? bias[o] : T(0);
            sandwich<L, T, simd<T>>([&](std::size_t k, std::size_t l) { return load_simd(products.at(k * alpha + l, o) + t0); },
                                    [&](std::size_t i, std::size_t j, const simd<T>& value) { store_simd<T>(value + b, buffer + (i * M + j) * n); });
            scatter_patches<M, n, false>(origins, tiles.out_width, [&](std::size_t i) { return planes.at(o, i); }, buffer, patches);
        }
    }
    for (std::size_t o = o_begin; o < o_end; ++o)
        for (std::size_t i = 0; i < group.samples; ++i)
            unstage_planes<T>(1, planes.at(o, i), tiles.out_height, tiles.out_width, 0, 0,
                              y + ((group.first_sample + i) * s.out_channels + o) * g.out_height * g.out_width, 0, g.out_height, g.out_width, false);
}

// Output gradient tiles of channels [o_begin, o_end), transformed by the adjoint of the output
// transform: A gy A^T.
template <std::size_t M, class T>
void transform_output_gradients(const conv_shape& s, const tile_group& group, const T* gy, std::size_t o_begin, std::size_t o_end, staged<T> planes,
                                transformed<T> w) {
    using W = winograd_transforms<M>;
    using L = coefficients<W::at, true>;
    constexpr std::size_t alpha = W::alpha, n = lanes<T>;
    const window_geometry& g = s.plane;
    const tiling<M> tiles(g);
    for (std::size_t o = o_begin; o < o_end; ++o)
        for (std::size_t i = 0; i < group.samples; ++i)
            stage_planes<T>(1, gy + ((group.first_sample + i) * s.out_channels + o) * g.out_height * g.out_width, 0, g.out_height, g.out_width,
                            planes.at(o, i), tiles.out_height, tiles.out_width, 0, 0);
    alignas(64) T buffer[M * M * n], patches[n * patch_stride<M, n>]{};
    std::array<tile_origin, n> origins;
    for (std::size_t t0 = 0; t0 < group.stride; t0 += n) {
        tile_origins<n>(t0, group.tiles, tiles.per_sample, tiles.cols, M, tiles.out_width, origins);
        for (std::size_t o = o_begin; o < o_end; ++o) {
            gather_patches<M, n>(origins, tiles.out_width, [&](std::size_t i) { return planes.at(o, i); }, patches, buffer);
            sandwich<L, T, simd<T>>([&](std::size_t k, std::size_t l) { return load_simd(buffer + (k * M + l) * n); },
                                    [&](std::size_t i, std::size_t j, const simd<T>& value) { store_simd(value, w.at(i * alpha + j, o) + t0); });
        }
    }
}

// Input gradients of channels [c_begin, c_end) from the transformed ones, by the adjoint of the
// input transform (B z B^T), added over the overlapping patches, then written (fresh) or added into gx.
template <std::size_t M, class T>
void transform_input_gradients(const conv_shape& s, const tile_group& group, transformed<T> z, std::size_t c_begin, std::size_t c_end, bool fresh,
                               staged<T> planes, T* gx) {
    using W = winograd_transforms<M>;
    using L = coefficients<W::bt, true>;
    constexpr std::size_t alpha = W::alpha, n = lanes<T>;
    const window_geometry& g = s.plane;
    const tiling<M> tiles(g);
    for (std::size_t c = c_begin; c < c_end; ++c)
        for (std::size_t i = 0; i < group.samples; ++i) std::fill_n(planes.at(c, i), tiles.in_plane(), T(0));
    alignas(64) T buffer[alpha * alpha * n], patches[n * patch_stride<alpha, n>]{};
    std::array<tile_origin, n> origins;
    for (std::size_t t0 = 0; t0 < group.stride; t0 += n) {
        tile_origins<n>(t0, group.tiles, tiles.per_sample, tiles.cols, M, tiles.in_width, origins);
        for (std::size_t c = c_begin; c < c_end; ++c) {
            sandwich<L, T, simd<T>>([&](std::size_t k, std::size_t l) { return load_simd(z.at(k * alpha + l, c) + t0); },
                                    [&](std::size_t i, std::size_t j, const simd<T>& value) { store_simd(value, buffer + (i * alpha + j) * n); });
            scatter_patches<alpha, n, true>(origins, tiles.in_width, [&](std::size_t i) { return planes.at(c, i); }, buffer, patches);
        }
    }
    for (std::size_t c = c_begin; c < c_end; ++c)
        for (std::size_t i = 0; i < group.samples; ++i)
            unstage_planes<T>(1, planes.at(c, i), tiles.in_height, tiles.in_width, g.pad_top, g.pad_left,
                              gx + ((group.first_sample + i) * s.in_channels + c) * g.height * g.width, 0, g.height, g.width, !fresh);
}

// Lanes [tiles, stride) of rows [0, rows) of element e: zero, as if computed from the zero lanes.
template <class T>
void zero_tail(transformed<T> v, std::size_t e, std::size_t tiles) {
    for (std::size_t r = 0; r < v.rows; ++r) std::fill(v.at(e, r) + tiles, v.at(e, r) + v.stride, T(0));
}

// c[e] = op(a[e]) b[e] over the group's tiles as the columns of b and c (forward, backward-data).
// Register tiles run over whole vectors, the zero lanes past the last tile included (a column at a
// time they would be slow); BLAS over the tiles only, the lanes past them then set to zero.
template <class T>
void product_over_tiles(winograd_product kind, transpose ta, std::size_t m, std::size_t k, const T* a, std::size_t lda, transformed<T> b,
                        transformed<T> c, std::size_t e, const tile_group& group) {
    if (kind == winograd_product::register_tiles) {
        gemm_loop(ta, transpose::no, m, group.stride, k, T(1), a, lda, b.at(e, 0), group.stride, T(0), c.at(e, 0), group.stride);
        return;
    }
    gemm(ta, transpose::no, m, group.tiles, k, T(1), a, lda, b.at(e, 0), group.stride, T(0), c.at(e, 0), group.stride);
    zero_tail(c, e, group.tiles);
}

// The batch a group at a time: fn(group) for each.
template <std::size_t M, class Fn>
void for_each_group(const conv_shape& s, std::size_t batch, std::size_t samples_per_group, std::size_t lane_count, Fn&& fn) {
    const std::size_t per_sample = tiling<M>(s.plane).per_sample;
    for (std::size_t first = 0; first < batch; first += samples_per_group) {
        const std::size_t samples = std::min(samples_per_group, batch - first);
        const std::size_t tiles = samples * per_sample;
        fn(tile_group{first, samples, tiles, (tiles + lane_count - 1) / lane_count * lane_count});
    }
}

}  // namespace winograd_detail

// Samples per group when the settings leave it open: as many as keep the group's transformed inputs
// and outputs within 1 MiB (a core's L2 on the machines the project runs on; measured best of 1 to 64
// samples for W3 and W6 on 2026-12-01), at least one.
template <std::size_t M, class T>
constexpr std::size_t winograd_samples_per_group(const conv_shape& s, std::size_t batch, const winograd_settings& settings = {}) {
    if (settings.samples_per_group > 0) return std::min(settings.samples_per_group, std::max<std::size_t>(batch, 1));
    constexpr std::size_t alpha = winograd_transforms<M>::alpha;
    const std::size_t per_sample = alpha * alpha * (s.in_channels + s.out_channels) * winograd_detail::tiling<M>(s.plane).per_sample * sizeof(T);
    return std::clamp<std::size_t>((std::size_t{1} << 20) / per_sample, 1, std::max<std::size_t>(batch, 1));
}

// Values of the transformed weights: alpha^2 * out_channels * in_channels (alpha = m + 2).
template <std::size_t M>
constexpr std::size_t winograd_weights_size(const conv_shape& s) {
    constexpr std::size_t alpha = winograd_transforms<M>::alpha;
    return alpha * alpha * s.out_channels * s.in_channels;
}

namespace winograd_detail {
// Where winograd_forward and winograd_backward keep what they need in the scratch, in values: the
// group's transformed inputs [alpha^2][in][tiles] (then, in backward, the transformed input
// gradients), its transformed outputs or output gradients [alpha^2][out][tiles], the weight
// gradient summed over the batch [alpha^2][out][in], the staged input-side planes [in][samples]
// and output-side planes [out][samples].
template <std::size_t M, class T>
struct scratch_layout {
    std::size_t group_samples, group_stride, inputs, outputs, weight_gradients, in_planes, out_planes, size;
    constexpr scratch_layout(const conv_shape& s, std::size_t batch, const winograd_settings& settings) {
        constexpr std::size_t alpha = winograd_transforms<M>::alpha;
        const tiling<M> tiles(s.plane);
        group_samples = winograd_samples_per_group<M, T>(s, batch, settings);
        group_stride = round_up_to_lanes<T>(group_samples * tiles.per_sample);
        inputs = 0;
        outputs = inputs + alpha * alpha * s.in_channels * group_stride;
        weight_gradients = outputs + alpha * alpha * s.out_channels * group_stride;
        in_planes = weight_gradients + alpha * alpha * s.out_channels * s.in_channels;
        out_planes = in_planes + group_samples * s.in_channels * tiles.in_plane();
        size = out_planes + group_samples * s.out_channels * tiles.out_plane();
    }
};
}  // namespace winograd_detail

// Values of scratch that winograd_forward and winograd_backward need for up to `batch` samples:
// alpha^2 * ((in + out) * G + out * in) + S * (in * (R * m + 2) * (Q * m + 2) + out * R * m * Q * m),
// for S samples per group (winograd_samples_per_group), G = S * R * Q tiles rounded up to a whole
// vector, R x Q tiles per plane (R = ceil(H' / m), Q = ceil(W' / m)).
template <std::size_t M, class T>
constexpr std::size_t winograd_scratch_size(const conv_shape& s, std::size_t batch, const winograd_settings& settings = {}) {
    return winograd_detail::scratch_layout<M, T>(s, batch, settings).size;
}

// transformed[e][o][c] = (G w[o][c] G^T)[e], computed in double. Once per step: forward and
// backward-data both read it.
template <std::size_t M, class T>
void winograd_transform_weights(const conv_shape& s, const T* weights, T* transformed, thread_pool* pool) {
    using W = winograd_transforms<M>;
    using L = winograd_detail::coefficients<W::g, false>;
    constexpr std::size_t alpha = W::alpha, n = winograd_detail::lanes<double>;
    const std::size_t pairs = s.out_channels * s.in_channels, blocks = (pairs + n - 1) / n;
    parallel_for(pool, blocks, [&](std::size_t begin, std::size_t end) {
        alignas(64) double kernels[9 * n], results[alpha * alpha * n];
        for (std::size_t b = begin; b < end; ++b) {
            const std::size_t first = b * n, count = std::min(n, pairs - first);
            for (std::size_t lane = 0; lane < n; ++lane)
                for (std::size_t e = 0; e < 9; ++e) kernels[e * n + lane] = lane < count ? double(weights[(first + lane) * 9 + e]) : 0.0;
            winograd_detail::sandwich<L, double, simd<double>>([&](std::size_t k, std::size_t l) { return load_simd(kernels + (k * 3 + l) * n); },
                                                               [&](std::size_t i, std::size_t j, const simd<double>& value) {
                                                                   store_simd(value, results + (i * alpha + j) * n);
                                                               });
            for (std::size_t e = 0; e < alpha * alpha; ++e)
                for (std::size_t lane = 0; lane < count; ++lane) transformed[e * pairs + first + lane] = T(results[e * n + lane]);
        }
    }, 32);
}

// y = the convolution of x (batch x in x H x W) with the weights whose transform is given (+ bias
// per output channel, if not null); y is batch x out x H' x W'.
template <std::size_t M, class T>
void winograd_forward(const conv_shape& s, std::size_t batch, const T* transformed_weights, const T* x, const T* bias, T* y, T* scratch,
                      thread_pool* pool, const winograd_settings& settings = {}) {
    using namespace winograd_detail;
    constexpr std::size_t alpha = winograd_transforms<M>::alpha;
    const std::size_t C = s.in_channels, O = s.out_channels;
    const scratch_layout<M, T> at(s, batch, settings);
    const tiling<M> tiles(s.plane);
    for_each_group<M>(s, batch, at.group_samples, lanes<T>, [&](const tile_group& group) {
        const transformed<T> v{scratch + at.inputs, C, group.stride}, products{scratch + at.outputs, O, group.stride};
        const staged<T> in_planes{scratch + at.in_planes, group.samples, tiles.in_plane()};
        const staged<T> out_planes{scratch + at.out_planes, group.samples, tiles.out_plane()};
        parallel_for(pool, C, [&](std::size_t begin, std::size_t end) { transform_inputs<M>(s, group, x, begin, end, in_planes, v); });
        parallel_for(pool, alpha * alpha, [&](std::size_t begin, std::size_t end) {
            for (std::size_t e = begin; e < end; ++e) {
                product_over_tiles(settings.product, transpose::no, O, C, transformed_weights + e * O * C, C, v, products, e, group);
            }
        });
        parallel_for(pool, O, [&](std::size_t begin, std::size_t end) { transform_outputs<M>(s, group, products, bias, begin, end, out_planes, y); });
    });
}

// The gradients of winograd_forward given the output gradient gy: the input gradient into gx (if
// not null; written when gx_fresh, else added to) and the weight gradient added to gw (if not null,
// [out, in, 3, 3]). The bias gradient (the sum of gy per channel) is left to the caller.
template <std::size_t M, class T>
void winograd_backward(const conv_shape& s, std::size_t batch, const T* transformed_weights, const T* x, const T* gy, T* gx, bool gx_fresh, T* gw,
                       T* scratch, thread_pool* pool, const winograd_settings& settings = {}) {
    using namespace winograd_detail;
    using W = winograd_transforms<M>;
    constexpr std::size_t alpha = W::alpha;
    const std::size_t C = s.in_channels, O = s.out_channels;
    const scratch_layout<M, T> at(s, batch, settings);
    const tiling<M> tiles(s.plane);
    T* weight_gradients = scratch + at.weight_gradients;
    bool first_group = true;
    for_each_group<M>(s, batch, at.group_samples, lanes<T>, [&](const tile_group& group) {
        // v: the transformed inputs, then (once the weight gradient has read them) the transformed
        // input gradients; in_planes: the staged inputs, then the staged input gradients.
        const transformed<T> v{scratch + at.inputs, C, group.stride}, w{scratch + at.outputs, O, group.stride};
        const staged<T> in_planes{scratch + at.in_planes, group.samples, tiles.in_plane()};
        const staged<T> out_planes{scratch + at.out_planes, group.samples, tiles.out_plane()};
        if (gw) parallel_for(pool, C, [&](std::size_t begin, std::size_t end) { transform_inputs<M>(s, group, x, begin, end, in_planes, v); });
        parallel_for(pool, O, [&](std::size_t begin, std::size_t end) { transform_output_gradients<M>(s, group, gy, begin, end, out_planes, w); });
        parallel_for(pool, alpha * alpha, [&](std::size_t begin, std::size_t end) {
            for (std::size_t e = begin; e < end; ++e) {
                // A sum over the tiles: BLAS for every kind (the register tiles' dot products were 1.5 times slower).
                if (gw)
                    gemm(transpose::no, transpose::yes, O, C, group.tiles, T(1), w.at(e, 0), group.stride, v.at(e, 0), group.stride,
                         first_group ? T(0) : T(1), weight_gradients + e * O * C, C);
                if (gx) product_over_tiles(settings.product, transpose::yes, C, O, transformed_weights + e * O * C, C, w, v, e, group);
            }
        });
        if (gx)
            parallel_for(pool, C, [&](std::size_t begin, std::size_t end) {
                transform_input_gradients<M>(s, group, v, begin, end, gx_fresh, in_planes, gx);
            });
        first_group = false;
    });
    if (!gw || batch == 0) return;
    using L = coefficients<W::g, true>;
    constexpr std::size_t n = lanes<double>;
    const std::size_t pairs = O * C, blocks = (pairs + n - 1) / n;
    parallel_for(pool, blocks, [&](std::size_t begin, std::size_t end) {
        alignas(64) double transformed_gradients[alpha * alpha * n], results[9 * n];
        for (std::size_t b = begin; b < end; ++b) {
            const std::size_t first = b * n, count = std::min(n, pairs - first);
            for (std::size_t e = 0; e < alpha * alpha; ++e)
                for (std::size_t lane = 0; lane < n; ++lane)
                    transformed_gradients[e * n + lane] = lane < count ? double(weight_gradients[e * pairs + first + lane]) : 0.0;
            sandwich<L, double, simd<double>>([&](std::size_t k, std::size_t l) { return load_simd(transformed_gradients + (k * alpha + l) * n); },
                                              [&](std::size_t i, std::size_t j, const simd<double>& value) { store_simd(value, results + (i * 3 + j) * n); });
            for (std::size_t lane = 0; lane < count; ++lane)
                for (std::size_t e = 0; e < 9; ++e) gw[(first + lane) * 9 + e] += T(results[e * n + lane]);
        }
    }, 32);
}

}  // namespace typegrad::kernels
