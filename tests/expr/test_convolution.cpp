// Convolution and pooling: the lecture's worked example, shapes, and values against direct loops.
#define BOOST_TEST_MODULE convolution
#include <boost/test/unit_test.hpp>

#include <vector>

#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

// W3's network: conv 32 3x3 valid, relu, max-pool 2, conv 64 3x3, relu, max-pool 2 (11 -> 5, whole
// windows only, as in PyTorch), flatten to 1600, dense 128, relu, dense 10.
using w3_type = decltype(tg::input<1, 28, 28> | tg::conv2d<32, 3> | tg::relu | tg::max_pool<2> | tg::conv2d<64, 3> | tg::relu |
                         tg::max_pool<2> | tg::flatten | tg::dense<128> | tg::relu | tg::dense<10>);
static_assert(w3_type::output_shape == tg::shape<10>{});
static_assert(w3_type::parameter_count == 320 + 18496 + 204928 + 1290);
static_assert(decltype(tg::conv2d<8, 3, 2, tg::padding::same>(tg::input<3, 7, 6>))::output_shape == tg::shape<8, 4, 3>{});
static_assert(decltype(tg::avg_pool<3, 2>(tg::input<2, 9, 9>))::output_shape == tg::shape<2, 4, 4>{});
static_assert(decltype(tg::global_average_pool(tg::input<5, 4, 4>))::output_shape == tg::shape<5>{});

// The lecture: a 5x5 image of -1 with an X of +1 in its inner 3x3 (corners and centre), the 3x3
// kernel that is +1 on the diagonal and -1 elsewhere; cross-correlation gives
// [[7,-3,3],[-3,5,-3],[3,-3,7]], then ReLU and 2x2 max-pooling with stride 1 give [[7,5],[5,7]].
BOOST_AUTO_TEST_CASE(the_lecture_worked_example) {
    const auto image = tg::named_input<"image", 1, 5, 5>;
    const auto feature_map = tg::conv2d<1, 3>.without_bias()(image);
    const auto pooled = feature_map | tg::relu | tg::max_pool<2, 1>;
    auto g = tg::compile<double>(feature_map, pooled);
    std::vector<double> pixels(25, -1.0);
    for (auto [r, c] : {std::pair{1, 1}, {1, 3}, {2, 2}, {3, 1}, {3, 3}}) pixels[std::size_t(r * 5 + c)] = 1.0;
    auto kernel = g.parameters_of(feature_map);
    for (std::size_t i = 0; i < 9; ++i) kernel[i] = (i % 4 == 0) ? 1.0 : -1.0;  // the diagonal of 3x3
    g.bind(image, pixels);
    g.forward(1);
    const double expected_map[3][3] = {{7, -3, 3}, {-3, 5, -3}, {3, -3, 7}};
    for (std::size_t r = 0; r < 3; ++r)
        for (std::size_t c = 0; c < 3; ++c) BOOST_TEST(g.value(feature_map)(0, 0, r, c) == expected_map[r][c]);
    const double expected_pool[2][2] = {{7, 5}, {5, 7}};
    for (std::size_t r = 0; r < 2; ++r)
        for (std::size_t c = 0; c < 2; ++c) BOOST_TEST(g.value(pooled)(0, 0, r, c) == expected_pool[r][c]);
}

// Against a direct loop: two channels, two filters, stride 2, same padding (pad 1 at the top and left
// for a 5x5 input with a 3x3 kernel), with bias.
BOOST_AUTO_TEST_CASE(conv2d_same_padding_and_stride_match_a_direct_loop) {
    const auto x = tg::input<2, 5, 5>;
    const auto y = tg::conv2d<2, 3, 2, tg::padding::same>(x);
    static_assert(decltype(y)::output_shape == tg::shape<2, 3, 3>{});
    auto g = tg::compile<double>(y);
    g.initialize(3);
    tg::random_generator rng{4};
    std::vector<double> xs(2 * 50);
    for (auto& v : xs) v = rng.normal();
    auto p = g.parameters_of(y);
    for (std::size_t i = 36; i < 38; ++i) p[i] = rng.normal();  // the bias
    g.bind(x, xs);
    g.forward(2);
    for (std::size_t b = 0; b < 2; ++b)
        for (std::size_t f = 0; f < 2; ++f)
            for (std::size_t oy = 0; oy < 3; ++oy)
                for (std::size_t ox = 0; ox < 3; ++ox) {
                    double expected = p[36 + f];
                    for (std::size_t c = 0; c < 2; ++c)
                        for (std::size_t ki = 0; ki < 3; ++ki)
                            for (std::size_t kj = 0; kj < 3; ++kj) {
                                const int iy = int(oy * 2 + ki) - 1, ix = int(ox * 2 + kj) - 1;
                                if (iy < 0 || iy >= 5 || ix < 0 || ix >= 5) continue;
                                expected += p[((f * 2 + c) * 3 + ki) * 3 + kj] * xs[b * 50 + c * 25 + std::size_t(iy) * 5 + std::size_t(ix)];
                            }
                    BOOST_TEST(std::abs(g.value(y)(b, f, oy, ox) - expected) < 1e-12);
                }
}

BOOST_AUTO_TEST_CASE(pooling_values) {
    const auto x = tg::input<1, 4, 5>;
    const auto maxed = tg::max_pool<2>(x);       // 4x5 -> 2x2: the last column is left out
    const auto averaged = tg::avg_pool<2, 1>(x);  // 3x4
    const auto global = tg::global_average_pool(x);
    auto g = tg::compile<double>(maxed, averaged, global);
    std::vector<double> xs(20);
    for (std::size_t i = 0; i < 20; ++i) xs[i] = double(i);
    g.bind(x, xs);
    g.forward(1);
    BOOST_TEST(g.value(maxed)(0, 0, 0, 0) == 6.0);
    BOOST_TEST(g.value(maxed)(0, 0, 1, 1) == 18.0);
    BOOST_TEST(g.value(averaged)(0, 0, 2, 3) == (13.0 + 14 + 18 + 19) / 4);
    BOOST_TEST(g.value(global)(0, 0) == 9.5);
}

// Windows up to 16 x 16 keep their winners in bytes, larger ones in T: both route each gradient to
// the first maximum of its window.
BOOST_AUTO_TEST_CASE(max_pool_gradients_reach_the_first_maximum_of_each_window) {
    const auto x = tg::input<1, 17, 34>;
    const auto small = tg::max_pool<2>(x);  // 8x17 outputs
    const auto large = tg::max_pool<17>(x);  // 1x2
    auto g = tg::compile<double>(tg::sum(small) + 10.0 * tg::sum(large));
    g.track_gradient(x);
    std::vector<double> xs(17 * 34, 0.0);
    xs[3 * 34 + 5] = 1;                 // a small window's and the left large window's maximum
    xs[16 * 34 + 33] = xs[16 * 34 + 32] = 2;  // outside every small window (row 16); a tie in the right large window
    g.bind(x, xs);
    g.forward(1);
    g.backward();
    const auto gx = g.gradient(x);
    BOOST_TEST(gx(0, 0, 3, 5) == 1.0 + 10.0);
    BOOST_TEST(gx(0, 0, 16, 32) == 10.0);  // the first of the tie
    BOOST_TEST(gx(0, 0, 16, 33) == 0.0);
    BOOST_TEST(gx(0, 0, 0, 0) == 1.0);     // a window of zeros: its first element
    BOOST_TEST(gx(0, 0, 0, 1) == 0.0);
    double total = 0;
    for (double v : gx.flat()) total += v;
    BOOST_TEST(total == 8.0 * 17 + 10.0 * 2);
}
