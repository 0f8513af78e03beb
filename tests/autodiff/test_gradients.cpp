#define BOOST_TEST_DYN_LINK 1  // as Meson's boost dependency defines it (-DBOOST_TEST_DYN_LINK=1): no redefinition warning
#define BOOST_TEST_MODULE autodiff_gradients
#include <boost/test/unit_test.hpp>

#include <boost/mpl/list.hpp>

// Gradient checks of every layer, function and loss of typegrad, in double: the gradients of
// backward() against central finite differences of the loss (tg::gradient_check for parameters,
// a local finite-difference loop for bound inputs). Every function under test sits after at least
// one dense layer, so that the parameters' gradients flow through it; the inputs are random (fixed
// seeds), which keeps kinks (relu, abs, clamp, min/max, l1) away from the finite-difference steps.
// Also: loss values against formulas computed here, and the cross-entropy stability requirement
// (logits of magnitude 1e4 give finite losses and gradients in float and double).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <iostream>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

namespace {

constexpr double tolerance = 1e-6;   // largest relative error accepted, parameters and inputs alike
constexpr std::size_t batch = 3;     // samples per check (sums over the batch are exercised)
// Finite-difference step. Central differences have truncation error ~h^2 and rounding error
// ~eps * |loss| / h; h = 1e-5 (about cbrt(eps)) balances them. With gradient_check's default 1e-6 the
// rounding term alone reaches ~1e-6 relative on small gradients of larger losses (measured: an
// error that grows as 1/h, e.g. 3e-5 at 1e-6 and 5e-7 at 1e-4 for a 1280-element sum-of-squares).
constexpr double fd_step = 1e-5;

// ---- worst relative errors, printed at the end of the run ----
struct worst_error {
    double error = 0;
    std::string where;
    std::size_t checks = 0;
    void record(std::string_view what, double e) {
        ++checks;
        if (e >= error) {
            error = e;
            where = std::string(what);
        }
    }
};
worst_error worst_parameter_error, worst_input_error;

struct report_worst {
    ~report_worst() {
        std::cout << "test_gradients: " << worst_parameter_error.checks << " parameter gradient checks, worst relative error "
                  << worst_parameter_error.error << " (" << worst_parameter_error.where << "); " << worst_input_error.checks
                  << " input gradient checks, worst relative error " << worst_input_error.error << " ("
                  << worst_input_error.where << ")\n";
    }
};
BOOST_TEST_GLOBAL_FIXTURE(report_worst);

// ---- data bound to a graph (a graph reads bound memory, it does not copy it) ----
template <class T = double>
struct feeder {
    explicit feeder(std::uint64_t seed) : rng{seed} {}
    tg::random_generator rng;
    std::deque<std::vector<T>> values;
    std::deque<std::vector<std::int32_t>> label_sets;

    // Uniform values in [lo, hi) for `b` samples.
    template <class G, class Leaf>
    std::vector<T>& uniform(G& g, const Leaf& leaf, double lo = -1, double hi = 1, std::size_t b = batch) {
        auto& v = values.emplace_back(b * Leaf::shape::size);
        for (auto& e : v) e = static_cast<T>(rng.uniform(lo, hi));
        g.bind(leaf, std::span<const T>(v));
        return v;
    }
    // Rows of class probabilities (positive, each row sums to 1).
    template <class G, class Leaf>
    std::vector<T>& probabilities(G& g, const Leaf& leaf, std::size_t b = batch) {
        constexpr std::size_t classes = Leaf::shape::size;
        auto& v = values.emplace_back(b * classes);
        for (std::size_t r = 0; r < b; ++r) {
            double total = 0;
            for (std::size_t c = 0; c < classes; ++c) total += (v[r * classes + c] = static_cast<T>(rng.uniform(0.1, 1.0)));
            for (std::size_t c = 0; c < classes; ++c) v[r * classes + c] = static_cast<T>(v[r * classes + c] / total);
        }
        g.bind(leaf, std::span<const T>(v));
        return v;
    }
    // Given values.
    template <class G, class Leaf>
    std::vector<T>& given(G& g, const Leaf& leaf, std::vector<T> data) {
        auto& v = values.emplace_back(std::move(data));
        g.bind(leaf, std::span<const T>(v));
        return v;
    }
    // Random class labels in [0, classes).
    template <class G, class Leaf>
    std::vector<std::int32_t>& labels(G& g, const Leaf& leaf, std::size_t b = batch) {
        constexpr std::size_t classes = Leaf::op_type::classes;
        auto& v = label_sets.emplace_back(b);
        for (auto& l : v) l = static_cast<std::int32_t>(rng.below(classes));
        g.bind(leaf, std::span<const std::int32_t>(v));
        return v;
    }
    template <class G, class Leaf>
    std::vector<std::int32_t>& given_labels(G& g, const Leaf& leaf, std::vector<std::int32_t> data) {
        auto& v = label_sets.emplace_back(std::move(data));
        g.bind(leaf, std::span<const std::int32_t>(v));
        return v;
    }
};

// One layer's parameters and their gradients. The offset comes from graph::parameters_of(), the size
// from the layer's type (parameters_of()'s own size is checked in layers/parameters_of_size).
template <class G, class Layer>
std::span<typename G::value_type> parameters_of(G& g, const Layer& layer) {
    return {g.parameters_of(layer).data(), Layer::own_parameter_count};
}
template <class G, class Layer>
std::span<const typename G::value_type> gradients_of(G& g, const Layer& layer) {
    const auto offset = static_cast<std::size_t>(g.parameters_of(layer).data() - g.parameters().data());
    return std::span<const typename G::value_type>(g.gradients()).subspan(offset, Layer::own_parameter_count);
}

template <class R>
double sum_of_abs(const R& range) {
    double total = 0;
    for (auto v : range) total += std::abs(double(v));
    return total;
}

// Checks every parameter gradient of g against finite differences; the inputs must be bound.
template <class G>
tg::gradient_check_result check_parameters(G& g, std::string_view what, std::size_t b = batch) {
    const tg::gradient_check_result r = tg::gradient_check(g, b, fd_step);
    worst_parameter_error.record(what, r.max_relative_error);
    BOOST_TEST_CONTEXT("parameter gradients of " << what) {
        BOOST_TEST(r.checked == g.parameter_count());
        BOOST_TEST(r.checked > 0u);
        BOOST_TEST(std::isfinite(g.loss()));
        BOOST_TEST_INFO("worst parameter " << r.worst_index << ": analytic " << r.analytic << ", numeric " << r.numeric);
        BOOST_TEST(r.max_relative_error <= tolerance);
        BOOST_TEST(sum_of_abs(g.gradients()) > 0.0);
    }
    return r;
}

// Checks the gradient with respect to a bound input against central finite differences of the
// loss, perturbing the bound values in place. Same relative error as tg::gradient_check.
// Checks the gradient with respect to a bound input against central finite differences of the
// loss (tg::input_gradient_check perturbs the bound values in place and restores them).
template <class G, class Leaf>
double check_input_gradient(G& g, const Leaf& leaf, std::vector<double>& values, std::string_view what, std::size_t b = batch,
                            double step = fd_step) {
    BOOST_TEST_REQUIRE(values.size() >= b * Leaf::shape::size);
    const tg::gradient_check_result r = tg::input_gradient_check(g, leaf, std::span<double>(values), b, step);
    worst_input_error.record(what, r.max_relative_error);
    BOOST_TEST_CONTEXT("input gradient of " << what) {
        BOOST_TEST(r.checked == b * Leaf::shape::size);
        BOOST_TEST(sum_of_abs(g.gradient(leaf).flat()) > 0.0);
        BOOST_TEST_INFO("worst element " << r.worst_index << ": analytic " << r.analytic << ", numeric " << r.numeric);
        BOOST_TEST(r.max_relative_error <= tolerance);
    }
    return r.max_relative_error;
}

// The common frame of the function checks: x -> body(x) (which starts with at least one dense
// layer) -> dense<3> -> mse against a target. Checks every parameter gradient, and that the
// parameters before the function (all but the head's) receive a gradient through it.
template <class Body>
void check_through(Body body, std::string_view what, std::uint64_t seed, double lo = -1, double hi = 1) {
    const auto x = tg::input<5>;
    const auto head = tg::dense<3>(body(x));
    auto g = tg::compile<double>(tg::mse_loss(head, tg::target<3>));
    g.initialize(seed);
    feeder<> data{seed};
    data.uniform(g, x, lo, hi);
    data.uniform(g, tg::target<3>);
    check_parameters(g, what);
    const double head_gradient = sum_of_abs(gradients_of(g, head));
    const double all_gradient = sum_of_abs(g.gradients());
    BOOST_TEST_CONTEXT(what) {
        BOOST_TEST(g.parameter_count() > decltype(head)::own_parameter_count);
        BOOST_TEST(all_gradient - head_gradient > 1e-9 * all_gradient, "no gradient reaches the parameters before " << what);
    }
}

double log_sum_exp(std::span<const double> row) {
    const double peak = *std::max_element(row.begin(), row.end());
    double total = 0;
    for (double v : row) total += std::exp(v - peak);
    return peak + std::log(total);
}

}  // namespace

