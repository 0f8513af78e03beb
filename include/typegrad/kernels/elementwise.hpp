#pragma once
// Loops for elementwise operations. Operands are described by strides so that one loop serves
// equal shapes, a scalar broadcast over a tensor, and an unbatched value broadcast over the batch.
#include <cstddef>

#include <typegrad/kernels/simd.hpp>

namespace typegrad::kernels {

template <class T, class F>
void unary_forward(const F& f, std::size_t n, const T* x, T* y) {
    for (std::size_t i = 0; i < n; ++i) y[i] = f.value(x[i]);
}

template <class T, class F>
void unary_backward(const F& f, std::size_t n, const T* x, const T* y, const T* gy, T* gx) {
    for (std::size_t i = 0; i < n; ++i) gx[i] += gy[i] * f.derivative(x[i], y[i]);
}

// The same when the output overwrote the input and gy is the gradient's only buffer (g = gy on entry,
// gx on return); needs f.derivative(y, y) == f.derivative(x, y).
template <class T, class F>
void unary_backward_in_place(const F& f, std::size_t n, const T* y, T* g) {
    for (std::size_t i = 0; i < n; ++i) g[i] *= f.derivative(y[i], y[i]);
}

// Element (r, i) of an operand lives at data[r * row_stride + i * element_stride].
template <class T>
struct strided {
    const T* data;
    std::size_t row_stride;
    std::size_t element_stride;
    const T& at(std::size_t r, std::size_t i) const { return data[r * row_stride + i * element_stride]; }
    std::size_t offset(std::size_t r, std::size_t i) const { return r * row_stride + i * element_stride; }
};

template <class T, class F>
void binary_forward(const F& f, std::size_t rows, std::size_t size, strided<T> a, strided<T> b, T* y) {
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t i = 0; i < size; ++i) y[r * size + i] = f.value(a.at(r, i), b.at(r, i));
}

// Broadcast operands receive the sum of the gradients of every element they were broadcast to.
template <class T, class F>
void binary_backward(const F& f, std::size_t rows, std::size_t size, strided<T> a, strided<T> b, const T* gy, T* ga,
                     T* gb) {
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t i = 0; i < size; ++i) {
            const T g = gy[r * size + i];
            const T av = a.at(r, i), bv = b.at(r, i);
            if (ga) ga[a.offset(r, i)] += g * f.d_left(av, bv);
            if (gb) gb[b.offset(r, i)] += g * f.d_right(av, bv);
        }
}

template <class T>
T sum(std::size_t n, const T* x) {
    // Pairwise-free but accumulated in double for float inputs: losses over large batches stay exact
    // enough for gradient checks and reproducible across thread counts.
    double total = 0;
    for (std::size_t i = 0; i < n; ++i) total += static_cast<double>(x[i]);
    return static_cast<T>(total);
}

// The sum of a run in one vector of partial sums: a gradient's sum over a plane, where float
// accumulation is as accurate as the products that made the values, and the double of sum() took
// 5 % of a W3 training step (its convolutions' bias gradients).
template <class T>
T sum_in_lanes(std::size_t n, const T* x) {
    constexpr std::size_t lanes = simd_bytes / sizeof(T);
    const std::size_t whole = n / lanes * lanes;
    simd<T> partial{};
    for (std::size_t i = 0; i < whole; i += lanes) partial += load_simd(x + i);
    T total = horizontal_sum<T, lanes>(partial);
    for (std::size_t i = whole; i < n; ++i) total += x[i];
    return total;
}

// y += x
template <class T>
void accumulate(std::size_t n, const T* x, T* y) {
    for (std::size_t i = 0; i < n; ++i) y[i] += x[i];
}

template <class T>
void add_constant(std::size_t n, T value, T* y) {
    for (std::size_t i = 0; i < n; ++i) y[i] += value;
}

}  // namespace typegrad::kernels
