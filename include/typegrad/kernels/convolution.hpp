#pragma once
// Convolution by im2col: each sample's receptive fields become the columns of a matrix, so the
// convolution is one GEMM (kernels/gemm.hpp). Cross-correlation, as in Keras and PyTorch.
#include <cstddef>

namespace typegrad::kernels {

// Geometry of a 2-D convolution or pooling window over one channel plane.
struct window_geometry {
    std::size_t height, width;          // input plane
    std::size_t kernel, stride;
    std::size_t pad_top, pad_left;      // zero padding before the first row / column
    std::size_t out_height, out_width;  // output plane
};

// A convolution layer's shape: the plane's geometry and the channel counts.
struct conv_shape {
    window_geometry plane;
    std::size_t in_channels, out_channels;
};

// Calls visit(column entry, input index) for every entry of the im2col matrix, with the index of the
// input value it reads, or padding_tap for an entry in the zero padding. im2col and its adjoint share
// this walk. Column entry ((c * K + ki) * K + kj) * (OH * OW) + oy * OW + ox reads x[c][oy*S + ki - pad_top][ox*S + kj - pad_left].
inline constexpr std::size_t padding_tap = static_cast<std::size_t>(-1);

template <class Visit>
void for_each_window_tap(const window_geometry& g, std::size_t channels, Visit&& visit) {
    std::size_t entry = 0;
    for (std::size_t c = 0; c < channels; ++c)
        for (std::size_t ki = 0; ki < g.kernel; ++ki)
            for (std::size_t kj = 0; kj < g.kernel; ++kj)
                for (std::size_t oy = 0; oy < g.out_height; ++oy) {
                    const std::ptrdiff_t y = std::ptrdiff_t(oy * g.stride + ki) - std::ptrdiff_t(g.pad_top);
                    const bool row_inside = y >= 0 && y < std::ptrdiff_t(g.height);
                    for (std::size_t ox = 0; ox < g.out_width; ++ox, ++entry) {
                        const std::ptrdiff_t x = std::ptrdiff_t(ox * g.stride + kj) - std::ptrdiff_t(g.pad_left);
                        const bool inside = row_inside && x >= 0 && x < std::ptrdiff_t(g.width);
                        visit(entry, inside ? (c * g.height + std::size_t(y)) * g.width + std::size_t(x) : padding_tap);
                    }
                }
}

// The receptive fields of one sample as columns: cols[entry] = x[input index], 0 in the padding.
template <class T>
void im2col(const window_geometry& g, std::size_t channels, const T* x, T* cols) {
    for_each_window_tap(g, channels, [&](std::size_t entry, std::size_t tap) { cols[entry] = tap == padding_tap ? T(0) : x[tap]; });
}

// The adjoint of im2col: gx[input index] += every column entry that was read from it.
template <class T>
void col2im_add(const window_geometry& g, std::size_t channels, const T* cols, T* gx) {
    for_each_window_tap(g, channels, [&](std::size_t entry, std::size_t tap) {
        if (tap != padding_tap) gx[tap] += cols[entry];
    });
}

// Max pooling of one plane: out = max over each window; `argmax` keeps the winner's input index
// (as T: plane indices are far below 2^24) for backward.
// `winner` receives, per output, the position of the maximum within its window (ki * kernel + kj):
// a byte for windows up to 16 x 16. Always inlined: with the geometry a compile-time constant of the
// layer, the window loops unroll (out of line, W3's pooling took twice as long).
template <class T, class Index>
[[gnu::always_inline]] inline void max_pool_plane(const window_geometry& g, const T* x, T* out, Index* winner) {
    for (std::size_t oy = 0; oy < g.out_height; ++oy)
        for (std::size_t ox = 0; ox < g.out_width; ++ox) {
            const T* window = x + (oy * g.stride) * g.width + ox * g.stride;
            std::size_t best = 0;
            T largest = window[0];
            for (std::size_t ki = 0; ki < g.kernel; ++ki)
                for (std::size_t kj = 0; kj < g.kernel; ++kj)
                    if (window[ki * g.width + kj] > largest) largest = window[ki * g.width + kj], best = ki * g.kernel + kj;
            out[oy * g.out_width + ox] = largest;
            winner[oy * g.out_width + ox] = Index(best);
        }
}

template <class T, class Index>
[[gnu::always_inline]] inline void max_pool_plane_backward(const window_geometry& g, const T* gout, const Index* winner, T* gx) {
    for (std::size_t oy = 0; oy < g.out_height; ++oy)
        for (std::size_t ox = 0; ox < g.out_width; ++ox) {
            const std::size_t o = oy * g.out_width + ox, w = std::size_t(winner[o]);
            gx[(oy * g.stride + w / g.kernel) * g.width + ox * g.stride + w % g.kernel] += gout[o];
        }
}

template <class T>
void avg_pool_plane(const window_geometry& g, const T* x, T* out) {
    const T scale = T(1) / T(g.kernel * g.kernel);
    for (std::size_t oy = 0; oy < g.out_height; ++oy)
        for (std::size_t ox = 0; ox < g.out_width; ++ox) {
            T total = 0;
            for (std::size_t ki = 0; ki < g.kernel; ++ki)
                for (std::size_t kj = 0; kj < g.kernel; ++kj) total += x[(oy * g.stride + ki) * g.width + ox * g.stride + kj];
            out[oy * g.out_width + ox] = total * scale;
        }
}

template <class T>
void avg_pool_plane_backward(const window_geometry& g, const T* gout, T* gx) {
    const T scale = T(1) / T(g.kernel * g.kernel);
    for (std::size_t oy = 0; oy < g.out_height; ++oy)
        for (std::size_t ox = 0; ox < g.out_width; ++ox)
            for (std::size_t ki = 0; ki < g.kernel; ++ki)
                for (std::size_t kj = 0; kj < g.kernel; ++kj)
                    gx[(oy * g.stride + ki) * g.width + ox * g.stride + kj] += gout[oy * g.out_width + ox] * scale;
}

}  // namespace typegrad::kernels