// =====================================================================================================
BOOST_AUTO_TEST_SUITE(layers)

BOOST_AUTO_TEST_CASE(dense_with_bias) {
    const auto x = tg::input<5>;
    const auto h = tg::dense<4>(x);
    const auto y = tg::dense<3>(tg::tanh(h));
    auto g = tg::compile<double>(tg::mse_loss(y, tg::target<3>));
    BOOST_TEST(g.parameter_count() == (4u * 5 + 4) + (3u * 4 + 3));
    feeder<> data{1};
    data.uniform(g, x);
    data.uniform(g, tg::target<3>);
    // Biases start at zero; move them so that the check does not start from a special point.
    for (auto& p : parameters_of(g, h).subspan(4 * 5)) p = data.rng.uniform(-0.5, 0.5);
    check_parameters(g, "dense<4> -> tanh -> dense<3>");
    BOOST_TEST(sum_of_abs(gradients_of(g, h).subspan(4 * 5)) > 0.0);  // the bias gradient
    BOOST_TEST(sum_of_abs(gradients_of(g, h).first(4 * 5)) > 0.0);    // the weight gradient
}

BOOST_AUTO_TEST_CASE(dense_without_bias) {
    const auto x = tg::input<5>;
    const auto h = tg::dense<4>.without_bias()(x);
    const auto y = tg::dense<3>.without_bias()(tg::sigmoid(h));
    auto g = tg::compile<double>(tg::mse_loss(y, tg::target<3>));
    BOOST_TEST(g.parameter_count() == 4u * 5 + 3u * 4);
    feeder<> data{2};
    data.uniform(g, x);
    data.uniform(g, tg::target<3>);
    check_parameters(g, "dense<4>.without_bias() -> sigmoid -> dense<3>.without_bias()");
}

// Regression test: graph::parameters_of() once sized a layer's blocks with the layer node itself as
// the op's input (param_blocks_of<X::op_type, X>), i.e. with its output size as fan-in, so that
// parameters_of(tg::dense<4>(tg::input<5>)) had 20 elements instead of 24. Layers with in != out here.
BOOST_AUTO_TEST_CASE(parameters_of_size) {
    const auto h = tg::dense<4>(tg::input<5>);
    const auto k = tg::dense<2>.without_bias()(tg::tanh(h));
    const auto y = tg::dense<3>(k);
    auto g = tg::compile<double>(tg::sum(y));
    BOOST_TEST(g.parameter_count() == 24u + 8u + 9u);
    BOOST_TEST(g.parameters_of(h).size() == 24u);  // weight [4, 5], bias [4]
    BOOST_TEST(g.parameters_of(k).size() == 8u);   // weight [2, 4]
    BOOST_TEST(g.parameters_of(y).size() == 9u);   // weight [3, 2], bias [3]
}

BOOST_AUTO_TEST_CASE(dense_with_other_initialisers_and_chains) {
    auto y = tg::input<6> | tg::dense<5>.with_init(tg::init_scheme::he_normal) | tg::softplus |
             tg::dense<4>.with_init(tg::init_scheme::glorot_normal) | tg::tanh | tg::dense<2>.with_init(tg::init_scheme::he_uniform);
    auto g = tg::compile<double>(tg::mse_loss(y, tg::target<2>));
    g.initialize(3);
    feeder<> data{3};
    data.uniform(g, tg::input<6>);
    data.uniform(g, tg::target<2>);
    check_parameters(g, "chain 6 -> 5 -> 4 -> 2 with he/glorot initialisers");
}

// Big enough for the products to go to BLAS (m * n * k >= 32^3) in forward and backward.
BOOST_AUTO_TEST_CASE(dense_large_enough_for_blas) {
    constexpr std::size_t b = 40;
    const auto x = tg::input<32>;
    const auto h = tg::dense<64>(x);
    const auto y = tg::dense<32>(tg::tanh(h));
    // sum(y * t): a loss of small magnitude next to its gradients, so that rounding in the loss does not
    // swamp the finite differences of 2000 parameters.
    auto g = tg::compile<double>(tg::sum(y * tg::target<32>));
    g.initialize(4);
    feeder<> data{4};
    auto& xs = data.uniform(g, x, -1, 1, b);
    data.uniform(g, tg::target<32>, -1, 1, b);
    check_parameters(g, "dense<64> and dense<32> on 32 inputs, batch 40 (BLAS)", b);
    check_input_gradient(g, x, xs, "input<32> of the BLAS-sized dense layers", b);
}

BOOST_AUTO_TEST_CASE(flatten_and_reshape) {
    // flatten a rank-3 input into a dense layer; reshape a dense output into matrices for matmul.
    const auto x = tg::input<2, 3, 3>;
    const auto y = tg::dense<4>(tg::flatten(x));
    const auto product = tg::matmul(tg::reshape<2, 2>(y), tg::reshape<2, 2>(tg::dense<4>(tg::flatten(x))));
    static_assert(decltype(product)::output_shape == tg::shape<2, 2>{});
    auto g = tg::compile<double>(tg::sum(tg::square(product)) + tg::mse_loss(y, tg::target<4>));
    g.initialize(17);
    feeder<> data{17};
    auto& xs = data.uniform(g, x);
    data.uniform(g, tg::target<4>);
    check_parameters(g, "flatten, reshape and matmul of dense outputs");
    check_input_gradient(g, x, xs, "flatten of a rank-3 input");
}

BOOST_AUTO_TEST_CASE(convolution_and_pooling) {
    // conv2d (valid and same padding, strides, with and without bias), max and average pooling
    // (overlapping windows, and a partial last window left out), global average pooling.
    const auto x = tg::input<2, 7, 8>;  // -> (3, 4, 4) -> (3, 3, 3) -> (2, 2, 2) -> (2, 1, 1)
    const auto a = x | tg::conv2d<3, 3, 2, tg::padding::same> | tg::tanh | tg::avg_pool<2, 1> | tg::conv2d<2, 2>.without_bias() |
                   tg::max_pool<2, 1>;
    const auto b = tg::global_average_pool(tg::max_pool<3, 2>(tg::conv2d<4, 2>(x)));  // (4, 6, 7) -> (4, 2, 3) -> 4
    auto g = tg::compile<double>(tg::sum(tg::square(tg::flatten(a))) + tg::mse_loss(b, tg::target<4>));
    g.initialize(21);
    feeder<> data{21};
    auto& xs = data.uniform(g, x);
    data.uniform(g, tg::target<4>);
    check_parameters(g, "conv2d, max_pool, avg_pool, global_average_pool");
    check_input_gradient(g, x, xs, "input of conv2d layers");
}

BOOST_AUTO_TEST_CASE(convolution_over_several_groups_of_samples) {
    // conv2d works through a batch a group of samples at a time (ops::conv2d::samples_per_group):
    // 35 samples make two whole groups and a partial one.
    constexpr std::size_t samples = 2 * tg::ops::conv2d<2, 3>::samples_per_group + 3;
    const auto x = tg::input<2, 5, 5>;
    auto g = tg::compile<double>(tg::mse_loss(tg::flatten(x | tg::conv2d<2, 3> | tg::tanh | tg::conv2d<1, 2>), tg::target<4>));
    g.initialize(22);
    feeder<> data{22};
    auto& xs = data.uniform(g, x, -1, 1, samples);
    data.uniform(g, tg::target<4>, -1, 1, samples);
    check_parameters(g, "conv2d over 35 samples", samples);
    check_input_gradient(g, x, xs, "input of conv2d over 35 samples", samples);
}

BOOST_AUTO_TEST_SUITE_END()

// =====================================================================================================
BOOST_AUTO_TEST_SUITE(functions)

