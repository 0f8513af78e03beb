#include <typegrad/data/whitener.hpp>

#include <algorithm>
#include <cfloat>
#include <climits>
#include <cmath>
#include <stdexcept>
#include <string>

#include <cblas.h>
#define LAPACK_COMPLEX_CPP  // lapacke.h's complex types as std::complex: C99's _Complex is not C++
#include <lapacke.h>

#include <typegrad/io/safetensors.hpp>

#include "statistics_file.hpp"

namespace typegrad {

namespace {

std::string features_text(std::size_t n) { return std::to_string(n) + (n == 1 ? " feature" : " features"); }

// Rows are centred and multiplied this many at a time, in double: memory stays small for any data set.
constexpr std::size_t block_rows = 512;

template <class T>
void center_block(std::span<const T> rows, std::size_t first, std::size_t count, const std::vector<double>& mean, std::vector<double>& block) {
    const std::size_t d = mean.size();
    for (std::size_t r = 0; r < count; ++r)
        for (std::size_t f = 0; f < d; ++f) block[r * d + f] = double(rows[(first + r) * d + f]) - mean[f];
}

}  // namespace

std::string_view name_of(whitening kind) { return kind == whitening::pca ? "pca" : "zca"; }

template <class T>
whitener<T>::whitener(whitener_options options) : options_{options} {
    if (!(options.epsilon >= 0) || !std::isfinite(options.epsilon))
        throw std::invalid_argument("typegrad: whitener: epsilon must be finite and at least 0, got " + data_detail::exact_text(options.epsilon));
    if (options.kind != whitening::pca && options.kind != whitening::zca) throw std::invalid_argument("typegrad: whitener: the kind must be whitening::pca or whitening::zca");
}

template <class T>
void whitener<T>::fit(std::span<const T> rows, std::size_t d) {
    if (d == 0) throw std::invalid_argument("typegrad: whitener: fit: rows of 0 features");
    if (d > std::size_t(INT_MAX / 2)) throw std::invalid_argument("typegrad: whitener: fit: " + features_text(d) + " are more than BLAS indexes");
    if (rows.size() % d != 0)
        throw std::invalid_argument("typegrad: whitener: fit: " + std::to_string(rows.size()) + " values are not whole rows of " + features_text(d));
    const std::size_t n = rows.size() / d;
    if (n == 0) throw std::invalid_argument("typegrad: whitener: fit: no samples (rows of " + features_text(d) + ")");

    std::vector<double> mean(d, 0.0);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (!std::isfinite(double(rows[i])))
            throw std::invalid_argument("typegrad: whitener: fit: feature " + std::to_string(i % d) + " of sample " + std::to_string(i / d) + " is not finite (" +
                                        data_detail::exact_text(double(rows[i])) + ")");
        mean[i % d] += double(rows[i]);
    }
    for (auto& m : mean) m /= double(n);

    // C = (1/n) sum (x - mean)(x - mean)^T: the upper triangle, block by block (dsyrk: C += B^T B).
    const int di = static_cast<int>(d);
    std::vector<double> covariance(d * d, 0.0), block(std::min(n, block_rows) * d);
    for (std::size_t first = 0; first < n; first += block_rows) {
        const std::size_t count = std::min(block_rows, n - first);
        center_block(rows, first, count, mean, block);
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, di, static_cast<int>(count), 1.0, block.data(), di, 1.0, covariance.data(), di);
    }
    for (auto& c : covariance) c /= double(n);

    // C = U diag(w) U^T, w ascending; the eigenvectors are C's columns afterwards.
    std::vector<double> w(d);
    const lapack_int info = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'U', static_cast<lapack_int>(d), covariance.data(), static_cast<lapack_int>(d), w.data());
    if (info != 0)
        throw std::runtime_error("typegrad: whitener: fit: LAPACK's dsyevd did not decompose the covariance of the " + features_text(d) + " (info " +
                                 std::to_string(info) + ")");

    // Largest first, each eigenvector's largest component positive: the same W from run to run, and
    // PCA's first coordinate the direction of largest variance.
    std::vector<double> u(d * d), eigenvalues(d);  // u[i * d + k]: component i of eigenvector k
    for (std::size_t k = 0; k < d; ++k) {
        const std::size_t column = d - 1 - k;
        eigenvalues[k] = std::max(w[column], 0.0);  // a rounding below 0 is no variance
        std::size_t largest = 0;
        for (std::size_t i = 0; i < d; ++i)
            if (std::abs(covariance[i * d + column]) > std::abs(covariance[largest * d + column])) largest = i;
        const double sign = covariance[largest * d + column] < 0 ? -1.0 : 1.0;
        for (std::size_t i = 0; i < d; ++i) u[i * d + k] = sign * covariance[i * d + column];
    }
    if (options_.epsilon == 0 && eigenvalues[d - 1] <= eigenvalues[0] * double(d) * DBL_EPSILON)
        throw std::invalid_argument("typegrad: whitener: fit: the covariance of the " + features_text(d) + " is singular to rounding (eigenvalues from " +
                                    data_detail::exact_text(eigenvalues[0]) + " down to " + data_detail::exact_text(eigenvalues[d - 1]) +
                                    "): whitening would amplify noise; give an epsilon above 0");

    std::vector<double> scale(d), matrix(d * d, 0.0);
    for (std::size_t k = 0; k < d; ++k) scale[k] = 1.0 / std::sqrt(eigenvalues[k] + options_.epsilon);
    if (options_.kind == whitening::pca) {
        for (std::size_t k = 0; k < d; ++k)
            for (std::size_t i = 0; i < d; ++i) matrix[k * d + i] = scale[k] * u[i * d + k];
    } else {
        for (std::size_t i = 0; i < d; ++i)
            for (std::size_t j = 0; j < d; ++j) {
                double sum = 0;
                for (std::size_t k = 0; k < d; ++k) sum += u[i * d + k] * scale[k] * u[j * d + k];
                matrix[i * d + j] = sum;
            }
        // Exactly symmetric, whatever the order of the sums did.
        for (std::size_t i = 0; i < d; ++i)
            for (std::size_t j = 0; j < i; ++j) matrix[i * d + j] = matrix[j * d + i];
    }
    mean_ = std::move(mean);
    matrix_ = std::move(matrix);
    eigenvalues_ = std::move(eigenvalues);
}

