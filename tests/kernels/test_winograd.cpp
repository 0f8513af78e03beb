// Winograd convolution F(2x2, 3x3) and F(4x4, 3x3) against the direct convolution written as plain
// loops in double: the output, the input gradient and the weight gradient, for valid and same
// padding, 1 to 32 channels, planes of 5 to 28 (odd and even: edge tiles of every width), batches of
// 1 and 3, groups of samples smaller than the batch, float and double, on 1 and 2 threads.
// Errors are measured against the largest value of the tensor compared (see max_error).
#define BOOST_TEST_MODULE winograd
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <typegrad/kernels/winograd.hpp>

namespace k = typegrad::kernels;

namespace {

k::conv_shape make_shape(std::size_t in, std::size_t out, std::size_t height, std::size_t width, bool same) {
    const std::size_t pad = same ? 1 : 0;
    const std::size_t out_height = same ? height : height - 2, out_width = same ? width : width - 2;
    return {{height, width, 3, 1, pad, pad, out_height, out_width}, in, out};
}

// The direct convolution and its gradients, in double, from the definition
// y[n][o][i][j] = b[o] + sum_{c, ki, kj} w[o][c][ki][kj] x[n][c][i + ki - pad][j + kj - pad].
struct direct {
    std::vector<double> y, gx, gw;
};
template <class T>
direct direct_convolution(const k::conv_shape& s, std::size_t batch, const std::vector<T>& x, const std::vector<T>& w, const std::vector<T>& bias,
                          const std::vector<T>& gy) {
    const auto& g = s.plane;
    direct d{std::vector<double>(batch * s.out_channels * g.out_height * g.out_width), std::vector<double>(x.size()), std::vector<double>(w.size())};
    for (std::size_t n = 0; n < batch; ++n)
        for (std::size_t o = 0; o < s.out_channels; ++o)
            for (std::size_t i = 0; i < g.out_height; ++i)
                for (std::size_t j = 0; j < g.out_width; ++j) {
                    const std::size_t out_index = ((n * s.out_channels + o) * g.out_height + i) * g.out_width + j;
                    double sum = bias[o];
                    for (std::size_t c = 0; c < s.in_channels; ++c)
                        for (std::size_t ki = 0; ki < 3; ++ki)
                            for (std::size_t kj = 0; kj < 3; ++kj) {
                                const std::ptrdiff_t r = std::ptrdiff_t(i + ki) - std::ptrdiff_t(g.pad_top);
                                const std::ptrdiff_t q = std::ptrdiff_t(j + kj) - std::ptrdiff_t(g.pad_left);
                                if (r < 0 || q < 0 || r >= std::ptrdiff_t(g.height) || q >= std::ptrdiff_t(g.width)) continue;
                                const std::size_t in_index = ((n * s.in_channels + c) * g.height + std::size_t(r)) * g.width + std::size_t(q);
                                const std::size_t w_index = ((o * s.in_channels + c) * 3 + ki) * 3 + kj;
                                sum += double(w[w_index]) * double(x[in_index]);
                                d.gx[in_index] += double(w[w_index]) * double(gy[out_index]);
                                d.gw[w_index] += double(x[in_index]) * double(gy[out_index]);
                            }
                    d.y[out_index] = sum;
                }
    return d;
}

// max |got - expected| / max |expected|: the error in units of the tensor's scale. (Per element it
// would be unbounded: an output that is a sum of terms of both signs can be near zero.)
template <class T>
double max_error(const std::vector<T>& got, const std::vector<double>& expected) {
    double worst = 0, scale = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
        worst = std::max(worst, std::abs(double(got[i]) - expected[i]));
        scale = std::max(scale, std::abs(expected[i]));
    }
    return worst / std::max(scale, 1e-300);
}

struct errors {
    double y, gx, gw;
};