BOOST_AUTO_TEST_CASE(activations) {
    check_through([](auto x) { return tg::identity(tg::dense<4>(x)); }, "identity", 10);
    check_through([](auto x) { return tg::sigmoid(tg::dense<4>(x)); }, "sigmoid", 11, -3, 3);
    check_through([](auto x) { return tg::tanh(tg::dense<4>(x)); }, "tanh", 12, -3, 3);
    check_through([](auto x) { return tg::relu(tg::dense<4>(x)); }, "relu", 13);
    check_through([](auto x) { return tg::leaky_relu(tg::dense<4>(x)); }, "leaky_relu", 14);
    check_through([](auto x) { return tg::leaky_relu.with_slope(0.2)(tg::dense<4>(x)); }, "leaky_relu.with_slope(0.2)", 15);
    check_through([](auto x) { return x | tg::dense<4> | tg::leaky_relu.with_slope(0.3); }, "x | dense | leaky_relu.with_slope(0.3)", 16);
    check_through([](auto x) { return tg::softplus(tg::dense<4>(x)); }, "softplus", 17, -3, 3);
    check_through([](auto x) { return tg::softmax(tg::dense<4>(x)); }, "softmax", 18, -2, 2);
    check_through([](auto x) { return tg::log_softmax(tg::dense<4>(x)); }, "log_softmax", 19, -2, 2);
}

// relu and leaky_relu must have both signs among their inputs for the check to mean anything.
BOOST_AUTO_TEST_CASE(relu_family_sees_both_signs) {
    const auto x = tg::input<5>;
    const auto h = tg::dense<6>(x);
    auto g = tg::compile<double>(tg::sum(tg::relu(h) + tg::leaky_relu.with_slope(0.2)(h)), h);
    feeder<> data{20};
    data.uniform(g, x);
    g.forward(batch);
    const auto values = g.value(h).flat();
    BOOST_TEST(std::any_of(values.begin(), values.end(), [](double v) { return v > 0; }));
    BOOST_TEST(std::any_of(values.begin(), values.end(), [](double v) { return v < 0; }));
    double expected = 0;
    for (double v : values) expected += (v > 0 ? v : 0) + (v > 0 ? v : 0.2 * v);
    BOOST_TEST(g.loss() == expected, boost::test_tools::tolerance(1e-12));
    check_parameters(g, "sum(relu(h) + leaky_relu.with_slope(0.2)(h))");
}

BOOST_AUTO_TEST_CASE(exp_log_sqrt) {
    check_through([](auto x) { return tg::exp(tg::dense<4>(x)); }, "exp", 30);
    check_through([](auto x) { return tg::log(tg::exp(tg::dense<4>(x))); }, "log(exp)", 31);
    check_through([](auto x) { return tg::log(tg::softplus(tg::dense<4>(x))); }, "log(softplus)", 32);
    check_through([](auto x) { return tg::log(tg::square(tg::dense<4>(x)) + 1); }, "log(square + 1)", 33);
    check_through([](auto x) { return tg::sqrt(tg::softplus(tg::dense<4>(x))); }, "sqrt(softplus)", 34);
    check_through([](auto x) { return tg::sqrt(tg::square(tg::dense<4>(x)) + 0.5); }, "sqrt(square + 0.5)", 35);
}

BOOST_AUTO_TEST_CASE(abs_square_pow_clamp) {
    check_through([](auto x) { return tg::abs(tg::dense<4>(x)); }, "abs", 40);
    check_through([](auto x) { return tg::square(tg::dense<4>(x)); }, "square", 41);
    check_through([](auto x) { return tg::pow(tg::dense<4>(x), 3.0); }, "pow(h, 3)", 42);
    check_through([](auto x) { return tg::pow(tg::softplus(tg::dense<4>(x)), 1.5); }, "pow(softplus, 1.5)", 43);
    check_through([](auto x) { return tg::pow(tg::square(tg::dense<4>(x)) + 1, -0.5); }, "pow(square + 1, -0.5)", 44);
    check_through([](auto x) { return tg::clamp(tg::dense<4>(x), -0.3, 0.4); }, "clamp(h, -0.3, 0.4)", 45);
}

// clamp passes gradient inside [low, high] only: some elements on each side for the check to bite.
BOOST_AUTO_TEST_CASE(clamp_sees_inside_and_outside) {
    const auto x = tg::input<5>;
    const auto h = tg::dense<6>(x);
    auto g = tg::compile<double>(tg::sum(tg::square(tg::clamp(h, -0.3, 0.4))), h);
    feeder<> data{46};
    data.uniform(g, x);
    g.forward(batch);
    const auto values = g.value(h).flat();
    BOOST_TEST(std::any_of(values.begin(), values.end(), [](double v) { return v > -0.3 && v < 0.4; }));
    BOOST_TEST(std::any_of(values.begin(), values.end(), [](double v) { return v < -0.3 || v > 0.4; }));
    double expected = 0;
    for (double v : values) expected += std::pow(std::clamp(v, -0.3, 0.4), 2);
    BOOST_TEST(g.loss() == expected, boost::test_tools::tolerance(1e-12));
    check_parameters(g, "sum(square(clamp(h, -0.3, 0.4)))");
}

BOOST_AUTO_TEST_CASE(min_and_max) {
    check_through([](auto x) { return tg::min(tg::dense<4>(x), tg::dense<4>(x)); }, "min(e, e)", 50);
    check_through([](auto x) { return tg::max(tg::dense<4>(x), tg::dense<4>(x)); }, "max(e, e)", 51);
    check_through([](auto x) { return tg::min(tg::dense<4>(x), 0.1); }, "min(e, 0.1)", 52);
    check_through([](auto x) { return tg::max(tg::dense<4>(x), -0.1); }, "max(e, -0.1)", 53);
    check_through([](auto x) { return tg::max(tg::dense<4>(x), 0); }, "max(e, 0) (int)", 54);
}

// Both operands of min/max must win somewhere, or one of the two layers is never checked.
BOOST_AUTO_TEST_CASE(min_max_both_operands_receive_gradient) {
    const auto x = tg::input<5>;
    const auto a = tg::dense<4>(x);
    const auto b = tg::dense<4>(x);
    auto g = tg::compile<double>(tg::sum(tg::square(tg::min(a, b)) + tg::max(a, b)));
    g.initialize(55);
    feeder<> data{55};
    data.uniform(g, x, -2, 2);
    check_parameters(g, "sum(square(min(a, b)) + max(a, b))");
    BOOST_TEST(sum_of_abs(gradients_of(g, a)) > 0.0);
    BOOST_TEST(sum_of_abs(gradients_of(g, b)) > 0.0);
}

BOOST_AUTO_TEST_CASE(arithmetic_expression_expression) {
    check_through([](auto x) { return tg::dense<4>(x) + tg::dense<4>(x); }, "e + e", 60);
    check_through([](auto x) { return tg::dense<4>(x) - tg::dense<4>(x); }, "e - e", 61);
    check_through([](auto x) { return tg::dense<4>(x) * tg::dense<4>(x); }, "e * e", 62);
    check_through([](auto x) { return tg::dense<4>(x) / (tg::square(tg::dense<4>(x)) + 1); }, "e / (e^2 + 1)", 63);
    check_through([](auto x) { return tg::dense<4>(x) / tg::exp(tg::dense<4>(x)); }, "e / exp(e)", 64);
    // The same operand on both sides: the two contributions must add up.
    check_through([](auto x) { const auto h = tg::dense<4>(x); return h * h - h; }, "h * h - h (one node, three uses)", 65);
}

BOOST_AUTO_TEST_CASE(arithmetic_with_numbers) {
    check_through([](auto x) { return tg::dense<4>(x) + 2; }, "e + 2", 70);
    check_through([](auto x) { return 2.5 + tg::dense<4>(x); }, "2.5 + e", 71);
    check_through([](auto x) { return tg::dense<4>(x) - 2; }, "e - 2", 72);
    check_through([](auto x) { return 2 - tg::dense<4>(x); }, "2 - e", 73);
    check_through([](auto x) { return tg::dense<4>(x) * 3; }, "e * 3", 74);
    check_through([](auto x) { return -1.5 * tg::dense<4>(x); }, "-1.5 * e", 75);
    check_through([](auto x) { return tg::dense<4>(x) / 4.0; }, "e / 4", 76);
    check_through([](auto x) { return 3 / (tg::square(tg::dense<4>(x)) + 1); }, "3 / (e^2 + 1)", 77);
    check_through([](auto x) { return 2.0f * tg::dense<4>(x) + 1u; }, "2.0f * e + 1u", 78);
    check_through([](auto x) { return -tg::dense<4>(x); }, "-e", 79);
    check_through([](auto x) { return -(-tg::tanh(tg::dense<4>(x))); }, "-(-tanh(e))", 80);
}

