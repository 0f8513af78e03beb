// Forward values of expressions against hand computations (gradients are in autodiff/test_gradients).
#define BOOST_TEST_MODULE expressions
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <vector>

#include <typegrad/typegrad.hpp>

namespace tg = typegrad;
namespace utf = boost::unit_test;

BOOST_AUTO_TEST_CASE(dense_is_x_times_w_transposed_plus_b) {
    const auto x = tg::input<3>;
    const auto y = tg::dense<2>(x);
    auto g = tg::compile<double>(y);
    auto w = g.parameters_of(y);  // [2, 3] then bias [2]
    const std::vector<double> values{1, 2, 3, 4, 5, 6, 0.5, -0.5};
    std::copy(values.begin(), values.end(), w.begin());
    const std::vector<double> xs{1, 0, -1, 2, 1, 0};  // two samples
    g.bind(x, xs);
    g.forward(2);
    const auto out = g.value(y);
    BOOST_TEST(out(0, 0) == 1 * 1 + 2 * 0 + 3 * -1 + 0.5);
    BOOST_TEST(out(0, 1) == 4 * 1 + 5 * 0 + 6 * -1 - 0.5);
    BOOST_TEST(out(1, 0) == 1 * 2 + 2 * 1 + 0.5);
    BOOST_TEST(out(1, 1) == 4 * 2 + 5 * 1 - 0.5);
}

BOOST_AUTO_TEST_CASE(elementwise_functions, *utf::tolerance(1e-12)) {
    const auto x = tg::input<4>;
    const auto other = tg::named_input<"other", 4>;
    const auto ys = std::tuple{tg::relu(x), tg::sigmoid(x), tg::tanh(x), tg::softplus(x), tg::leaky_relu.with_slope(0.2)(x), tg::square(x),
                               tg::abs(x), tg::clamp(x, -0.5, 0.5), tg::max(x, other), 2.0 - x / 4.0};
    auto g = std::apply([](auto... y) { return tg::compile<double>(y...); }, ys);
    const std::vector<double> xs{-2, -0.25, 0.5, 3}, os{0, 0, 1, 1};
    g.bind(x, xs);
    g.bind(other, os);
    g.forward(1);
    for (std::size_t i = 0; i < 4; ++i) {
        const double v = xs[i];
        BOOST_TEST(g.value(std::get<0>(ys))(0, i) == std::max(v, 0.0));
        BOOST_TEST(g.value(std::get<1>(ys))(0, i) == 1 / (1 + std::exp(-v)));
        BOOST_TEST(g.value(std::get<2>(ys))(0, i) == std::tanh(v));
        BOOST_TEST(g.value(std::get<3>(ys))(0, i) == std::log(1 + std::exp(v)));
        BOOST_TEST(g.value(std::get<4>(ys))(0, i) == (v > 0 ? v : 0.2 * v));
        BOOST_TEST(g.value(std::get<5>(ys))(0, i) == v * v);
        BOOST_TEST(g.value(std::get<6>(ys))(0, i) == std::abs(v));
        BOOST_TEST(g.value(std::get<7>(ys))(0, i) == std::clamp(v, -0.5, 0.5));
        BOOST_TEST(g.value(std::get<8>(ys))(0, i) == std::max(v, os[i]));
        BOOST_TEST(g.value(std::get<9>(ys))(0, i) == 2.0 - v / 4.0);
    }
}

BOOST_AUTO_TEST_CASE(softmax_rows_sum_to_one_and_survive_huge_logits, *utf::tolerance(1e-12)) {
    const auto x = tg::input<3>;
    const auto p = tg::softmax(x);
    const auto lp = tg::log_softmax(x);
    auto g = tg::compile<double>(p, lp);
    const std::vector<double> xs{1, 2, 3, 1e4, -1e4, 0};
    g.bind(x, xs);
    g.forward(2);
    const double e = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
    BOOST_TEST(g.value(p)(0, 2) == std::exp(3.0) / e);
    BOOST_TEST(g.value(p)(1, 0) == 1.0);
    BOOST_TEST(g.value(lp)(1, 1) == -2e4);
    BOOST_TEST(g.value(lp)(0, 0) == 1 - std::log(e));
}

BOOST_AUTO_TEST_CASE(matmul_concat_and_reductions) {
    const auto a = tg::input<2, 3>;
    const auto b = tg::named_input<"b", 3, 2>;
    const auto product = tg::matmul(a, b);
    const auto joined = tg::concat(a, tg::named_input<"c", 1, 3>);
    const auto total = tg::sum(a);
    const auto average = tg::mean(a);
    auto g = tg::compile<double>(product, joined, total, average);
    const std::vector<double> as{1, 2, 3, 4, 5, 6}, bs{1, 0, 0, 1, 1, 1}, cs{7, 8, 9};
    g.bind(a, as);
    g.bind(b, bs);
    g.bind(tg::named_input<"c", 1, 3>, cs);
    g.forward(1);
    BOOST_TEST(g.value(product)(0, 0, 0) == 1 + 3);
    BOOST_TEST(g.value(product)(0, 1, 1) == 5 + 6);
    BOOST_TEST(g.value(joined)(0, 2, 1) == 8);
    BOOST_TEST(g.value(total)(0) == 21);
    BOOST_TEST(g.value(average)(0) == 3.5);
}

BOOST_AUTO_TEST_CASE(dropout_masks_in_training_and_is_the_identity_in_evaluation) {
    const auto x = tg::input<1000>;
    const auto dropped = tg::dropout(0.25)(x);
    auto g = tg::compile<double>(tg::sum(dropped * 2.0), dropped);
    g.initialize(5);
    const std::vector<double> xs(2000, 3.0);
    g.bind(x, xs);
    g.track_gradient(x);
    g.forward(2);
    g.backward();
    std::size_t zeros = 0;
    for (std::size_t i = 0; i < 2000; ++i) {
        const double y = g.value(dropped).flat()[i];
        BOOST_TEST((y == 0.0 || std::abs(y - 4.0) < 1e-12));    // 3 / (1 - 0.25)
        BOOST_TEST(g.gradient(x).flat()[i] == (y == 0.0 ? 0.0 : 2.0 / 0.75));  // the same mask
        zeros += y == 0.0;
    }
    BOOST_TEST(zeros > 400u);  // about 500 of 2000 dropped
    BOOST_TEST(zeros < 600u);
    g.set_training(false);
    g.forward(2);
    BOOST_TEST(g.loss() == 12000.0);
    // Same seed, same masks.
    auto h = tg::compile<double>(tg::sum(dropped * 2.0), dropped);
    h.initialize(5);
    h.bind(x, xs);
    g.set_training(true);
    g.initialize(5);
    g.forward(2);
    h.forward(2);
    BOOST_TEST(g.loss() == h.loss());
    BOOST_CHECK_THROW(tg::dropout(1.0), std::invalid_argument);
}
