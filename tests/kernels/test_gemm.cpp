// The matrix product agrees with a plain triple loop in double for every form of the operands
// (transposed or not), for alpha and beta of every kind (beta 0 must not read C), in float and
// double, at sizes around the register tiles and vector widths (remainder rows, columns and k) and
// on both sides of the BLAS threshold, with leading dimensions larger than the rows.
#define BOOST_TEST_MODULE gemm
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <random>
#include <vector>

#include <typegrad/kernels/gemm.hpp>

namespace k = typegrad::kernels;

namespace {

template <class T>
void check_product(k::transpose ta, k::transpose tb, std::size_t m, std::size_t n, std::size_t kk, T alpha, T beta) {
    std::mt19937 rng(unsigned(m * 1000003 + n * 1009 + kk));
    std::uniform_real_distribution<T> uniform(-1, 1);
    const std::size_t pad = 3;  // leading dimensions larger than the rows
    const std::size_t a_rows = ta == k::transpose::no ? m : kk, a_cols = ta == k::transpose::no ? kk : m;
    const std::size_t b_rows = tb == k::transpose::no ? kk : n, b_cols = tb == k::transpose::no ? n : kk;
    const std::size_t lda = a_cols + pad, ldb = b_cols + pad, ldc = n + pad;
    std::vector<T> a(a_rows * lda), b(b_rows * ldb), c(m * ldc);
    for (T& x : a) x = uniform(rng);
    for (T& x : b) x = uniform(rng);
    for (T& x : c) x = beta == T(0) ? std::numeric_limits<T>::quiet_NaN() : uniform(rng);  // beta 0: C is never read
    std::vector<T> before = c;
    k::gemm(ta, tb, m, n, kk, alpha, a.data(), lda, b.data(), ldb, beta, c.data(), ldc);
    double worst = 0;
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j) {
            double sum = 0, magnitude = 0;
            for (std::size_t p = 0; p < kk; ++p) {
                const double x = ta == k::transpose::no ? a[i * lda + p] : a[p * lda + i];
                const double y = tb == k::transpose::no ? b[p * ldb + j] : b[j * ldb + p];
                sum += x * y;
                magnitude += std::abs(x * y);
            }
            const double expected = alpha * sum + (beta == T(0) ? 0.0 : beta * double(before[i * ldc + j]));
            const double scale = std::abs(alpha) * magnitude + (beta == T(0) ? 0.0 : std::abs(beta * double(before[i * ldc + j]))) + 1e-30;
            worst = std::max(worst, std::abs(double(c[i * ldc + j]) - expected) / scale);
        }
    BOOST_TEST_CONTEXT("ta " << int(ta) << " tb " << int(tb) << " m " << m << " n " << n << " k " << kk << " alpha " << alpha << " beta " << beta) {
        BOOST_TEST(worst < 8 * std::numeric_limits<T>::epsilon());
        for (std::size_t i = 0; i < m; ++i)  // the padding between rows is left alone
            for (std::size_t j = n; j < ldc; ++j)
                BOOST_TEST((std::isnan(c[i * ldc + j]) ? std::isnan(before[i * ldc + j]) : c[i * ldc + j] == before[i * ldc + j]));
    }
}

template <class T>
void check_all_forms() {
    const std::size_t sizes[] = {1, 3, 8, 15, 16, 17, 33, 64};
    for (const auto ta : {k::transpose::no, k::transpose::yes})
        for (const auto tb : {k::transpose::no, k::transpose::yes})
            for (const std::size_t m : sizes)
                for (const std::size_t n : sizes)
                    for (const std::size_t kk : {std::size_t{1}, std::size_t{7}, std::size_t{16}, std::size_t{40}})
                        check_product<T>(ta, tb, m, n, kk, T(1), T(0));
    for (const auto ta : {k::transpose::no, k::transpose::yes})
        for (const auto tb : {k::transpose::no, k::transpose::yes})
            for (const auto& [alpha, beta] : {std::pair{T(1), T(1)}, std::pair{T(-0.5), T(0.25)}, std::pair{T(2), T(0)}}) {
                check_product<T>(ta, tb, 9, 35, 19, alpha, beta);     // below the BLAS threshold
                check_product<T>(ta, tb, 70, 50, 40, alpha, beta);    // above it
            }
}

}  // namespace

BOOST_AUTO_TEST_CASE(float_products_match_the_definition) { check_all_forms<float>(); }

BOOST_AUTO_TEST_CASE(double_products_match_the_definition) { check_all_forms<double>(); }

// A dense layer's forward on one sample (m = 1) through the blocks of dot products: results do not
// depend on where the row sits in the batch (every row takes the same path).
BOOST_AUTO_TEST_CASE(each_row_of_a_product_is_computed_alike) {
    const std::size_t n = 40, kk = 70;
    std::vector<float> a(5 * kk), b(n * kk), c(5 * n), single(n);
    for (std::size_t i = 0; i < a.size(); ++i) a[i] = float(std::sin(double(i)));
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = float(std::cos(double(i)));
    k::gemm(k::transpose::no, k::transpose::yes, 5, n, kk, 1.f, a.data(), kk, b.data(), kk, 0.f, c.data(), n);
    for (std::size_t i = 0; i < 5; ++i) {
        k::gemm(k::transpose::no, k::transpose::yes, 1, n, kk, 1.f, a.data() + i * kk, kk, b.data(), kk, 0.f, single.data(), n);
        for (std::size_t j = 0; j < n; ++j) BOOST_TEST(single[j] == c[i * n + j]);
    }
}