// The values of the number forms, so that e.g. 2 - e is not computed as e - 2.
BOOST_AUTO_TEST_CASE(arithmetic_with_numbers_values) {
    const auto x = tg::input<3>;
    const auto a = x + 2;
    const auto b = 2 - x;
    const auto c = x - 2;
    const auto d = 3 * x;
    const auto e = x / 4;
    const auto f = 3 / x;
    const auto m = -x;
    const auto lo = tg::min(x, 0.25);
    const auto hi = tg::max(x, 0.25);
    const auto p = tg::pow(x, 2.0);
    auto g = tg::compile<double>(tg::sum(x), a, b, c, d, e, f, m, lo, hi, p);
    feeder<> data{81};
    const auto& xs = data.given(g, x, {0.5, -2.0, 4.0});
    g.forward(1);
    for (std::size_t i = 0; i < 3; ++i) {
        const double v = xs[i];
        BOOST_TEST(g.value(a)(0, i) == v + 2);
        BOOST_TEST(g.value(b)(0, i) == 2 - v);
        BOOST_TEST(g.value(c)(0, i) == v - 2);
        BOOST_TEST(g.value(d)(0, i) == 3 * v);
        BOOST_TEST(g.value(e)(0, i) == v / 4);
        BOOST_TEST(g.value(f)(0, i) == 3 / v);
        BOOST_TEST(g.value(m)(0, i) == -v);
        BOOST_TEST(g.value(lo)(0, i) == std::min(v, 0.25));
        BOOST_TEST(g.value(hi)(0, i) == std::max(v, 0.25));
        BOOST_TEST(g.value(p)(0, i) == v * v, boost::test_tools::tolerance(1e-14));
    }
    BOOST_TEST(g.loss() == 2.5);
}

// Broadcasting: a scalar (shape<>) operand with a tensor, unbatched (a loss, a mean) or per sample.
BOOST_AUTO_TEST_CASE(scalar_shape_broadcasting) {
    const auto s = [](auto x) { return tg::mean(tg::square(tg::dense<2>(x))); };  // unbatched scalar with parameters
    check_through([&](auto x) { return s(x) * tg::tanh(tg::dense<4>(x)); }, "mean(...) * tensor", 90);
    check_through([&](auto x) { return tg::tanh(tg::dense<4>(x)) * s(x); }, "tensor * mean(...)", 91);
    check_through([&](auto x) { return s(x) + tg::dense<4>(x); }, "mean(...) + tensor", 92);
    check_through([&](auto x) { return tg::dense<4>(x) - s(x); }, "tensor - mean(...)", 93);
    check_through([&](auto x) { return s(x) - tg::dense<4>(x); }, "mean(...) - tensor", 94);
    check_through([&](auto x) { return tg::dense<4>(x) / (s(x) + 1); }, "tensor / (mean(...) + 1)", 95);
    check_through([&](auto x) { return s(x) / (tg::square(tg::dense<4>(x)) + 1); }, "mean(...) / (tensor^2 + 1)", 96);
    check_through([&](auto x) { return tg::min(tg::dense<4>(x), s(x)); }, "min(tensor, mean(...))", 97);
    check_through([&](auto x) { return tg::max(s(x), tg::dense<4>(x)); }, "max(mean(...), tensor)", 98);
    check_through([](auto x) { return tg::sum(tg::dense<2>(x)) * tg::dense<4>(x); }, "sum(...) * tensor", 99);
}

BOOST_AUTO_TEST_CASE(loss_times_loss) {
    const auto x = tg::input<5>;
    const auto l1 = tg::mse_loss(tg::dense<3>(x), tg::target<3>);
    const auto l2 = tg::cross_entropy(tg::dense<3>(tg::tanh(tg::dense<4>(x))), tg::labels<3>);
    auto check = [&](auto loss, std::string_view what, std::uint64_t seed) {
        auto g = tg::compile<double>(loss, l1, l2);
        g.initialize(seed);
        feeder<> data{seed};
        data.uniform(g, x);
        data.uniform(g, tg::target<3>);
        data.labels(g, tg::labels<3>);
        check_parameters(g, what);
        const double a = g.value(l1)(0), b = g.value(l2)(0);
        return std::pair{g.loss(), std::pair{a, b}};
    };
    {
        auto [loss, parts] = check(l1 * l2, "loss1 * loss2", 100);
        BOOST_TEST(loss == parts.first * parts.second, boost::test_tools::tolerance(1e-14));
    }
    {
        auto [loss, parts] = check(l1 / (l2 + 1), "loss1 / (loss2 + 1)", 101);
        BOOST_TEST(loss == parts.first / (parts.second + 1), boost::test_tools::tolerance(1e-14));
    }
    {
        auto [loss, parts] = check(l2 - 0.5 * l1, "loss2 - 0.5 * loss1", 102);
        BOOST_TEST(loss == parts.second - 0.5 * parts.first, boost::test_tools::tolerance(1e-14));
    }
    {
        auto [loss, parts] = check(0.3 * l1 + 0.7 * l2, "0.3 * loss1 + 0.7 * loss2", 103);
        BOOST_TEST(loss == 0.3 * parts.first + 0.7 * parts.second, boost::test_tools::tolerance(1e-14));
    }
}

// A per-sample scalar (batched shape<>) times a tensor: its gradient is the sum over the tensor's
// elements of each sample. Checked on the parameters and, for the scalar itself, on the input.
BOOST_AUTO_TEST_CASE(per_sample_scalar_broadcasting) {
    const auto x = tg::input<5>;
    const auto s = tg::input<>;
    const auto h = tg::dense<4>(x);
    // s * mean(...): a per-sample scalar times an unbatched scalar is a per-sample scalar
    const auto y = tg::dense<3>(tg::tanh(s * h + h / (tg::square(s) + 1) - (s + 0.5) + s * tg::mean(tg::square(h))));
    auto g = tg::compile<double>(tg::mse_loss(y, tg::target<3>));
    g.initialize(110);
    feeder<> data{110};
    data.uniform(g, x);
    auto& ss = data.uniform(g, s, -2, 2);
    data.uniform(g, tg::target<3>);
    check_parameters(g, "per-sample scalar * tensor");
    check_input_gradient(g, s, ss, "per-sample scalar input<> broadcast over a tensor");
}

// softmax and log_softmax of a rank-2 tensor act on each row (the last axis) of each sample.
BOOST_AUTO_TEST_CASE(softmax_rank2_rows) {
    const auto a = tg::named_input<"a", 3, 4>;
    const auto x = tg::input<5>;
    const auto scaled = a * (tg::mean(tg::dense<2>(x)) + 1);
    const auto p = tg::softmax(scaled);
    const auto lp = tg::log_softmax(scaled);
    const auto t = tg::named_target<"t", 3, 4>;
    auto g = tg::compile<double>(tg::mse_loss(p, t) + tg::mean(lp * t), p, lp, scaled);
    g.initialize(125);
    feeder<> data{125};
    data.uniform(g, x);
    auto& as = data.uniform(g, a, -2, 2);
    data.uniform(g, t);
    check_parameters(g, "softmax and log_softmax of a rank-2 tensor");
    check_input_gradient(g, a, as, "softmax and log_softmax of a rank-2 tensor: input");
    g.forward(batch);
    for (std::size_t s = 0; s < batch; ++s)
        for (std::size_t i = 0; i < 3; ++i) {
            double total = 0;
            std::vector<double> row(4);
            for (std::size_t j = 0; j < 4; ++j) total += g.value(p)(s, i, j), row[j] = g.value(scaled)(s, i, j);
            BOOST_TEST(total == 1.0, boost::test_tools::tolerance(1e-14));
            for (std::size_t j = 0; j < 4; ++j)
                BOOST_TEST(g.value(lp)(s, i, j) == row[j] - log_sum_exp(row), boost::test_tools::tolerance(1e-13));
        }
}

