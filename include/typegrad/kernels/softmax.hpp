#pragma once
// Row-wise softmax family. Every exponent is shifted by the row maximum, so logits of any magnitude
// give finite results.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace typegrad::kernels {

// log(sum(exp(x))) of one row, computed stably.
template <class T>
T log_sum_exp(std::size_t n, const T* x) {
    const T peak = *std::max_element(x, x + n);
    T total = 0;
    for (std::size_t i = 0; i < n; ++i) total += std::exp(x[i] - peak);
    return peak + std::log(total);
}

// exp(x - max) / sum rather than exp(x - lse): in float, subtracting a large lse loses the low
// bits of the difference.
template <class T>
void softmax_rows(std::size_t rows, std::size_t cols, const T* x, T* y) {
    for (std::size_t r = 0; r < rows; ++r) {
        const T* xr = x + r * cols;
        T* yr = y + r * cols;
        const T peak = *std::max_element(xr, xr + cols);
        T total = 0;
        for (std::size_t c = 0; c < cols; ++c) total += yr[c] = std::exp(xr[c] - peak);
        for (std::size_t c = 0; c < cols; ++c) yr[c] /= total;
    }
}

template <class T>
void log_softmax_rows(std::size_t rows, std::size_t cols, const T* x, T* y) {
    for (std::size_t r = 0; r < rows; ++r) {
        const T lse = log_sum_exp(cols, x + r * cols);
        for (std::size_t c = 0; c < cols; ++c) y[r * cols + c] = x[r * cols + c] - lse;
    }
}

// gx += y * (gy - <gy, y>) per row, y = softmax(x).
template <class T>
void softmax_rows_backward(std::size_t rows, std::size_t cols, const T* y, const T* gy, T* gx) {
    for (std::size_t r = 0; r < rows; ++r) {
        const T* yr = y + r * cols;
        const T* gr = gy + r * cols;
        T dot = 0;
        for (std::size_t c = 0; c < cols; ++c) dot += gr[c] * yr[c];
        for (std::size_t c = 0; c < cols; ++c) gx[r * cols + c] += yr[c] * (gr[c] - dot);
    }
}

// gx += gy - softmax(x) * sum(gy) per row, y = log_softmax(x).
template <class T>
void log_softmax_rows_backward(std::size_t rows, std::size_t cols, const T* y, const T* gy, T* gx) {
    for (std::size_t r = 0; r < rows; ++r) {
        const T* gr = gy + r * cols;
        T total = 0;
        for (std::size_t c = 0; c < cols; ++c) total += gr[c];
        for (std::size_t c = 0; c < cols; ++c) gx[r * cols + c] += gr[c] - std::exp(y[r * cols + c]) * total;
    }
}

}  // namespace typegrad::kernels