// Inputs as a layer after relu sees them (uniform in [0, 1)), weights as he_uniform draws them,
// output gradients standard normal.
template <class T>
struct problem {
    std::vector<T> x, w, bias, gy;
    problem(const k::conv_shape& s, std::size_t batch, unsigned seed)
        : x(batch * s.in_channels * s.plane.height * s.plane.width), w(s.out_channels * s.in_channels * 9), bias(s.out_channels),
          gy(batch * s.out_channels * s.plane.out_height * s.plane.out_width) {
        std::mt19937 rng(seed);
        std::uniform_real_distribution<double> unit(0, 1), symmetric(-1, 1);
        std::normal_distribution<double> normal;
        const double limit = std::sqrt(6.0 / double(s.in_channels * 9));
        for (T& v : x) v = T(unit(rng));
        for (T& v : w) v = T(limit * symmetric(rng));
        for (T& v : bias) v = T(0.1 * symmetric(rng));
        for (T& v : gy) v = T(normal(rng));
    }
};

// The three results of the Winograd kernels on `problem`, the input gradient added onto a nonzero
// starting value unless `fresh`.
template <std::size_t M, class T>
struct winograd_run {
    std::vector<T> y, gx, gw;
    winograd_run(const k::conv_shape& s, std::size_t batch, const problem<T>& p, k::thread_pool* pool, const k::winograd_settings& settings, bool fresh)
        : y(p.gy.size()), gx(p.x.size(), fresh ? T(12345) : T(0.5)), gw(p.w.size(), T(0.25)) {
        std::vector<T> weights(k::winograd_weights_size<M>(s)), scratch(k::winograd_scratch_size<M, T>(s, batch, settings));
        k::winograd_transform_weights<M>(s, p.w.data(), weights.data(), pool);
        k::winograd_forward<M>(s, batch, weights.data(), p.x.data(), p.bias.data(), y.data(), scratch.data(), pool, settings);
        k::winograd_backward<M>(s, batch, weights.data(), p.x.data(), p.gy.data(), gx.data(), fresh, gw.data(), scratch.data(), pool, settings);
        if (!fresh)
            for (T& v : gx) v -= T(0.5);
        for (T& v : gw) v -= T(0.25);
    }
};

template <std::size_t M, class T>
errors compare(const k::conv_shape& s, std::size_t batch, unsigned seed, k::thread_pool* pool = nullptr, const k::winograd_settings& settings = {},
               bool fresh = true) {
    const problem<T> p(s, batch, seed);
    const direct d = direct_convolution(s, batch, p.x, p.w, p.bias, p.gy);
    const winograd_run<M, T> r(s, batch, p, pool, settings, fresh);
    return {max_error(r.y, d.y), max_error(r.gx, d.gx), max_error(r.gw, d.gw)};
}

std::string describe(const k::conv_shape& s, std::size_t batch) {
    const auto& g = s.plane;
    return std::to_string(s.in_channels) + "->" + std::to_string(s.out_channels) + " channels, " + std::to_string(g.height) + "x" +
           std::to_string(g.width) + (g.pad_top ? " same" : " valid") + ", batch " + std::to_string(batch);
}

// Every combination of the listed sizes, within `bound` of the direct convolution.
template <std::size_t M, class T>
void check_many_shapes(double bound) {
    const std::size_t channel_pairs[][2] = {{1, 1}, {1, 3}, {3, 1}, {3, 32}, {32, 3}, {32, 32}};
    const std::size_t sizes[][2] = {{5, 5}, {6, 7}, {8, 8}, {9, 11}, {13, 13}, {16, 15}, {28, 28}};
    unsigned seed = 1;
    for (const auto& [in, out] : channel_pairs)
        for (const auto& [height, width] : sizes)
            for (const bool same : {false, true})
                for (const std::size_t batch : {std::size_t{1}, std::size_t{3}}) {
                    if (in * out > 100 && height * width > 200 && batch > 1) continue;  // the reference's time, not coverage
                    const k::conv_shape s = make_shape(in, out, height, width, same);
                    const errors e = compare<M, T>(s, batch, ++seed);
                    BOOST_TEST_CONTEXT("F(" << M << ",3) " << describe(s, batch)) {
                        BOOST_TEST(e.y < bound);
                        BOOST_TEST(e.gx < bound);
                        BOOST_TEST(e.gw < bound);
                    }
                }
}

}  // namespace