BOOST_AUTO_TEST_CASE(sum_and_mean) {
    const auto x = tg::input<5>;
    const auto h = tg::tanh(tg::dense<4>(x));
    {
        auto g = tg::compile<double>(tg::sum(tg::square(tg::dense<3>(h))));
        g.initialize(120);
        feeder<> data{120};
        data.uniform(g, x);
        check_parameters(g, "sum(square(dense(...)))");
    }
    {
        auto g = tg::compile<double>(tg::mean(tg::dense<3>(h) * tg::dense<3>(h)));
        g.initialize(121);
        feeder<> data{121};
        data.uniform(g, x);
        check_parameters(g, "mean(dense * dense)");
    }
    {  // sum of a sum: an unbatched scalar reduced again
        auto g = tg::compile<double>(tg::square(tg::sum(tg::dense<3>(h))) + tg::mean(tg::mean(tg::exp(tg::dense<3>(h)))));
        g.initialize(122);
        feeder<> data{122};
        data.uniform(g, x);
        check_parameters(g, "square(sum(...)) + mean(mean(exp(...)))");
    }
}

// matmul of per-sample matrices. There is no reshape in the library, so a dense layer cannot produce
// a rank-2 operand directly; parameters reach the matmul through scalar broadcasting (a mean with
// parameters times a rank-2 input), and the matmul is checked on its inputs with track_gradient.
BOOST_AUTO_TEST_CASE(matmul_per_sample) {
    const auto a = tg::named_input<"a", 3, 4>;
    const auto b = tg::named_input<"b", 4, 2>;
    const auto t = tg::named_target<"t", 3, 2>;
    {  // inputs only: both operands' gradients against finite differences
        const auto product = tg::matmul(a, b);
        static_assert(decltype(product)::output_shape == tg::shape<3, 2>{});
        auto g = tg::compile<double>(tg::mse_loss(tg::tanh(product), t), product);
        feeder<> data{130};
        auto& as = data.uniform(g, a);
        auto& bs = data.uniform(g, b);
        data.uniform(g, t);
        g.forward(batch);
        for (std::size_t s = 0; s < batch; ++s)
            for (std::size_t i = 0; i < 3; ++i)
                for (std::size_t j = 0; j < 2; ++j) {
                    double expected = 0;
                    for (std::size_t k = 0; k < 4; ++k) expected += as[s * 12 + i * 4 + k] * bs[s * 8 + k * 2 + j];
                    BOOST_TEST(g.value(product)(s, i, j) == expected, boost::test_tools::tolerance(1e-14));
                }
        check_input_gradient(g, a, as, "matmul(a, b): a");
        check_input_gradient(g, b, bs, "matmul(a, b): b");
    }
    {  // parameters through both operands
        const auto x = tg::input<5>;
        const auto s1 = tg::mean(tg::tanh(tg::dense<3>(x)));
        const auto s2 = tg::sum(tg::square(tg::dense<2>(x)));
        const auto left = a * (s1 + 1);
        const auto right = tg::tanh(b * s2 + b);
        auto g = tg::compile<double>(tg::mse_loss(tg::matmul(left, right), t));
        g.initialize(131);
        feeder<> data{131};
        data.uniform(g, x);
        auto& as = data.uniform(g, a);
        data.uniform(g, b);
        data.uniform(g, t);
        check_parameters(g, "matmul(a * (mean(dense) + 1), tanh(b * sum(dense^2) + b))");
        check_input_gradient(g, a, as, "matmul with parameter-dependent operands: a");
    }
    {  // the same operand on both sides of a matmul (a square per-sample matrix)
        const auto m = tg::named_input<"m", 3, 3>;
        const auto x = tg::input<5>;
        const auto scaled = m * tg::mean(tg::dense<2>(x));
        auto g = tg::compile<double>(tg::sum(tg::square(tg::matmul(scaled, scaled))));
        g.initialize(132);
        feeder<> data{132};
        data.uniform(g, x);
        auto& ms = data.uniform(g, m);
        check_parameters(g, "matmul(s * m, s * m)");
        check_input_gradient(g, m, ms, "matmul(s * m, s * m): m");
    }
}

BOOST_AUTO_TEST_CASE(concat_rank1) {
    check_through([](auto x) { return tg::concat(tg::tanh(tg::dense<2>(x)), tg::dense<3>(x)); }, "concat(tanh(dense<2>), dense<3>)", 140);
    check_through([](auto x) { const auto h = tg::dense<2>(x); return tg::concat(h, tg::sigmoid(h)); }, "concat(h, sigmoid(h))", 141);
    // concat with an input on one side: the input's gradient is routed back through the right half
    const auto x = tg::input<5>;
    const auto u = tg::named_input<"u", 2>;
    const auto y = tg::dense<3>(tg::concat(u, tg::tanh(tg::dense<4>(x))));
    auto g = tg::compile<double>(tg::mse_loss(y, tg::target<3>), tg::concat(u, tg::tanh(tg::dense<4>(x))));
    g.initialize(142);
    feeder<> data{142};
    data.uniform(g, x);
    auto& us = data.uniform(g, u);
    data.uniform(g, tg::target<3>);
    check_parameters(g, "dense(concat(input, tanh(dense)))");
    check_input_gradient(g, u, us, "concat(input<2>, ...): the input");
    check_input_gradient(g, x, data.values[0], "concat(..., tanh(dense(x))): x");
}

BOOST_AUTO_TEST_CASE(concat_rank2) {
    const auto a = tg::named_input<"a", 2, 3>;
    const auto c = tg::named_input<"c", 1, 3>;
    const auto b = tg::named_input<"b", 3, 2>;
    const auto x = tg::input<5>;
    const auto joined = tg::concat(a * tg::mean(tg::tanh(tg::dense<3>(x))), tg::sigmoid(c + tg::sum(tg::dense<2>(x))));
    static_assert(decltype(joined)::output_shape == tg::shape<3, 3>{});
    auto g = tg::compile<double>(tg::sum(tg::square(tg::matmul(joined, b))), joined);
    g.initialize(150);
    feeder<> data{150};
    data.uniform(g, x);
    auto& as = data.uniform(g, a);
    auto& cs = data.uniform(g, c);
    data.uniform(g, b);
    check_parameters(g, "matmul(concat(<2,3>, <1,3>), <3,2>)");
    check_input_gradient(g, a, as, "concat rank 2: first operand");
    check_input_gradient(g, c, cs, "concat rank 2: second operand");
    // Layout: per sample, rows 0-1 are a's 6 values times one (unbatched) scale, row 2 is
    // sigmoid(c + one unbatched offset): first-axis concatenation of row-major blocks.
    g.forward(batch);
    const auto v = g.value(joined);
    const double scale = v(0, 0, 0) / as[0];
    const double offset = std::log(v(0, 2, 0) / (1 - v(0, 2, 0))) - cs[0];
    for (std::size_t s = 0; s < batch; ++s)
        for (std::size_t j = 0; j < 3; ++j) {
            for (std::size_t i = 0; i < 2; ++i) BOOST_TEST(v(s, i, j) == scale * as[s * 6 + i * 3 + j], boost::test_tools::tolerance(1e-12));
            BOOST_TEST(v(s, 2, j) == 1 / (1 + std::exp(-(cs[s * 3 + j] + offset))), boost::test_tools::tolerance(1e-12));
        }
}

BOOST_AUTO_TEST_SUITE_END()

// =====================================================================================================
BOOST_AUTO_TEST_SUITE(losses)

BOOST_AUTO_TEST_CASE(pointwise_losses) {
    const auto x = tg::input<5>;
    const auto y = tg::dense<3>(tg::tanh(tg::dense<4>(x)));
    const auto t = tg::target<3>;
    auto check = [&](auto loss, std::string_view what, std::uint64_t seed, double t_lo, double t_hi) {
        auto g = tg::compile<double>(loss);
        g.initialize(seed);
        feeder<> data{seed};
        data.uniform(g, x);
        auto& ts = data.uniform(g, t, t_lo, t_hi);
        check_parameters(g, what);
        check_input_gradient(g, t, ts, std::string(what) + ", target");
    };
    check(tg::mse_loss(y, t), "mse_loss (mean)", 200, -1, 1);
    check(tg::mse_loss(y, t, tg::reduction::sum), "mse_loss (sum)", 201, -1, 1);
    check(tg::l1_loss(y, t), "l1_loss (mean)", 202, -1, 1);
    check(tg::l1_loss(y, t, tg::reduction::sum), "l1_loss (sum)", 203, -1, 1);
    check(tg::binary_cross_entropy(y, t), "binary_cross_entropy (mean)", 204, 0, 1);
    check(tg::binary_cross_entropy(y, t, tg::reduction::sum), "binary_cross_entropy (sum)", 205, 0, 1);
    check(tg::binary_cross_entropy(3 * y, t), "binary_cross_entropy of larger logits", 206, 0, 1);
}

