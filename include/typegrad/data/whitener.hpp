#pragma once
// Whitening: features made uncorrelated and of unit variance, z = W (x - mean), with the mean and
// covariance C of the training set only. With C = U diag(lambda) U^T (eigenvalues by LAPACK's dsyevd,
// in double):
//   PCA   W = (Lambda + epsilon)^(-1/2) U^T        z's coordinates are the principal components,
//                                                  largest variance first;
//   ZCA   W = U (Lambda + epsilon)^(-1/2) U^T      symmetric: of all whitening matrices the one whose
//                                                  output stays closest to the (centred) input.
// Either way the whitened training features have covariance diag(lambda / (lambda + epsilon)), the
// identity when epsilon is small beside the smallest eigenvalue. Epsilon, in the features' squared
// units, keeps directions of (almost) no variance from being blown up into noise; an eigenvalue below
// 0 from rounding counts as 0. With epsilon = 0, a covariance that is singular to rounding is refused.
//
//   tg::whitener<float> w{{.kind = tg::whitening::zca, .epsilon = 1e-5}};
//   w.fit(train);  w.apply(train);  w.apply(test);
//   w.save("whitener.safetensors");   ...   auto w2 = tg::whitener<float>::load(path);
//
// The covariance is the population one (divided by n). Everything is computed, kept and applied in
// double whatever T is. The file holds F64 tensors "whitener.mean" [n], "whitener.matrix" [n, n]
// (W, row-major) and "whitener.eigenvalues" [n] (the covariance's, largest first), and the metadata
// "whitener.kind" ("pca" or "zca") and "whitener.epsilon" (exact text).
// Misuse (an unfitted whitener, data of another feature count, an empty or non-finite training set, a
// negative epsilon) throws std::invalid_argument naming the feature counts; a file that is not a
// whitener's throws io::io_error naming the file and each fault.
#include <cstddef>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

#include <typegrad/train/dataset.hpp>

namespace typegrad {

enum class whitening { pca, zca };

std::string_view name_of(whitening kind);  // "pca", "zca"

struct whitener_options {
    whitening kind = whitening::zca;
    double epsilon = 1e-5;  // added to every eigenvalue of the covariance
};

template <class T>
class whitener {
public:
    explicit whitener(whitener_options options = {});  // unfitted: fit or load it before applying it

    template <class Target>
    void fit(const dataset<T, Target>& train) {
        train.validate();
        fit(std::span<const T>(train.features), train.feature_size);
    }
    // The same for raw rows of `feature_size` values each.
    void fit(std::span<const T> rows, std::size_t feature_size);

    // In place: x <- W (x - mean).
    template <class Target>
    void apply(dataset<T, Target>& data) const {
        check_dataset(data.feature_size, data.features.size());
        apply(std::span<T>(data.features));
    }
    void apply(std::span<T> rows) const;  // whole rows of feature_size() values

    bool fitted() const { return !mean_.empty(); }
    std::size_t feature_size() const { return mean_.size(); }
    const whitener_options& options() const { return options_; }
    const std::vector<double>& mean() const { return mean_; }
    const std::vector<double>& matrix() const { return matrix_; }            // W, [features, features], row-major
    const std::vector<double>& eigenvalues() const { return eigenvalues_; }  // of the training covariance, largest first

    // Writes the statistics atomically; throws io::io_error naming the path on failure.
    void save(const std::filesystem::path& path) const;
    // Reads a file written by save; checks every tensor's name, dtype, shape and values, and the metadata.
    static whitener load(const std::filesystem::path& path);

private:
    void check_dataset(std::size_t feature_size, std::size_t values) const;

    whitener_options options_;
    std::vector<double> mean_, matrix_, eigenvalues_;
};

extern template class whitener<float>;
extern template class whitener<double>;

}  // namespace typegrad
