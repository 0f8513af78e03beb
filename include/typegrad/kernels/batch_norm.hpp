#pragma once
// Batch normalisation's loops over a batch laid out [rows, channels, plane]: a rank-1 sample is
// `channels` features with a plane of 1, a (C, H, W) sample C channels with planes of H x W. Sums
// are taken in double: a channel of a large batch sums tens of thousands of values.
#include <cmath>
#include <cstddef>

#include <typegrad/kernels/parallel.hpp>

namespace typegrad::kernels {

struct batch_norm_layout {
    std::size_t rows, channels, plane;
    std::size_t count() const { return rows * plane; }  // values per channel
    std::size_t at(std::size_t row, std::size_t channel) const { return (row * channels + channel) * plane; }
};

// Calls fn(channel) for each channel, a run of channels per thread.
template <class Fn>
void for_each_channel(thread_pool* pool, const batch_norm_layout& l, Fn&& fn) {
    parallel_for(
        pool, l.channels,
        [&](std::size_t first, std::size_t last) {
            for (std::size_t c = first; c < last; ++c) fn(c);
        },
        std::max<std::size_t>(1, elementwise_grain / std::max<std::size_t>(1, l.count())));
}

// Mean and biased variance of one channel.
template <class T>
void channel_moments(const batch_norm_layout& l, const T* x, std::size_t c, double& mean, double& variance) {
    double sum = 0;
    for (std::size_t r = 0; r < l.rows; ++r)
        for (std::size_t p = 0, at = l.at(r, c); p < l.plane; ++p) sum += double(x[at + p]);
    mean = sum / double(l.count());
    double squares = 0;
    for (std::size_t r = 0; r < l.rows; ++r)
        for (std::size_t p = 0, at = l.at(r, c); p < l.plane; ++p) {
            const double d = double(x[at + p]) - mean;
            squares += d * d;
        }
    variance = squares / double(l.count());
}

// y = scale * (x - mean) * inv_std + shift, for one channel.
template <class T>
void normalise_channel(const batch_norm_layout& l, const T* x, std::size_t c, T mean, T inv_std, T scale, T shift, T* y) {
    const T a = scale * inv_std, b = shift - a * mean;
    for (std::size_t r = 0; r < l.rows; ++r) {
        const std::size_t at = l.at(r, c);
        for (std::size_t p = 0; p < l.plane; ++p) y[at + p] = a * x[at + p] + b;
    }
}

// The gradients of one channel: scale and shift (added to), and the input's (added to, or written
// when `fresh`). With `batch_statistics` the mean and inv_std came from this batch, so the input's
// gradient goes through them too; else they were constants (evaluation mode).
template <class T>
void normalise_channel_backward(const batch_norm_layout& l, const T* x, const T* gy, std::size_t c, T mean, T inv_std, T scale,
                                bool batch_statistics, T* g_scale, T* g_shift, T* gx) {
    double sum_gy = 0, sum_gy_xhat = 0;
    for (std::size_t r = 0; r < l.rows; ++r)
        for (std::size_t p = 0, at = l.at(r, c); p < l.plane; ++p) {
            sum_gy += double(gy[at + p]);
            sum_gy_xhat += double(gy[at + p]) * (double(x[at + p]) - double(mean)) * double(inv_std);
        }
    g_scale[c] += T(sum_gy_xhat);
    g_shift[c] += T(sum_gy);
    if (!gx) return;
    const T a = scale * inv_std;
    const T mean_gy = batch_statistics ? T(sum_gy / double(l.count())) : T(0);
    const T mean_gy_xhat = batch_statistics ? T(sum_gy_xhat / double(l.count())) : T(0);
    for (std::size_t r = 0; r < l.rows; ++r) {
        const std::size_t at = l.at(r, c);
        for (std::size_t p = 0; p < l.plane; ++p) {
            const T xhat = (x[at + p] - mean) * inv_std;
            gx[at + p] += a * (gy[at + p] - mean_gy - xhat * mean_gy_xhat);
        }
    }
}

}  // namespace typegrad::kernels