// A computed target: the gradient also flows into the target's parameters.
BOOST_AUTO_TEST_CASE(pointwise_losses_with_computed_targets) {
    const auto x = tg::input<5>;
    const auto z = tg::named_input<"z", 4>;
    const auto y = tg::dense<3>(tg::tanh(tg::dense<4>(x)));
    const auto computed = tg::dense<3>(z);
    auto check = [&](auto loss, std::string_view what, std::uint64_t seed) {
        auto g = tg::compile<double>(loss);
        g.initialize(seed);
        feeder<> data{seed};
        data.uniform(g, x);
        data.uniform(g, z);
        check_parameters(g, what);
        BOOST_TEST(sum_of_abs(gradients_of(g, computed)) > 0.0, what << ": no gradient reaches the target's layer");
    };
    check(tg::mse_loss(y, computed), "mse_loss(y, dense(z))", 210);
    check(tg::l1_loss(y, computed, tg::reduction::sum), "l1_loss(y, dense(z), sum)", 211);
    check(tg::binary_cross_entropy(y, tg::sigmoid(computed)), "binary_cross_entropy(y, sigmoid(dense(z)))", 212);
}

BOOST_AUTO_TEST_CASE(cross_entropy_with_labels) {
    const auto x = tg::input<5>;
    const auto logits = tg::dense<4>(tg::tanh(tg::dense<6>(x)));
    const auto labels = tg::labels<4>;
    auto check = [&](auto loss, std::string_view what, std::uint64_t seed) {
        auto g = tg::compile<double>(loss);
        g.initialize(seed);
        feeder<> data{seed};
        auto& xs = data.uniform(g, x, -2, 2, 5);
        data.given_labels(g, labels, {0, 3, 1, 3, 2});
        check_parameters(g, what, 5);
        check_input_gradient(g, x, xs, std::string(what) + ", input", 5);
    };
    check(tg::cross_entropy(logits, labels), "cross_entropy(labels)", 220);
    check(tg::cross_entropy(logits, labels, {.mode = tg::reduction::sum}), "cross_entropy(labels, sum)", 221);
    check(tg::cross_entropy(logits, labels, {.class_weights = {1.0, 3.0, 0.5, 2.0}}), "cross_entropy(labels, weights, mean)", 222);
    check(tg::cross_entropy(logits, labels, {.class_weights = {1.0, 3.0, 0.5, 2.0}, .mode = tg::reduction::sum}),
          "cross_entropy(labels, weights, sum)", 223);
    // named labels, piped logits
    const auto named = tg::named_labels<"cls", 4>;
    auto g = tg::compile<double>(tg::cross_entropy(x | tg::dense<4> | tg::relu | tg::dense<4>, named));
    g.initialize(224);
    feeder<> data{224};
    data.uniform(g, x);
    data.labels(g, named);
    check_parameters(g, "cross_entropy(named_labels)");
}

BOOST_AUTO_TEST_CASE(cross_entropy_with_probabilities) {
    const auto x = tg::input<5>;
    const auto logits = tg::dense<4>(tg::tanh(tg::dense<6>(x)));
    const auto p = tg::target<4>;
    auto check = [&](auto loss, std::string_view what, std::uint64_t seed) {
        auto g = tg::compile<double>(loss);
        g.initialize(seed);
        feeder<> data{seed};
        data.uniform(g, x, -2, 2);
        auto& ps = data.probabilities(g, p);
        check_parameters(g, what);
        check_input_gradient(g, p, ps, std::string(what) + ", target probabilities");
    };
    check(tg::cross_entropy(logits, p), "cross_entropy(probabilities)", 230);
    check(tg::cross_entropy(logits, p, {.mode = tg::reduction::sum}), "cross_entropy(probabilities, sum)", 231);
    check(tg::cross_entropy(logits, p, {.class_weights = {1.0, 3.0, 0.5, 2.0}}), "cross_entropy(probabilities, weights, mean)", 232);
    check(tg::cross_entropy(logits, p, {.class_weights = {1.0, 3.0, 0.5, 2.0}, .mode = tg::reduction::sum}),
          "cross_entropy(probabilities, weights, sum)", 233);
}

// A computed distribution as the target (soft labels from another layer): the gradient flows into
// both sides. Regression test: cross_entropy::traits once named L::op_type::classes for every L
// (only leaves have it), so a non-leaf target did not compile.
BOOST_AUTO_TEST_CASE(cross_entropy_with_computed_probabilities) {
    const auto x = tg::input<5>;
    const auto logits = tg::dense<4>(tg::tanh(tg::dense<6>(x)));
    const auto z = tg::named_input<"z", 3>;
    const auto teacher = tg::dense<4>(z);
    auto g = tg::compile<double>(tg::cross_entropy(logits, tg::softmax(teacher), {.class_weights = {2.0, 1.0, 1.0, 0.5}}));
    g.initialize(234);
    feeder<> data{234};
    data.uniform(g, x);
    data.uniform(g, z);
    check_parameters(g, "cross_entropy(logits, softmax(dense(z)), weights)");
    BOOST_TEST(sum_of_abs(gradients_of(g, teacher)) > 0.0);  // the gradient reaches the target's layer
}

BOOST_AUTO_TEST_CASE(weight_penalties) {
    const auto x = tg::input<5>;
    const auto h = tg::dense<4>(x);
    const auto y = tg::dense<3>(tg::tanh(h));
    const auto data_loss = tg::mse_loss(y, tg::target<3>);
    auto check = [&](auto loss, std::string_view what, std::uint64_t seed) {
        auto g = tg::compile<double>(loss);
        g.initialize(seed);
        feeder<> data{seed};
        data.uniform(g, x);
        data.uniform(g, tg::target<3>);
        for (auto& p : g.parameters()) p += data.rng.uniform(-0.2, 0.2);  // non-zero biases too
        check_parameters(g, what);
    };
    check(data_loss + 1e-2 * tg::l2_penalty(tg::weights_of(y)), "mse + 1e-2 * l2_penalty", 240);
    check(data_loss + 1e-2 * tg::l1_penalty(tg::weights_of(y)), "mse + 1e-2 * l1_penalty", 241);
    check(data_loss + 0.1 * tg::l2_penalty(tg::weights_of(h)) + 0.05 * tg::l1_penalty(tg::weights_of(y)),
          "mse + 0.1 * l2(first layer) + 0.05 * l1(all)", 242);
    check(tg::l2_penalty(tg::weights_of(y)) * data_loss, "l2_penalty * mse", 243);
    // A penalty alone: the gradient is 2w (L2) on the weights and 0 on the biases.
    auto g = tg::compile<double>(tg::l2_penalty(tg::weights_of(y)) + 0.0 * tg::mean(y));
    feeder<> data{244};
    data.uniform(g, x);
    for (auto& p : g.parameters()) p = data.rng.uniform(-1, 1);
    check_parameters(g, "l2_penalty alone");
    const auto wh = parameters_of(g, h);
    const auto gh = gradients_of(g, h);
    for (std::size_t i = 0; i < 20; ++i) BOOST_TEST(gh[i] == 2 * wh[i], boost::test_tools::tolerance(1e-12));
    for (std::size_t i = 20; i < 24; ++i) BOOST_TEST(gh[i] == 0.0);
}

BOOST_AUTO_TEST_SUITE_END()

// =====================================================================================================
// Loss values against formulas computed here.
BOOST_AUTO_TEST_SUITE(loss_values)

