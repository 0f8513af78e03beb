// The whitener: whitened training features have the identity as covariance; the eigenvalues and W
// against closed forms for two features; ZCA is symmetric and of all whitenings the closest to its
// input; epsilon; the round trip through its file, and every refusal.
#define BOOST_TEST_MODULE whitener
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "message_has.hpp"
#include "scratch_directory.hpp"
#include <typegrad/data/whitener.hpp>
#include <typegrad/io/safetensors.hpp>
#include <typegrad/kernels/random.hpp>

namespace tg = typegrad;
namespace io = typegrad::io;
using typegrad::testing::message_has;
using typegrad::testing::scratch_directory;

namespace {

using matrix = std::vector<double>;  // square, row-major

// n samples x = A s + offset, s ~ N(0, I): four features strongly correlated, of unequal scales,
// with covariance A A^T.
tg::dataset<float> correlated(std::size_t n, std::uint64_t seed) {
    const double mixing[4][4] = {{3, 0, 0, 0}, {2.5, 1.5, 0, 0}, {0, 1, 2, 0}, {1, 0, 0.5, 4}};
    const double offset[4] = {10, -20, 300, 0.5};
    tg::random_generator rng{seed};
    tg::dataset<float> data{4, 1, {}, {}};
    for (std::size_t i = 0; i < n; ++i) {
        double s[4];
        for (auto& v : s) v = rng.normal(0.0, 1.0);
        for (std::size_t r = 0; r < 4; ++r) {
            double x = offset[r];
            for (std::size_t c = 0; c < 4; ++c) x += mixing[r][c] * s[c];
            data.features.push_back(float(x));
        }
        data.targets.push_back(0);
    }
    return data;
}

// Mean and population covariance of rows of d features, in long double.
std::pair<std::vector<double>, matrix> moments(const std::vector<float>& rows, std::size_t d) {
    const std::size_t n = rows.size() / d;
    std::vector<long double> mean(d, 0), cov(d * d, 0);
    for (std::size_t i = 0; i < rows.size(); ++i) mean[i % d] += rows[i];
    for (auto& m : mean) m /= n;
    for (std::size_t s = 0; s < n; ++s)
        for (std::size_t a = 0; a < d; ++a)
            for (std::size_t b = 0; b < d; ++b) cov[a * d + b] += (rows[s * d + a] - mean[a]) * (rows[s * d + b] - mean[b]);
    std::vector<double> m(mean.begin(), mean.end());
    matrix c(d * d);
    for (std::size_t k = 0; k < d * d; ++k) c[k] = double(cov[k] / n);
    return {m, c};
}

matrix product(const matrix& a, const matrix& b, std::size_t d) {
    matrix c(d * d, 0.0);
    for (std::size_t i = 0; i < d; ++i)
        for (std::size_t k = 0; k < d; ++k)
            for (std::size_t j = 0; j < d; ++j) c[i * d + j] += a[i * d + k] * b[k * d + j];
    return c;
}

matrix transposed(const matrix& a, std::size_t d) {
    matrix t(d * d);
    for (std::size_t i = 0; i < d; ++i)
        for (std::size_t j = 0; j < d; ++j) t[j * d + i] = a[i * d + j];
    return t;
}

double largest_difference_from_identity(const matrix& a, std::size_t d) {
    double worst = 0;
    for (std::size_t i = 0; i < d; ++i)
        for (std::size_t j = 0; j < d; ++j) worst = std::max(worst, std::abs(a[i * d + j] - (i == j ? 1.0 : 0.0)));
    return worst;
}

// A random orthogonal matrix: Gram-Schmidt on Gaussian rows.
matrix random_rotation(std::size_t d, tg::random_generator& rng) {
    matrix q(d * d);
    for (auto& v : q) v = rng.normal(0.0, 1.0);
    for (std::size_t i = 0; i < d; ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            double dot = 0;
            for (std::size_t k = 0; k < d; ++k) dot += q[i * d + k] * q[j * d + k];
            for (std::size_t k = 0; k < d; ++k) q[i * d + k] -= dot * q[j * d + k];
        }
        double norm = 0;
        for (std::size_t k = 0; k < d; ++k) norm += q[i * d + k] * q[i * d + k];
        for (std::size_t k = 0; k < d; ++k) q[i * d + k] /= std::sqrt(norm);
    }
    return q;
}

