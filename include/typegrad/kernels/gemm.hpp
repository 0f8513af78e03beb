#pragma once
// General matrix product C = alpha * op(A) * op(B) + beta * C on row-major matrices. Small products
// run in a plain loop the compiler vectorises (a BLAS call costs more than the work below a few
// thousand multiply-adds); larger ones go to CBLAS (OpenBLAS).
#include <cblas.h>

#include <cstddef>
#include <tuple>
#include <type_traits>

namespace typegrad::kernels {

enum class transpose : bool { no = false, yes = true };

inline constexpr std::size_t blas_threshold = 32 * 32 * 32;

// Dot product of two contiguous runs in `lanes` independent partial sums: the compiler vectorises
// the lanes (a plain running sum it may not reorder, so it would not), and the order of additions
// is fixed, so results do not depend on the machine.
// partial[0] = the sum of partial[0 .. 2 Width), by halving: each step is one vector addition (with a
// width known at compile time), where adding lane by lane would be 2 Width dependent additions.
template <std::size_t Width, class T>
void fold_halves(T* partial) {
    for (std::size_t l = 0; l < Width; ++l) partial[l] += partial[l + Width];
    if constexpr (Width > 1) fold_halves<Width / 2>(partial);
}

template <class T>
T dot(std::size_t k, const T* x, const T* y) {
    constexpr std::size_t lanes = 64 / sizeof(T);
    T partial[lanes] = {};
    std::size_t p = 0;
    for (; p + lanes <= k; p += lanes)
        for (std::size_t l = 0; l < lanes; ++l) partial[l] += x[p + l] * y[p + l];
    fold_halves<lanes / 2>(partial);
    T sum = partial[0];
    for (; p < k; ++p) sum += x[p] * y[p];
    return sum;
}

template <class T>
void gemm_loop(transpose ta, transpose tb, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a,
               std::size_t lda, const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc) {
    if (ta == transpose::no && tb == transpose::yes) {  // rows of A times rows of B: dot products (a dense layer's forward)
        for (std::size_t i = 0; i < m; ++i)
            for (std::size_t j = 0; j < n; ++j) {
                const T product = alpha * dot(k, a + i * lda, b + j * ldb);
                c[i * ldc + j] = beta == T(0) ? product : beta * c[i * ldc + j] + product;
            }
        return;
    }
    for (std::size_t i = 0; i < m; ++i) {
        T* row = c + i * ldc;
        if (beta == T(0))
            for (std::size_t j = 0; j < n; ++j) row[j] = T(0);
        else if (beta != T(1))
            for (std::size_t j = 0; j < n; ++j) row[j] *= beta;
        for (std::size_t p = 0; p < k; ++p) {
            const T aip = alpha * (ta == transpose::no ? a[i * lda + p] : a[p * lda + i]);
            if (tb == transpose::no) {
                const T* brow = b + p * ldb;
                for (std::size_t j = 0; j < n; ++j) row[j] += aip * brow[j];
            } else {
                for (std::size_t j = 0; j < n; ++j) row[j] += aip * b[j * ldb + p];
            }
        }
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