BOOST_AUTO_TEST_CASE(mse_and_l1) {
    const auto y = tg::input<3>;
    const auto t = tg::target<3>;
    const auto mse_mean = tg::mse_loss(tg::identity(y), t);
    const auto mse_sum = tg::mse_loss(y, t, tg::reduction::sum);  // the leaf itself as the output
    const auto l1_mean = tg::l1_loss(y, t);
    const auto l1_sum = tg::l1_loss(y, t, tg::reduction::sum);
    auto g = tg::compile<double>(mse_mean, mse_sum, l1_mean, l1_sum);
    const std::vector<double> ys{0.5, -1.0, 2.0, 3.0, 0.0, -0.25};
    const std::vector<double> ts{1.0, 1.0, 1.5, -1.0, 0.5, 0.25};
    g.bind(y, std::span<const double>(ys));
    g.bind(t, std::span<const double>(ts));
    g.forward(2);
    double squares = 0, absolutes = 0;
    for (std::size_t i = 0; i < 6; ++i) squares += (ys[i] - ts[i]) * (ys[i] - ts[i]), absolutes += std::abs(ys[i] - ts[i]);
    // squares: 0.25 + 4 + 0.25 + 16 + 0.25 + 0.25 = 21; absolute values: 0.5 + 2 + 0.5 + 4 + 0.5 + 0.5 = 8
    BOOST_TEST(squares == 21.0);
    BOOST_TEST(absolutes == 8.0);
    BOOST_TEST(g.loss() == 21.0 / 6, boost::test_tools::tolerance(1e-15));
    BOOST_TEST(g.value(mse_mean)(0) == 21.0 / 6, boost::test_tools::tolerance(1e-15));  // mean over every element
    BOOST_TEST(g.value(mse_sum)(0) == 21.0, boost::test_tools::tolerance(1e-15));
    BOOST_TEST(g.value(l1_mean)(0) == 8.0 / 6, boost::test_tools::tolerance(1e-15));
    BOOST_TEST(g.value(l1_sum)(0) == 8.0, boost::test_tools::tolerance(1e-15));
    // One sample only: the mean is over that sample's elements.
    g.forward(1);
    BOOST_TEST(g.value(mse_mean)(0) == (0.25 + 4 + 0.25) / 3, boost::test_tools::tolerance(1e-15));
    BOOST_TEST(g.value(l1_sum)(0) == 3.0, boost::test_tools::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(binary_cross_entropy) {
    const auto x = tg::input<2>;
    const auto t = tg::target<2>;
    const auto mean = tg::binary_cross_entropy(x, t);
    const auto sum = tg::binary_cross_entropy(tg::identity(x), t, tg::reduction::sum);
    auto g = tg::compile<double>(mean, sum);
    const std::vector<double> xs{0.3, -1.2, 2.5, 0.0, -4.0, 1.0};
    const std::vector<double> ts{1.0, 0.0, 0.25, 1.0, 0.0, 0.6};
    g.bind(x, std::span<const double>(xs));
    g.bind(t, std::span<const double>(ts));
    g.forward(3);
    double total = 0;
    for (std::size_t i = 0; i < 6; ++i) {
        const double p = 1 / (1 + std::exp(-xs[i]));  // naive formula: fine for these small logits
        total += -(ts[i] * std::log(p) + (1 - ts[i]) * std::log(1 - p));
    }
    BOOST_TEST(g.value(mean)(0) == total / 6, boost::test_tools::tolerance(1e-14));
    BOOST_TEST(g.value(sum)(0) == total, boost::test_tools::tolerance(1e-14));
    // By hand, one sample: logit 0.3, target 1 gives log(1 + e^-0.3); logit -1.2, target 0 gives log(1 + e^-1.2).
    g.forward(1);
    BOOST_TEST(g.value(sum)(0) == 0.5543552444685271 + std::log1p(std::exp(-1.2)), boost::test_tools::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(cross_entropy_labels) {
    const auto x = tg::input<3>;
    const auto l = tg::labels<3>;
    const std::vector<double> weights{0.5, 2.0, 1.5};
    const auto plain = tg::cross_entropy(x, l);
    const auto summed = tg::cross_entropy(x, l, {.mode = tg::reduction::sum});
    const auto weighted = tg::cross_entropy(x, l, {.class_weights = weights});
    const auto weighted_sum = tg::cross_entropy(x, l, {.class_weights = weights, .mode = tg::reduction::sum});
    auto g = tg::compile<double>(plain, summed, weighted, weighted_sum);
    const std::vector<double> xs{1.0, 2.0, 3.0, -0.5, 0.0, 0.5, 4.0, -2.0, 1.0, 0.2, 0.2, 0.2};
    const std::vector<std::int32_t> ls{2, 0, 1, 1};
    g.bind(x, std::span<const double>(xs));
    g.bind(l, std::span<const std::int32_t>(ls));
    g.forward(4);
    double nll_total = 0, weighted_total = 0, weight_sum = 0;
    for (std::size_t r = 0; r < 4; ++r) {
        const std::span<const double> row(xs.data() + 3 * r, 3);
        const double nll = log_sum_exp(row) - row[std::size_t(ls[r])];
        nll_total += nll;
        weighted_total += weights[std::size_t(ls[r])] * nll;
        weight_sum += weights[std::size_t(ls[r])];
    }
    BOOST_TEST(g.value(plain)(0) == nll_total / 4, boost::test_tools::tolerance(1e-14));
    BOOST_TEST(g.value(summed)(0) == nll_total, boost::test_tools::tolerance(1e-14));
    // PyTorch's weighted mean: divided by the sum of the samples' weights, not by the batch size
    BOOST_TEST(g.value(weighted)(0) == weighted_total / weight_sum, boost::test_tools::tolerance(1e-14));
    BOOST_TEST(g.value(weighted_sum)(0) == weighted_total, boost::test_tools::tolerance(1e-14));
    // First row alone, by hand: -log(e^3 / (e + e^2 + e^3)) = log(1 + e^-1 + e^-2) = 0.40760596...
    g.forward(1);
    BOOST_TEST(g.value(plain)(0) == 0.4076059644443803, boost::test_tools::tolerance(1e-14));
    BOOST_TEST(g.value(weighted)(0) == 0.4076059644443803, boost::test_tools::tolerance(1e-14));
    BOOST_TEST(g.value(weighted_sum)(0) == 1.5 * 0.4076059644443803, boost::test_tools::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(cross_entropy_probabilities) {
    const auto x = tg::input<3>;
    const auto p = tg::target<3>;
    const std::vector<double> weights{0.5, 2.0, 1.5};
    const auto plain = tg::cross_entropy(x, p);
    const auto summed = tg::cross_entropy(x, p, {.mode = tg::reduction::sum});
    const auto weighted = tg::cross_entropy(x, p, {.class_weights = weights});
    auto g = tg::compile<double>(plain, summed, weighted);
    const std::vector<double> xs{1.0, 2.0, 3.0, -0.5, 0.0, 0.5};
    const std::vector<double> ps{0.2, 0.3, 0.5, 0.0, 1.0, 0.0};
    g.bind(x, std::span<const double>(xs));
    g.bind(p, std::span<const double>(ps));
    g.forward(2);
    double total = 0, weighted_total = 0;
    for (std::size_t r = 0; r < 2; ++r) {
        const std::span<const double> row(xs.data() + 3 * r, 3);
        const double lse = log_sum_exp(row);
        for (std::size_t c = 0; c < 3; ++c) {
            total -= ps[3 * r + c] * (row[c] - lse);
            weighted_total -= weights[c] * ps[3 * r + c] * (row[c] - lse);
        }
    }
    BOOST_TEST(g.value(plain)(0) == total / 2, boost::test_tools::tolerance(1e-14));
    BOOST_TEST(g.value(summed)(0) == total, boost::test_tools::tolerance(1e-14));
    BOOST_TEST(g.value(weighted)(0) == weighted_total / 2, boost::test_tools::tolerance(1e-14));  // mean over samples
}

// A one-hot probability target gives the label form's loss: logits (-0.5, 0, 0.5), class 1,
// log(e^-0.5 + 1 + e^0.5) = 1.18026967...
BOOST_AUTO_TEST_CASE(cross_entropy_one_hot_equals_labels) {
    const auto x = tg::input<3>;
    const auto probabilities = tg::cross_entropy(x, tg::target<3>);
    const auto labels = tg::cross_entropy(x, tg::labels<3>);
    auto g = tg::compile<double>(probabilities, labels);
    const std::vector<double> xs{-0.5, 0.0, 0.5};
    const std::vector<double> ps{0.0, 1.0, 0.0};
    const std::vector<std::int32_t> ls{1};
    g.bind(x, std::span<const double>(xs));
    g.bind(tg::target<3>, std::span<const double>(ps));
    g.bind(tg::labels<3>, std::span<const std::int32_t>(ls));
    g.forward(1);
    BOOST_TEST(g.value(probabilities)(0) == 1.1802696706417346, boost::test_tools::tolerance(1e-14));
    BOOST_TEST(g.value(labels)(0) == 1.1802696706417346, boost::test_tools::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(penalties) {
    const auto x = tg::input<2>;
    const auto h = tg::dense<2>(x);
    const auto y = tg::dense<1>(h);
    const auto l2 = tg::l2_penalty(tg::weights_of(y));
    const auto l1 = tg::l1_penalty(tg::weights_of(y));
    const auto l2_first = tg::l2_penalty(tg::weights_of(h));
    auto g = tg::compile<double>(l2 + 0.0 * tg::mean(y), l1, l2_first);
    const std::vector<double> xs{1.0, 2.0};
    g.bind(x, std::span<const double>(xs));
    // h: W [2, 2] then b [2]; y: W [1, 2] then b [1]. Biases are not penalised.
    const std::vector<double> hp{0.5, -1.0, 2.0, 0.25, 7.0, -7.0}, yp{-3.0, 0.5, 100.0};
    BOOST_TEST_REQUIRE(parameters_of(g, h).size() == hp.size());
    BOOST_TEST_REQUIRE(parameters_of(g, y).size() == yp.size());
    std::copy(hp.begin(), hp.end(), parameters_of(g, h).begin());
    std::copy(yp.begin(), yp.end(), parameters_of(g, y).begin());
    g.forward(1);
    BOOST_TEST(g.loss() == 0.25 + 1 + 4 + 0.0625 + 9 + 0.25);
    BOOST_TEST(g.value(l1)(0) == 0.5 + 1 + 2 + 0.25 + 3 + 0.5);
    BOOST_TEST(g.value(l2_first)(0) == 0.25 + 1 + 4 + 0.0625);
}

BOOST_AUTO_TEST_CASE(leaky_relu_slope_value) {
    const auto x = tg::input<4>;
    const auto a = tg::leaky_relu(x);
    const auto b = tg::leaky_relu.with_slope(0.2)(x);
    const auto c = x | tg::leaky_relu.with_slope(0.5);
    auto g = tg::compile<double>(tg::sum(a), b, c);
    const std::vector<double> xs{-2.0, -0.5, 0.0, 3.0};
    g.bind(x, std::span<const double>(xs));
    g.forward(1);
    for (std::size_t i = 0; i < 4; ++i) {
        BOOST_TEST(g.value(a)(0, i) == (xs[i] > 0 ? xs[i] : 0.01 * xs[i]));
        BOOST_TEST(g.value(b)(0, i) == (xs[i] > 0 ? xs[i] : 0.2 * xs[i]));
        BOOST_TEST(g.value(c)(0, i) == (xs[i] > 0 ? xs[i] : 0.5 * xs[i]));
    }
}

BOOST_AUTO_TEST_SUITE_END()

// =====================================================================================================
// Cross-entropy stability: logits of magnitude 1e4 give a finite loss and finite gradients, in float
// and double, and the loss matches log-sum-exp computed stably here.
BOOST_AUTO_TEST_SUITE(stability)

using precisions = boost::mpl::list<float, double>;

// Hand-computed: rows of logits [1e4, -1e4, 0] with labels 0, 1, 2 have losses 0, 2e4, 1e4 (the
// other exponentials are below e^-10000); [1e4, 1e4 + 1, -1e4] with label 0 has log(1 + e).
constexpr double big = 1e4;
const std::vector<double> big_logits{big, -big, 0.0, big, -big, 0.0, big, -big, 0.0, big, big + 1, -big};
const std::vector<std::int32_t> big_labels{0, 1, 2, 0};
const double big_loss_sum = 0.0 + 2 * big + big + std::log(1 + std::exp(1.0));

template <class T, class R>
bool all_finite(const R& range) {
    return std::all_of(range.begin(), range.end(), [](T v) { return std::isfinite(v); });
}

BOOST_AUTO_TEST_CASE_TEMPLATE(cross_entropy_of_huge_logits_through_identity, T, precisions) {
    const auto x = tg::input<3>;
    const auto l = tg::labels<3>;
    auto g = tg::compile<T>(tg::cross_entropy(tg::identity(x), l));
    std::vector<T> xs(big_logits.begin(), big_logits.end());
    g.bind(x, std::span<const T>(xs));
    g.bind(l, std::span<const std::int32_t>(big_labels));
    g.track_gradient(x);
    g.forward(4);
    g.backward();
    BOOST_TEST(std::isfinite(g.loss()));
    BOOST_TEST(double(g.loss()) == big_loss_sum / 4, boost::test_tools::tolerance(1e-6));
    const auto grad = g.gradient(x).flat();
    BOOST_TEST(all_finite<T>(grad));
    // d/dx = (softmax(x) - onehot) / batch: row 1 (label 1) is (1, -1, 0) / 4 up to e^-10000
    BOOST_TEST(double(g.gradient(x)(1, 0)) == 0.25, boost::test_tools::tolerance(1e-6));
    BOOST_TEST(double(g.gradient(x)(1, 1)) == -0.25, boost::test_tools::tolerance(1e-6));
    BOOST_TEST(std::abs(double(g.gradient(x)(0, 0))) < 1e-6);
    // last row: softmax of (0, 1, -2e4) is (1, e, 0) / (1 + e)
    const double e = std::exp(1.0);
    // In float the log-sum-exp 1e4 + log(1 + e) is rounded to a spacing of ~1e-3, so softmax = exp(x - lse)
    // carries a relative error up to ~1e-3 (inherent to logits of this magnitude in float).
    const double gradient_tolerance = std::is_same_v<T, float> ? 2e-3 : 1e-9;
    BOOST_TEST(double(g.gradient(x)(3, 0)) == (1 / (1 + e) - 1) / 4, boost::test_tools::tolerance(gradient_tolerance));
    BOOST_TEST(double(g.gradient(x)(3, 1)) == (e / (1 + e)) / 4, boost::test_tools::tolerance(gradient_tolerance));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(cross_entropy_of_huge_logits_through_dense, T, precisions) {
    // dense<3> with identity weights and zero bias: the logits are the (huge) inputs themselves, and
    // the weight gradients are of magnitude 1e4.
    const auto x = tg::input<3>;
    const auto l = tg::labels<3>;
    const auto logits = tg::dense<3>(x);
    auto g = tg::compile<T>(tg::cross_entropy(logits, l, {.class_weights = {1.0, 2.0, 0.5}, .mode = tg::reduction::sum}), logits);
    auto w = parameters_of(g, logits);
    std::fill(w.begin(), w.end(), T(0));
    for (std::size_t i = 0; i < 3; ++i) w[i * 3 + i] = T(1);
    std::vector<T> xs(big_logits.begin(), big_logits.end());
    g.bind(x, std::span<const T>(xs));
    g.bind(l, std::span<const std::int32_t>(big_labels));
    g.forward(4);
    g.backward();
    BOOST_TEST(all_finite<T>(g.value(logits).flat()));
    BOOST_TEST(double(g.value(logits)(3, 1)) == big + 1);
    BOOST_TEST(std::isfinite(g.loss()));
    // weights 1, 2, 0.5, 1 by label: 0 + 2 * 2e4 + 0.5 * 1e4 + log(1 + e)
    BOOST_TEST(double(g.loss()) == 2 * 2 * big + 0.5 * big + std::log(1 + std::exp(1.0)), boost::test_tools::tolerance(1e-6));
    BOOST_TEST(all_finite<T>(g.gradients()));
    BOOST_TEST(sum_of_abs(g.gradients()) > 0.0);
    BOOST_TEST(sum_of_abs(g.gradients()) < 1e6);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(probability_targets_and_bce_of_huge_logits, T, precisions) {
    const auto x = tg::input<3>;
    const auto p = tg::target<3>;
    const auto ce = tg::cross_entropy(tg::identity(x), p);
    const auto bce = tg::binary_cross_entropy(tg::identity(x), p);
    auto g = tg::compile<T>(ce + bce, ce, bce);
    std::vector<T> xs(big_logits.begin(), big_logits.begin() + 6);
    const std::vector<T> ps{1, 0, 0, T(0.5), 0, T(0.5)};
    g.bind(x, std::span<const T>(xs));
    g.bind(p, std::span<const T>(ps));
    g.track_gradient(x);
    g.forward(2);
    g.backward();
    BOOST_TEST(std::isfinite(g.loss()));
    BOOST_TEST(all_finite<T>(g.gradient(x).flat()));
    // cross-entropy: row 0 is 0, row 1 is 0.5 * 0 + 0.5 * 1e4, mean over 2 rows
    BOOST_TEST(double(g.value(ce)(0)) == 0.25 * big, boost::test_tools::tolerance(1e-6));
    // BCE per element max(x, 0) - x t + log1p(e^-|x|): (0, 0, log 2) twice with t = (1, 0, 0) / (.5, 0, .5)
    //   row 0: 1e4 - 1e4 = 0, 0, log 2; row 1: 1e4 - 5e3, 0, log 2
    BOOST_TEST(double(g.value(bce)(0)) == (0.5 * big + 2 * std::log(2.0)) / 6, boost::test_tools::tolerance(1e-6));
}

BOOST_AUTO_TEST_SUITE_END()