// In double every formula must agree to rounding: a wrong coefficient, tile edge or index shows.
BOOST_AUTO_TEST_CASE(double_f2_matches_the_direct_convolution) { check_many_shapes<2, double>(1e-13); }
BOOST_AUTO_TEST_CASE(double_f4_matches_the_direct_convolution) { check_many_shapes<4, double>(1e-13); }
BOOST_AUTO_TEST_CASE(float_f2_matches_the_direct_convolution) { check_many_shapes<2, float>(1e-5); }
BOOST_AUTO_TEST_CASE(float_f4_matches_the_direct_convolution) { check_many_shapes<4, float>(1e-4); }

// Groups of samples smaller than the batch (the last one shorter), the input gradient added onto
// what gx held, and the register-tile products give the same results.
BOOST_AUTO_TEST_CASE(groups_accumulation_and_register_tiles) {
    const k::conv_shape s = make_shape(3, 5, 9, 10, true);
    for (const std::size_t group : {std::size_t{1}, std::size_t{2}})
        for (const auto product : {k::winograd_product::blas, k::winograd_product::register_tiles})
            for (const bool fresh : {true, false}) {
                const errors f2 = compare<2, double>(s, 5, 7, nullptr, {group, product}, fresh);
                const errors f4 = compare<4, double>(s, 5, 7, nullptr, {group, product}, fresh);
                BOOST_TEST_CONTEXT("group " << group << " product " << int(product) << " fresh " << fresh) {
                    for (const double e : {f2.y, f2.gx, f2.gw, f4.y, f4.gx, f4.gw}) BOOST_TEST(e < 1e-13);
                }
            }
}

// The work is split by channel and tile element, never inside a sum: 2 threads give the bits of 1.
BOOST_AUTO_TEST_CASE(two_threads_give_the_bits_of_one) {
    k::keep_blas_single_threaded();
    k::thread_pool pool(2);
    const k::conv_shape s = make_shape(32, 64, 13, 13, false);
    const problem<float> p(s, 6, 3);
    for (const auto product : {k::winograd_product::blas, k::winograd_product::register_tiles}) {
        const k::winograd_settings settings{2, product};
        const winograd_run<4, float> one(s, 6, p, nullptr, settings, true), two(s, 6, p, &pool, settings, true);
        BOOST_TEST(one.y == two.y);
        BOOST_TEST(one.gx == two.gx);
        BOOST_TEST(one.gw == two.gw);
    }
}

// The reference workloads' 3x3 layers (W3's second, W6's three) in float, at the workloads' batch:
// the errors are printed (run with --log_level=message) and must stay within 1e-4 of the tensor's
// largest value, as issue 16 requires, for F(2, 3) and F(4, 3) alike.
BOOST_AUTO_TEST_CASE(workload_layers_in_float) {
    struct layer {
        const char* name;
        k::conv_shape shape;
        std::size_t batch;
    };
    const layer layers[] = {{"W3 conv2", make_shape(32, 64, 13, 13, false), 64},
                            {"W6 conv1", make_shape(3, 32, 64, 64, true), 32},
                            {"W6 conv2", make_shape(32, 64, 32, 32, true), 32},
                            {"W6 conv3", make_shape(64, 128, 16, 16, true), 32}};
    for (const layer& l : layers) {
        const errors f2 = compare<2, float>(l.shape, l.batch, 11), f4 = compare<4, float>(l.shape, l.batch, 11);
        BOOST_TEST_MESSAGE(l.name << "  F(2,3): y " << f2.y << " gx " << f2.gx << " gw " << f2.gw << "   F(4,3): y " << f4.y << " gx " << f4.gx
                                  << " gw " << f4.gw);
        BOOST_TEST_CONTEXT(l.name) {
            BOOST_TEST(f2.y < 1e-4);
            BOOST_TEST(f2.gx < 1e-4);
            BOOST_TEST(f2.gw < 1e-4);
            BOOST_TEST(f4.y < 1e-4);
            BOOST_TEST(f4.gx < 1e-4);
            BOOST_TEST(f4.gw < 1e-4);
        }
    }
}
