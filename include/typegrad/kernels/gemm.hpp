#pragma once
// General matrix product C = alpha * op(A) * op(B) + beta * C on row-major matrices. Small products
// run in register tiles and blocks of dot products written with kernels/simd.hpp (below 32^3
// multiply-adds a BLAS call costs more than the work; up to 64^3 the tiles only match OpenBLAS's
// small-matrix kernels, measured on W1's 32x64x64); larger ones go to CBLAS (OpenBLAS).
#include <cblas.h>

#include <array>
#include <cstddef>
#include <tuple>
#include <utility>
#include <type_traits>

#include <typegrad/kernels/simd.hpp>

// GCC at -O3, after cloning these loops for constant sizes, warns that iterations it invents for
// remainder loops that never run would overflow (-Waggressive-loop-optimizations); every loop here
// is bounded by its sizes.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Waggressive-loop-optimizations"
#endif

namespace typegrad::kernels {

enum class transpose : bool { no = false, yes = true };

inline constexpr std::size_t blas_threshold = 32 * 32 * 32;

// Dot product of two contiguous runs in one vector of partial sums, summed across its lanes once at
// the end: the order of additions is fixed for a vector width (kernels/simd.hpp).
template <class T>
T dot(std::size_t k, const T* x, const T* y) {
    constexpr std::size_t lanes = simd_bytes / sizeof(T);
    simd<T> partial{};
    std::size_t p = 0;
    for (; p + lanes <= k; p += lanes) partial += load_simd(x + p) * load_simd(y + p);
    T sum = horizontal_sum<T, lanes>(partial);
    for (; p < k; ++p) sum += x[p] * y[p];
    return sum;
}

// c[j] = alpha * x . b_j + beta * c[j] for the `lanes` rows b_j of B from `b` on (rows ldb apart):
// one vector of partial sums per row, sharing each load of x, summed across lanes together.
// (Blocks of several rows of A as well were slower: with the short k of small layers, the sums
// across lanes dominate.)
template <class T>
void dots_with_row_block(std::size_t k, T alpha, const T* x, const T* b, std::size_t ldb, T beta, T* c) {
    constexpr std::size_t lanes = simd_bytes / sizeof(T);
    std::array<simd<T>, lanes> partial{};
    std::size_t p = 0;
    // Unrolled by pack expansion: GCC keeps `partial` in registers only when every index is a constant.
    for (; p + lanes <= k; p += lanes) {
        const simd<T> xp = load_simd(x + p);
        [&]<std::size_t... J>(std::index_sequence<J...>) { ((partial[J] += xp * load_simd(b + J * ldb + p)), ...); }(std::make_index_sequence<lanes>{});
    }
    T sums[lanes];
    store_simd<T>(horizontal_sums<T, lanes>(partial), sums);
    for (std::size_t j = 0; j < lanes; ++j) {
        for (std::size_t q = p; q < k; ++q) sums[j] += x[q] * b[j * ldb + q];
        c[j] = beta == T(0) ? alpha * sums[j] : beta * c[j] + alpha * sums[j];
    }
}

// A tile of Rows x (Vectors * lanes) of C = alpha * op(A) B + beta * C, B not transposed: the tile's
// sums stay in registers through the whole k loop; each step loads a row of B's tile once and
// broadcasts one value of A per row.
template <class T, std::size_t Rows, std::size_t Vectors, transpose TA>
[[gnu::always_inline]] inline void register_tile(std::size_t k, T alpha, const T* a, std::size_t lda, const T* b, std::size_t ldb, T beta,
                                                 T* c, std::size_t ldc) {
    constexpr std::size_t lanes = simd_bytes / sizeof(T);
    simd<T> sums[Rows][Vectors] = {};
    for (std::size_t p = 0; p < k; ++p) {
        simd<T> brow[Vectors];
        for (std::size_t v = 0; v < Vectors; ++v) brow[v] = load_simd(b + p * ldb + v * lanes);
        for (std::size_t r = 0; r < Rows; ++r) {
            const T ar = TA == transpose::no ? a[r * lda + p] : a[p * lda + r];
            for (std::size_t v = 0; v < Vectors; ++v) sums[r][v] += ar * brow[v];
        }
    }
    for (std::size_t r = 0; r < Rows; ++r)
        for (std::size_t v = 0; v < Vectors; ++v) {
            T* out = c + r * ldc + v * lanes;
            store_simd<T>(beta == T(0) ? alpha * sums[r][v] : beta * load_simd(out) + alpha * sums[r][v], out);
        }
}

// Rows [0, Rows) of C: tiles of two vectors, then one, then the columns left one by one.
template <class T, std::size_t Rows, transpose TA>
void register_tile_rows(std::size_t n, std::size_t k, T alpha, const T* a, std::size_t lda, const T* b, std::size_t ldb, T beta, T* c,
                        std::size_t ldc) {
    constexpr std::size_t lanes = simd_bytes / sizeof(T);
    const auto a_at = [&](std::size_t r, std::size_t p) { return TA == transpose::no ? a[r * lda + p] : a[p * lda + r]; };
    std::size_t j = 0;
    for (; j + 2 * lanes <= n; j += 2 * lanes) register_tile<T, Rows, 2, TA>(k, alpha, a, lda, b + j, ldb, beta, c + j, ldc);
    for (; j + lanes <= n; j += lanes) register_tile<T, Rows, 1, TA>(k, alpha, a, lda, b + j, ldb, beta, c + j, ldc);
    for (; j < n; ++j)
        for (std::size_t r = 0; r < Rows; ++r) {
            T sum = 0;
            for (std::size_t p = 0; p < k; ++p) sum += a_at(r, p) * b[p * ldb + j];
            c[r * ldc + j] = beta == T(0) ? alpha * sum : beta * c[r * ldc + j] + alpha * sum;
        }
}

template <class T, transpose TA>
void gemm_tiles(std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a, std::size_t lda, const T* b, std::size_t ldb, T beta, T* c,
                std::size_t ldc) {
    constexpr std::size_t rows = 8;
    // Row i of op(A) starts at a + i * lda, or at column i (a + i) when A is transposed.
    const std::size_t row_step = TA == transpose::no ? lda : 1;
    std::size_t i = 0;
    for (; i + rows <= m; i += rows) register_tile_rows<T, rows, TA>(n, k, alpha, a + i * row_step, lda, b, ldb, beta, c + i * ldc, ldc);
    for (; i < m; ++i) register_tile_rows<T, 1, TA>(n, k, alpha, a + i * row_step, lda, b, ldb, beta, c + i * ldc, ldc);
}

// Products too small for a BLAS call to pay off, by the form of the operands. Out of line: one copy
// per T, whatever the call sites (and GCC, inlining it with constant sizes, warns about remainder
// loops that never run).
template <class T>
[[gnu::noinline]] void gemm_loop(transpose ta, transpose tb, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a,
               std::size_t lda, const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc) {
    constexpr std::size_t lanes = simd_bytes / sizeof(T);
    if (tb == transpose::no) {
        if (ta == transpose::no)
            gemm_tiles<T, transpose::no>(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        else
            gemm_tiles<T, transpose::yes>(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    // B transposed: element (p, j) of op(B) is b[j * ldb + p], so each C entry is a dot product of
    // two contiguous rows when A is not transposed (a dense layer's forward).
    if (ta == transpose::no) {
        for (std::size_t i = 0; i < m; ++i) {
            T* row = c + i * ldc;
            std::size_t j = 0;
            for (; j + lanes <= n; j += lanes) dots_with_row_block(k, alpha, a + i * lda, b + j * ldb, ldb, beta, row + j);
            for (; j < n; ++j) {
                const T product = alpha * dot(k, a + i * lda, b + j * ldb);
                row[j] = beta == T(0) ? product : beta * row[j] + product;
            }
        }
        return;
    }
    for (std::size_t i = 0; i < m; ++i)  // both transposed: not used by typegrad's layers
        for (std::size_t j = 0; j < n; ++j) {
            T sum = 0;
            for (std::size_t p = 0; p < k; ++p) sum += a[p * lda + i] * b[j * ldb + p];
            c[i * ldc + j] = beta == T(0) ? alpha * sum : beta * c[i * ldc + j] + alpha * sum;
        }
}

template <class T>
void gemm(transpose ta, transpose tb, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a, std::size_t lda,
          const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc) {
    if (m * n * k < blas_threshold) return gemm_loop(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    const auto blas_ta = ta == transpose::yes ? CblasTrans : CblasNoTrans;
    const auto blas_tb = tb == transpose::yes ? CblasTrans : CblasNoTrans;
    const auto [im, in, ik] = std::tuple{static_cast<int>(m), static_cast<int>(n), static_cast<int>(k)};
    if constexpr (std::is_same_v<T, float>)
        cblas_sgemm(CblasRowMajor, blas_ta, blas_tb, im, in, ik, alpha, a, static_cast<int>(lda), b, static_cast<int>(ldb),
                    beta, c, static_cast<int>(ldc));
    else
        cblas_dgemm(CblasRowMajor, blas_ta, blas_tb, im, in, ik, alpha, a, static_cast<int>(lda), b, static_cast<int>(ldb),
                    beta, c, static_cast<int>(ldc));
}

// OpenBLAS's own threads off: when typegrad splits a batch over threads, each calls gemm on its
// part, and BLAS threads on top would compete for the same cores. Process-wide.
inline void keep_blas_single_threaded() { openblas_set_num_threads(1); }

// y[r, :] += bias for every row r.
template <class T>
void add_row_vector(std::size_t rows, std::size_t cols, const T* bias, T* y) {
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t j = 0; j < cols; ++j) y[r * cols + j] += bias[j];
}

// g_bias[j] += sum over rows of g[r, j], for the first `cols` columns of g (rows ldg apart).
template <class T>
void add_column_sums(std::size_t rows, std::size_t cols, const T* g, std::size_t ldg, T* g_bias) {
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t j = 0; j < cols; ++j) g_bias[j] += g[r * ldg + j];
}

}  // namespace typegrad::kernels

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