// Mean over samples of |W (x - mean) - (x - mean)|^2: how far a whitening moves the data.
double mean_squared_move(const matrix& w, const std::vector<float>& rows, const std::vector<double>& mean, std::size_t d) {
    double total = 0;
    const std::size_t n = rows.size() / d;
    for (std::size_t s = 0; s < n; ++s)
        for (std::size_t i = 0; i < d; ++i) {
            double z = 0;
            for (std::size_t k = 0; k < d; ++k) z += w[i * d + k] * (rows[s * d + k] - mean[k]);
            total += (z - (rows[s * d + i] - mean[i])) * (z - (rows[s * d + i] - mean[i]));
        }
    return total / double(n);
}

}  // namespace

BOOST_AUTO_TEST_CASE(whitened_training_features_have_identity_covariance) {
    for (const auto kind : {tg::whitening::pca, tg::whitening::zca}) {
        auto train = correlated(4000, 1);
        const double raw_off_diagonal = moments(train.features, 4).second[0 * 4 + 1];
        BOOST_TEST(raw_off_diagonal > 5.0);  // the input is far from white: cov(x0, x1) is 7.5
        tg::whitener<float> w{{.kind = kind, .epsilon = 1e-5}};
        w.fit(train);
        w.apply(train);
        const auto [mean, cov] = moments(train.features, 4);
        BOOST_TEST_INFO("whitening " << tg::name_of(kind));
        BOOST_TEST(largest_difference_from_identity(cov, 4) < 1e-4);
        for (const double m : mean) BOOST_TEST(std::abs(m) < 1e-5);
    }
}

