#include <typegrad/data/standardizer.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include <typegrad/io/safetensors.hpp>

#include "statistics_file.hpp"

namespace typegrad {

namespace {

std::string features_text(std::size_t n) { return std::to_string(n) + (n == 1 ? " feature" : " features"); }

}  // namespace

template <class T>
void standardizer<T>::fit(std::span<const T> rows, std::size_t feature_size) {
    if (feature_size == 0) throw std::invalid_argument("typegrad: standardizer: fit: rows of 0 features");
    if (rows.size() % feature_size != 0)
        throw std::invalid_argument("typegrad: standardizer: fit: " + std::to_string(rows.size()) + " values are not whole rows of " + features_text(feature_size));
    const std::size_t n = rows.size() / feature_size;
    if (n == 0) throw std::invalid_argument("typegrad: standardizer: fit: no samples (rows of " + features_text(feature_size) + ")");
    std::vector<double> mean(feature_size, 0.0), spread(feature_size, 0.0), low(feature_size), high(feature_size);
    for (std::size_t f = 0; f < feature_size; ++f) low[f] = high[f] = double(rows[f]);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const double x = double(rows[i]);
        const std::size_t f = i % feature_size;
        if (!std::isfinite(x))
            throw std::invalid_argument("typegrad: standardizer: fit: feature " + std::to_string(f) + " of sample " + std::to_string(i / feature_size) +
                                        " is not finite (" + data_detail::exact_text(x) + ")");
        mean[f] += x;
        low[f] = std::min(low[f], x);
        high[f] = std::max(high[f], x);
    }
    for (auto& m : mean) m /= double(n);
    // Two passes: the sum of squared deviations from the mean, not E[x^2] - E[x]^2, which cancels.
    for (std::size_t i = 0; i < rows.size(); ++i) spread[i % feature_size] += (double(rows[i]) - mean[i % feature_size]) * (double(rows[i]) - mean[i % feature_size]);
    for (std::size_t f = 0; f < feature_size; ++f) {
        if (low[f] == high[f]) {
            // All equal: the mean's rounding could leave a spread of 1e-17 to divide by; the value
            // itself is the exact mean, and 1 the divisor that keeps the feature finite.
            mean[f] = low[f];
            spread[f] = 1.0;
        } else {
            spread[f] = std::sqrt(spread[f] / double(n));
        }
    }
    mean_ = std::move(mean);
    std_ = std::move(spread);
}

template <class T>
void standardizer<T>::check_dataset(std::size_t feature_size, std::size_t values) const {
    if (!fitted()) throw std::invalid_argument("typegrad: standardizer: not fitted: fit it on the training set, or load a saved one, before applying it");
    if (feature_size != mean_.size())
        throw std::invalid_argument("typegrad: standardizer: fitted on " + features_text(mean_.size()) + ", the dataset has " + features_text(feature_size) +
                                    " per sample");
    if (values % feature_size != 0)
        throw std::invalid_argument("typegrad: standardizer: " + std::to_string(values) + " feature values are not whole rows of " +
                                    features_text(feature_size));
}

template <class T>
void standardizer<T>::apply(std::span<T> rows) const {
    check_dataset(mean_.size(), rows.size());
    const std::size_t d = mean_.size();
    for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = T((double(rows[i]) - mean_[i % d]) / std_[i % d]);
}

template <class T>
void standardizer<T>::inverse(std::span<T> rows) const {
    check_dataset(mean_.size(), rows.size());
    const std::size_t d = mean_.size();
    for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = T(double(rows[i]) * std_[i % d] + mean_[i % d]);
}

template <class T>
void standardizer<T>::save(const std::filesystem::path& path) const {
    if (!fitted()) throw std::invalid_argument("typegrad: standardizer: not fitted: there is nothing to save to " + path.string());
    const io::tensor_to_write tensors[] = {{"standardizer.mean", io::element_type::f64, {mean_.size()}, mean_.data()},
                                           {"standardizer.std", io::element_type::f64, {std_.size()}, std_.data()}};
    io::write_safetensors(path, tensors, {{"typegrad", "standardizer"}});
}

template <class T>
standardizer<T> standardizer<T>::load(const std::filesystem::path& path) {
    data_detail::statistics_file file{path, "standardizer"};
    std::vector<std::size_t> mean_shape, std_shape;
    std::vector<double> mean = file.values("standardizer.mean", 1, mean_shape);
    std::vector<double> deviation = file.values("standardizer.std", 1, std_shape);
    if (!mean.empty() && !deviation.empty() && mean.size() != deviation.size())
        file.fault("tensor \"standardizer.std\" has shape " + io::shape_text(std_shape) + ", \"standardizer.mean\" has " + io::shape_text(mean_shape) +
                   ": one value per feature in each");
    file.check_values("standardizer.mean", mean, false);
    file.check_values("standardizer.std", deviation, true);
    file.refuse_if_any();
    standardizer s;
    s.mean_ = std::move(mean);
    s.std_ = std::move(deviation);
    return s;
}

template class standardizer<float>;
template class standardizer<double>;

}  // namespace typegrad