template <class T>
void whitener<T>::check_dataset(std::size_t feature_size, std::size_t values) const {
    if (!fitted()) throw std::invalid_argument("typegrad: whitener: not fitted: fit it on the training set, or load a saved one, before applying it");
    if (feature_size != mean_.size())
        throw std::invalid_argument("typegrad: whitener: fitted on " + features_text(mean_.size()) + ", the dataset has " + features_text(feature_size) +
                                    " per sample");
    if (values % feature_size != 0)
        throw std::invalid_argument("typegrad: whitener: " + std::to_string(values) + " feature values are not whole rows of " + features_text(feature_size));
}

template <class T>
void whitener<T>::apply(std::span<T> rows) const {
    check_dataset(mean_.size(), rows.size());
    const std::size_t d = mean_.size(), n = rows.size() / d;
    const int di = static_cast<int>(d);
    std::vector<double> block(std::min(n, block_rows) * d), out(block.size());
    for (std::size_t first = 0; first < n; first += block_rows) {
        const std::size_t count = std::min(block_rows, n - first);
        center_block(std::span<const T>(rows), first, count, mean_, block);
        // out = block W^T: each row z = W (x - mean).
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(count), di, di, 1.0, block.data(), di, matrix_.data(), di, 0.0, out.data(), di);
        for (std::size_t i = 0; i < count * d; ++i) rows[first * d + i] = T(out[i]);
    }
}

template <class T>
void whitener<T>::save(const std::filesystem::path& path) const {
    if (!fitted()) throw std::invalid_argument("typegrad: whitener: not fitted: there is nothing to save to " + path.string());
    const std::size_t d = mean_.size();
    const io::tensor_to_write tensors[] = {{"whitener.mean", io::element_type::f64, {d}, mean_.data()},
                                           {"whitener.matrix", io::element_type::f64, {d, d}, matrix_.data()},
                                           {"whitener.eigenvalues", io::element_type::f64, {d}, eigenvalues_.data()}};
    io::write_safetensors(path, tensors,
                          {{"typegrad", "whitener"}, {"whitener.kind", std::string(name_of(options_.kind))}, {"whitener.epsilon", data_detail::exact_text(options_.epsilon)}});
}

template <class T>
whitener<T> whitener<T>::load(const std::filesystem::path& path) {
    data_detail::statistics_file file{path, "whitener"};
    whitener_options options;
    if (const std::string* kind = file.metadata("whitener.kind")) {
        if (*kind == "pca")
            options.kind = whitening::pca;
        else if (*kind == "zca")
            options.kind = whitening::zca;
        else
            file.fault("the metadata's \"whitener.kind\" is \"" + *kind + "\", not \"pca\" or \"zca\"");
    }
    if (const std::string* epsilon = file.metadata("whitener.epsilon"))
        if (!data_detail::read_exact(*epsilon, options.epsilon) || options.epsilon < 0)
            file.fault("the metadata's \"whitener.epsilon\" is \"" + *epsilon + "\", not a finite number of at least 0");

    std::vector<std::size_t> mean_shape, matrix_shape, eigenvalues_shape;
    std::vector<double> mean = file.values("whitener.mean", 1, mean_shape);
    std::vector<double> matrix = file.values("whitener.matrix", 2, matrix_shape);
    std::vector<double> eigenvalues = file.values("whitener.eigenvalues", 1, eigenvalues_shape);
    if (!mean.empty()) {
        const std::size_t d = mean.size();
        if (!matrix.empty() && matrix_shape != std::vector<std::size_t>{d, d})
            file.fault("tensor \"whitener.matrix\" has shape " + io::shape_text(matrix_shape) + ", the " + features_text(d) + " of \"whitener.mean\" need " +
                       io::shape_text({d, d}));
        if (!eigenvalues.empty() && eigenvalues.size() != d)
            file.fault("tensor \"whitener.eigenvalues\" has shape " + io::shape_text(eigenvalues_shape) + ", the " + features_text(d) +
                       " of \"whitener.mean\" need " + io::shape_text({d}));
    }
    file.check_values("whitener.mean", mean, false);
    file.check_values("whitener.matrix", matrix, false);
    file.check_values("whitener.eigenvalues", eigenvalues, false);
    if (const auto negative = std::find_if(eigenvalues.begin(), eigenvalues.end(), [](double v) { return v < 0; }); negative != eigenvalues.end())
        file.fault("tensor \"whitener.eigenvalues\" holds " + data_detail::exact_text(*negative) + " at index " + std::to_string(negative - eigenvalues.begin()) +
                   ": a covariance has no negative eigenvalue");
    file.refuse_if_any();
    whitener w{options};
    w.mean_ = std::move(mean);
    w.matrix_ = std::move(matrix);
    w.eigenvalues_ = std::move(eigenvalues);
    return w;
}

template class whitener<float>;
template class whitener<double>;

}  // namespace typegrad