BOOST_AUTO_TEST_CASE(two_features_against_closed_forms) {
    // Eigenvalues of [[a, b], [b, c]]: (a + c) / 2 +- sqrt(((a - c) / 2)^2 + b^2); ZCA with epsilon 0 is
    // C^(-1/2), the inverse of sqrt(C) = (C + sqrt(det C) I) / sqrt(tr C + 2 sqrt(det C)).
    tg::random_generator rng{2};
    tg::dataset<double> train{2, 1, {}, {}};
    for (int i = 0; i < 500; ++i) {
        const double u = rng.normal(0.0, 1.0), v = rng.normal(0.0, 1.0);
        train.features.insert(train.features.end(), {2 * u + 1, 1.5 * u + 0.5 * v - 3});
        train.targets.push_back(0);
    }
    std::vector<float> as_float(train.features.begin(), train.features.end());
    // The moments of the doubles themselves, not of their float copies.
    double m0 = 0, m1 = 0, a = 0, b = 0, c = 0;
    for (int i = 0; i < 500; ++i) m0 += train.features[2 * i], m1 += train.features[2 * i + 1];
    m0 /= 500, m1 /= 500;
    for (int i = 0; i < 500; ++i) {
        const double x = train.features[2 * i] - m0, y = train.features[2 * i + 1] - m1;
        a += x * x / 500, b += x * y / 500, c += y * y / 500;
    }
    const double root = std::sqrt((a - c) * (a - c) / 4 + b * b);
    const double large = (a + c) / 2 + root, small = (a + c) / 2 - root;

    tg::whitener<double> pca{{.kind = tg::whitening::pca, .epsilon = 0}};
    pca.fit(train);
    BOOST_TEST(pca.eigenvalues()[0] == large, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(pca.eigenvalues()[1] == small, boost::test_tools::tolerance(1e-10));
    // PCA's first row: the eigenvector of the largest eigenvalue, (b, large - a) normalised, over sqrt(large).
    const double norm = std::hypot(b, large - a);
    BOOST_TEST(pca.matrix()[0] == b / norm / std::sqrt(large), boost::test_tools::tolerance(1e-10));
    BOOST_TEST(pca.matrix()[1] == (large - a) / norm / std::sqrt(large), boost::test_tools::tolerance(1e-10));

    tg::whitener<double> zca{{.kind = tg::whitening::zca, .epsilon = 0}};
    zca.fit(train);
    const double s = std::sqrt(a * c - b * b), t = std::sqrt(a + c + 2 * s);
    const double r00 = (a + s) / t, r01 = b / t, r11 = (c + s) / t, det = r00 * r11 - r01 * r01;  // sqrt(C)
    const double expected[4] = {r11 / det, -r01 / det, -r01 / det, r00 / det};
    for (std::size_t k = 0; k < 4; ++k) BOOST_TEST(zca.matrix()[k] == expected[k], boost::test_tools::tolerance(1e-10));
}

BOOST_AUTO_TEST_CASE(zca_is_symmetric_and_closest_to_its_input) {
    const auto train = correlated(2000, 3);
    const auto [mean, cov] = moments(train.features, 4);
    tg::whitener<float> zca{{.kind = tg::whitening::zca, .epsilon = 0}};
    zca.fit(train);
    const matrix& w = zca.matrix();
    BOOST_TEST(w == transposed(w, 4));
    // W C W = I: W is C^(-1/2), the one symmetric positive definite whitening matrix.
    BOOST_TEST(largest_difference_from_identity(product(product(w, cov, 4), w, 4), 4) < 1e-9);
    tg::random_generator rng{4};
    for (int trial = 0; trial < 100; ++trial) {
        const std::vector<double> x{rng.normal(0.0, 1.0), rng.normal(0.0, 1.0), rng.normal(0.0, 1.0), rng.normal(0.0, 1.0)};
        double quadratic = 0;
        for (std::size_t i = 0; i < 4; ++i)
            for (std::size_t j = 0; j < 4; ++j) quadratic += x[i] * w[i * 4 + j] * x[j];
        BOOST_TEST(quadratic > 0);
    }
    // Every other whitening is Q W for an orthogonal Q (PCA among them): each moves the data further.
    tg::whitener<float> pca{{.kind = tg::whitening::pca, .epsilon = 0}};
    pca.fit(train);
    BOOST_TEST(largest_difference_from_identity(product(product(pca.matrix(), cov, 4), transposed(pca.matrix(), 4), 4), 4) < 1e-9);
    const double zca_move = mean_squared_move(w, train.features, mean, 4);
    BOOST_TEST(zca_move < mean_squared_move(pca.matrix(), train.features, mean, 4));
    for (int trial = 0; trial < 20; ++trial) {
        const matrix rotated = product(random_rotation(4, rng), w, 4);
        BOOST_TEST(largest_difference_from_identity(product(product(rotated, cov, 4), transposed(rotated, 4), 4), 4) < 1e-9);  // a whitening too
        BOOST_TEST(zca_move < mean_squared_move(rotated, train.features, mean, 4));
    }
}

BOOST_AUTO_TEST_CASE(pca_puts_the_largest_variance_first_and_epsilon_damps_small_ones) {
    const auto train = correlated(2000, 5);
    tg::whitener<float> exact{{.kind = tg::whitening::pca, .epsilon = 0}};
    exact.fit(train);
    const auto& lambda = exact.eigenvalues();
    BOOST_TEST(std::is_sorted(lambda.rbegin(), lambda.rend()));
    BOOST_TEST(lambda[3] > 0.1);
    // With epsilon equal to the smallest eigenvalue, the whitened variances are lambda / (lambda + epsilon).
    auto damped_data = train;
    tg::whitener<float> damped{{.kind = tg::whitening::pca, .epsilon = lambda[3]}};
    damped.fit(damped_data);
    damped.apply(damped_data);
    const auto cov = moments(damped_data.features, 4).second;
    for (std::size_t k = 0; k < 4; ++k) {
        BOOST_TEST(cov[k * 4 + k] == lambda[k] / (lambda[k] + lambda[3]), boost::test_tools::tolerance(1e-4));
        for (std::size_t j = 0; j < 4; ++j)
            if (j != k) BOOST_TEST(std::abs(cov[k * 4 + j]) < 1e-5);
    }
    BOOST_TEST(cov[15] == 0.5, boost::test_tools::tolerance(1e-4));
}

BOOST_AUTO_TEST_CASE(a_singular_covariance_needs_an_epsilon) {
    auto train = correlated(500, 6);
    for (std::size_t s = 0; s < train.size(); ++s) train.features[s * 4 + 2] = train.features[s * 4 + 0];  // a repeated feature
    tg::whitener<float> exact{{.kind = tg::whitening::zca, .epsilon = 0}};
    BOOST_CHECK_EXCEPTION(exact.fit(train), std::invalid_argument, [](const std::invalid_argument& e) {
        return message_has(e, {"typegrad: whitener: fit: the covariance of the 4 features is singular to rounding", "give an epsilon above 0"});
    });
    BOOST_TEST(!exact.fitted());
    tg::whitener<float> damped{{.kind = tg::whitening::zca, .epsilon = 1e-5}};
    damped.fit(train);
    BOOST_TEST(damped.eigenvalues()[3] < 1e-9);
    damped.apply(train);
    for (const float v : train.features) BOOST_TEST(std::isfinite(v));
    const auto cov = moments(train.features, 4).second;
    // Three directions white, the fourth (no variance) left at 0.
    double trace = 0;
    for (std::size_t k = 0; k < 4; ++k) trace += cov[k * 4 + k];
    BOOST_TEST(trace == 3.0, boost::test_tools::tolerance(1e-4));
}

BOOST_AUTO_TEST_CASE(misuse_is_refused) {
    const auto says = [](std::initializer_list<std::string> parts) { return [parts](const std::invalid_argument& e) { return message_has(e, parts); }; };
    BOOST_CHECK_EXCEPTION(tg::whitener<float>({.epsilon = -1}), std::invalid_argument, says({"typegrad: whitener: epsilon must be finite and at least 0, got -1"}));
    BOOST_CHECK_EXCEPTION(tg::whitener<float>({.epsilon = NAN}), std::invalid_argument, says({"epsilon must be finite and at least 0, got nan"}));
    tg::whitener<float> w;
    BOOST_TEST((w.options().kind == tg::whitening::zca && w.options().epsilon == 1e-5));
    auto data = correlated(20, 7);
    BOOST_CHECK_EXCEPTION(w.apply(data), std::invalid_argument, says({"typegrad: whitener: not fitted: fit it on the training set, or load a saved one"}));
    w.fit(data);
    tg::dataset<float> three{3, 1, {1, 2, 3}, {0}};
    BOOST_CHECK_EXCEPTION(w.apply(three), std::invalid_argument, says({"typegrad: whitener: fitted on 4 features, the dataset has 3 features per sample"}));
    std::vector<float> ragged(6);
    BOOST_CHECK_EXCEPTION(w.apply(std::span<float>(ragged)), std::invalid_argument, says({"6 feature values are not whole rows of 4 features"}));
    BOOST_CHECK_EXCEPTION(w.fit(tg::dataset<float>{2, 1, {}, {}}), std::invalid_argument, says({"fit: no samples (rows of 2 features)"}));
    BOOST_CHECK_EXCEPTION(w.fit(tg::dataset<float>{2, 1, {1, 2, INFINITY, 4}, {0, 0}}), std::invalid_argument, says({"fit: feature 0 of sample 1 is not finite (inf)"}));
    BOOST_TEST(w.feature_size() == 4u);
    scratch_directory dir{"typegrad-whitener"};
    BOOST_CHECK_EXCEPTION(tg::whitener<float>{}.save(dir.file("w.safetensors")), std::invalid_argument, says({"not fitted: there is nothing to save"}));
}

BOOST_AUTO_TEST_CASE(round_trip_through_a_file) {
    scratch_directory dir{"typegrad-whitener"};
    for (const auto kind : {tg::whitening::pca, tg::whitening::zca}) {
        const auto train = correlated(600, 8);
        tg::whitener<float> w{{.kind = kind, .epsilon = 0.1}};
        w.fit(train);
        const std::string path = dir.file(std::string(tg::name_of(kind)) + ".safetensors");
        w.save(path);
        const auto file = io::read_safetensors(path);
        BOOST_TEST((file.tensors.at("whitener.matrix").shape == std::vector<std::size_t>{4, 4}));
        BOOST_TEST(file.metadata.at("whitener.kind") == tg::name_of(kind));
        BOOST_TEST(file.metadata.at("whitener.epsilon") == "0.1");
        const auto loaded = tg::whitener<float>::load(path);
        BOOST_TEST((loaded.options().kind == kind && loaded.options().epsilon == 0.1));
        BOOST_TEST(loaded.mean() == w.mean());
        BOOST_TEST(loaded.matrix() == w.matrix());
        BOOST_TEST(loaded.eigenvalues() == w.eigenvalues());
        auto a = correlated(100, 9), b = a;
        w.apply(a);
        loaded.apply(b);
        BOOST_TEST(a.features == b.features);
    }
}

BOOST_AUTO_TEST_CASE(files_that_are_not_a_whiteners) {
    scratch_directory dir{"typegrad-whitener"};
    const std::vector<double> mean{1, 2}, w{1, 0, 0, 1}, w6{1, 0, 0, 1, 0, 0}, lambda{2, 1}, lambda3{3, 2, 1}, negative{1, -0.5}, nan_w{1, NAN, 0, 1};
    const std::vector<float> w_f{1, 0, 0, 1};
    const std::map<std::string, std::string> good{{"whitener.kind", "zca"}, {"whitener.epsilon", "1e-05"}};
    const auto refused = [&](const std::vector<io::tensor_to_write>& tensors, const std::map<std::string, std::string>& metadata,
                             std::initializer_list<std::string> parts) {
        const std::string path = dir.file("bad.safetensors");
        io::write_safetensors(path, tensors, metadata);
        BOOST_CHECK_EXCEPTION(tg::whitener<float>::load(path), io::io_error, [&](const io::io_error& e) {
            if (!message_has(e, {path + ": cannot load a whitener from this file:"})) return false;
            for (const auto& p : parts)
                if (!message_has(e, {p})) return false;
            return true;
        });
    };
    const io::tensor_to_write m{"whitener.mean", io::element_type::f64, {2}, mean.data()}, mat{"whitener.matrix", io::element_type::f64, {2, 2}, w.data()},
        eig{"whitener.eigenvalues", io::element_type::f64, {2}, lambda.data()};
    {  // the good file loads: the refusals below are each one fault away from it
        const std::string path = dir.file("good.safetensors");
        io::write_safetensors(path, std::vector<io::tensor_to_write>{m, mat, eig}, good);
        BOOST_TEST(tg::whitener<float>::load(path).matrix() == w);
    }
    refused({m, eig}, good, {"tensor \"whitener.matrix\" is missing"});
    refused({m, mat, eig}, {{"whitener.kind", "zca"}}, {"the metadata has no entry \"whitener.epsilon\""});
    refused({m, mat, eig}, {{"whitener.kind", "pcz"}, {"whitener.epsilon", "1e-5"}}, {"the metadata's \"whitener.kind\" is \"pcz\", not \"pca\" or \"zca\""});
    refused({m, mat, eig}, {{"whitener.kind", "pca"}, {"whitener.epsilon", "-1"}}, {"the metadata's \"whitener.epsilon\" is \"-1\", not a finite number of at least 0"});
    refused({m, mat, eig}, {{"whitener.kind", "pca"}, {"whitener.epsilon", "1e-5x"}}, {"\"whitener.epsilon\" is \"1e-5x\", not a finite number"});
    refused({m, {"whitener.matrix", io::element_type::f64, {2, 3}, w6.data()}, eig}, good,
            {"tensor \"whitener.matrix\" has shape [2, 3], the 2 features of \"whitener.mean\" need [2, 2]"});
    refused({m, {"whitener.matrix", io::element_type::f64, {4}, w.data()}, eig}, good, {"tensor \"whitener.matrix\" has shape [4], a whitener's has 2 dimensions"});
    refused({m, mat, {"whitener.eigenvalues", io::element_type::f64, {3}, lambda3.data()}}, good,
            {"tensor \"whitener.eigenvalues\" has shape [3], the 2 features of \"whitener.mean\" need [2]"});
    refused({m, {"whitener.matrix", io::element_type::f32, {2, 2}, w_f.data()}, eig}, good, {"tensor \"whitener.matrix\" is F32, a whitener stores F64"});
    refused({m, {"whitener.matrix", io::element_type::f64, {2, 2}, nan_w.data()}, eig}, good, {"tensor \"whitener.matrix\" holds nan at index 1: each value must be finite"});
    refused({m, mat, {"whitener.eigenvalues", io::element_type::f64, {2}, negative.data()}}, good,
            {"tensor \"whitener.eigenvalues\" holds -0.5 at index 1: a covariance has no negative eigenvalue"});
    refused({m, mat, eig, {"standardizer.std", io::element_type::f64, {2}, mean.data()}}, good, {"tensor \"standardizer.std\" is not part of a whitener"});
    refused({{"standardizer.mean", io::element_type::f64, {2}, mean.data()}, {"standardizer.std", io::element_type::f64, {2}, mean.data()}}, {},
            {"tensor \"whitener.mean\" is missing", "tensor \"whitener.matrix\" is missing", "the metadata has no entry \"whitener.kind\"",
             "tensor \"standardizer.mean\" is not part of a whitener"});
}
