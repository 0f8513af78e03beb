// Batch normalisation: forward values against hand computations, the running statistics PyTorch
// keeps, evaluation mode, gradients against finite differences, and the names and shapes of its
// parameters and state in model files.
#define BOOST_TEST_MODULE batch_norm
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include <typegrad/io/model_file.hpp>
#include <typegrad/typegrad.hpp>

#include "../message_has.hpp"
#include "../scratch_directory.hpp"

namespace tg = typegrad;
namespace utf = boost::unit_test;

namespace {

std::vector<double> normal_values(std::size_t n, std::uint64_t seed, double mean = 0, double spread = 1) {
    tg::random_generator rng{seed};
    std::vector<double> v(n);
    for (auto& x : v) x = rng.normal(mean, spread);
    return v;
}

}  // namespace

// Per feature: (x - batch mean) / sqrt(biased batch variance + eps) * weight + bias.
BOOST_AUTO_TEST_CASE(features_are_normalised_by_the_batch, *utf::tolerance(1e-12)) {
    const auto x = tg::input<2>;
    const auto y = x | tg::batch_norm;
    auto g = tg::compile<double>(y);
    static_assert(decltype(y)::parameter_count == 4);
    BOOST_TEST(g.parameter_count() == 4u);
    BOOST_TEST(g.state().size() == 5u);  // running mean and variance of 2 features, the batch count
    auto p = g.parameters_of(y);         // weight [2], bias [2]: 1 and 0 to start with
    BOOST_TEST(p[0] == 1.0);
    BOOST_TEST(p[1] == 1.0);
    BOOST_TEST(p[2] == 0.0);
    BOOST_TEST(p[3] == 0.0);
    p[0] = 2.0;
    p[3] = 0.5;
    const std::vector<double> xs{1, 10, 2, 20, 3, 30, 6, 40};  // 4 samples
    g.bind(x, xs);
    g.forward(4);
    const double mean0 = 3, var0 = (4 + 1 + 0 + 9) / 4.0;
    const double mean1 = 25, var1 = (225 + 25 + 25 + 225) / 4.0;
    for (std::size_t i = 0; i < 4; ++i) {
        BOOST_TEST(g.value(y)(i, 0) == 2.0 * (xs[2 * i] - mean0) / std::sqrt(var0 + 1e-5));
        BOOST_TEST(g.value(y)(i, 1) == (xs[2 * i + 1] - mean1) / std::sqrt(var1 + 1e-5) + 0.5);
    }
    // Running averages with momentum 0.1 from mean 0 and variance 1, the variance unbiased (n - 1).
    const auto state = g.state();
    BOOST_TEST(state[0] == 0.1 * mean0);
    BOOST_TEST(state[1] == 0.1 * mean1);
    BOOST_TEST(state[2] == 0.9 + 0.1 * var0 * 4 / 3);
    BOOST_TEST(state[3] == 0.9 + 0.1 * var1 * 4 / 3);
    BOOST_TEST(state[4] == 1.0);
    g.forward(4);
    BOOST_TEST(state[0] == 0.9 * 0.1 * mean0 + 0.1 * mean0);
    BOOST_TEST(state[4] == 2.0);
}

// Per channel of a (C, H, W) value: statistics over the batch and the plane.
BOOST_AUTO_TEST_CASE(channels_are_normalised_over_batch_and_plane, *utf::tolerance(1e-10)) {
    const auto x = tg::input<2, 3, 3>;
    const auto y = x | tg::batch_norm;
    auto g = tg::compile<double>(y);
    BOOST_TEST(g.parameter_count() == 4u);
    const auto xs = normal_values(5 * 18, 3, 2.0, 3.0);
    g.bind(x, xs);
    g.forward(5);
    for (std::size_t c = 0; c < 2; ++c) {
        double sum = 0, squares = 0;
        for (std::size_t n = 0; n < 5; ++n)
            for (std::size_t i = 0; i < 3; ++i)
                for (std::size_t j = 0; j < 3; ++j) sum += g.value(y)(n, c, i, j), squares += g.value(y)(n, c, i, j) * g.value(y)(n, c, i, j);
        BOOST_TEST(sum / 45 == 0.0, boost::test_tools::tolerance(1e-12));  // mean 0 (absolute)
        BOOST_TEST(squares / 45 == 1.0, boost::test_tools::tolerance(1e-5));  // variance 1 (less eps / variance)
    }
}

// Evaluation uses the running statistics, so one sample is normalised as the training batches were.
BOOST_AUTO_TEST_CASE(evaluation_uses_the_running_statistics, *utf::tolerance(1e-12)) {
    const auto x = tg::input<3>;
    const auto y = x | tg::batch_norm.with_momentum(1.0);  // the running statistics are the last batch's
    auto g = tg::compile<double>(y);
    const auto xs = normal_values(6 * 3, 4, 5.0, 2.0);
    g.bind(x, xs);
    g.forward(6);
    const std::vector<double> trained(g.value(y).flat().begin(), g.value(y).flat().end());
    g.set_training(false);
    g.forward(6);
    for (std::size_t i = 0; i < trained.size(); ++i) {
        // unbiased against biased variance: the same up to sqrt(n / (n - 1))
        BOOST_TEST(g.value(y).flat()[i] * std::sqrt(6.0 / 5.0) == trained[i], boost::test_tools::tolerance(1e-5));
    }
    BOOST_TEST(g.state()[6] == 1.0);  // evaluation does not count batches
    g.forward(1);                     // one sample: fine in evaluation
    // ... and refused in training, where the batch's variance of one value is 0.
    g.set_training(true);
    BOOST_CHECK_EXCEPTION(g.forward(1), std::invalid_argument, [](const std::exception& e) {
        return tg::testing::message_has(e, {"batch_norm: a batch of 1 gives each feature one value", "set_training(false)"});
    });
}

BOOST_AUTO_TEST_CASE(gradients_in_training_and_evaluation) {
    const auto x = tg::input<2, 3, 3>;
    const auto features = x | tg::conv2d<3, 2> | tg::batch_norm | tg::relu | tg::flatten | tg::dense<4>;
    const auto logits = features | tg::batch_norm | tg::tanh | tg::dense<3>;
    auto g = tg::compile<double>(tg::cross_entropy(logits, tg::labels<3>));
    g.initialize(5);
    for (auto& p : g.parameters()) p += 0.05;  // scales and biases away from 1 and 0
    auto xs = normal_values(6 * 18, 6);
    const std::vector<std::int32_t> ls{0, 2, 1, 1, 0, 2};
    g.bind(x, std::span<const double>(xs));
    g.bind(tg::labels<3>, ls);
    BOOST_TEST(tg::gradient_check(g, 6).max_relative_error <= 1e-6);
    BOOST_TEST(tg::input_gradient_check(g, x, std::span<double>(xs), 6).max_relative_error <= 1e-6);
    g.set_training(false);
    BOOST_TEST(tg::gradient_check(g, 6).max_relative_error <= 1e-6);
    BOOST_TEST(tg::input_gradient_check(g, x, std::span<double>(xs), 6).max_relative_error <= 1e-6);
}

// A relu after batch normalisation runs in place in its output (batch_norm's backward reads its input).
BOOST_AUTO_TEST_CASE(a_relu_after_it_runs_in_place) {
    const auto x = tg::input<4, 5, 5>;
    const auto loss = tg::sum(tg::square(x | tg::conv2d<8, 3> | tg::batch_norm | tg::relu));
    auto lean = tg::compile<double>(loss);
    auto kept = tg::compile<double>(loss);
    kept.keep_intermediates();
    const auto xs = normal_values(3 * 100, 7);
    for (auto* g : {&lean, &kept}) {
        g->bind(x, xs);
        g->forward(3);
        g->backward();
    }
    BOOST_TEST(lean.loss() == kept.loss());
    BOOST_TEST(std::ranges::equal(lean.gradients(), kept.gradients()));
    BOOST_TEST(lean.arena_size() < kept.arena_size());
}

// Model files hold the state under PyTorch's names: weight, bias, running_mean, running_var and
// num_batches_tracked (an I64 scalar), and loading restores it.
BOOST_AUTO_TEST_CASE(model_files_hold_the_running_statistics) {
    const auto x = tg::input<1, 4, 4>;
    const auto net = x | tg::conv2d<2, 3> | tg::batch_norm | tg::relu | tg::flatten | tg::dense<3> | tg::batch_norm.named<"head_norm">();
    auto g = tg::compile<float>(net);
    std::vector<std::string> names;
    for (const auto& t : g.parameter_tensors()) names.push_back(t.name);
    for (const auto& t : g.state_tensors()) names.push_back(t.name);
    const std::vector<std::string> expected{"0.weight", "0.bias", "1.weight", "1.bias", "4.weight", "4.bias", "head_norm.weight", "head_norm.bias",
                                            "1.running_mean", "1.running_var", "1.num_batches_tracked", "head_norm.running_mean",
                                            "head_norm.running_var", "head_norm.num_batches_tracked"};
    BOOST_TEST(names == expected, boost::test_tools::per_element());
    BOOST_TEST(g.state_tensors()[2].shape.empty());
    BOOST_TEST(g.state_tensors()[2].is_count);

    std::vector<float> xs(5 * 16);
    tg::random_generator rng{8};
    for (auto& v : xs) v = float(rng.normal(1.0, 2.0));
    g.bind(x, xs);
    for (int i = 0; i < 3; ++i) g.forward(5);
    tg::testing::scratch_directory dir{"batch-norm"};
    tg::io::save_parameters(g, dir.path / "model.safetensors");
    const auto file = tg::io::read_safetensors(dir.path / "model.safetensors");
    BOOST_TEST((file.tensors.at("1.num_batches_tracked").type == tg::io::element_type::i64));
    BOOST_TEST(file.tensors.at("1.running_var").shape == std::vector<std::size_t>{2});

    auto fresh = tg::compile<float>(net);
    tg::io::load_parameters(fresh, dir.path / "model.safetensors");
    BOOST_TEST(std::ranges::equal(fresh.state(), g.state()));
    BOOST_TEST(fresh.state()[4] == 3.0f);
    fresh.set_training(false);
    g.set_training(false);
    fresh.bind(x, xs);
    fresh.forward(5);
    g.forward(5);
    BOOST_TEST(std::ranges::equal(fresh.value(net).flat(), g.value(net).flat()));
}

// A named batch normalisation used twice shares its parameters and its statistics.
BOOST_AUTO_TEST_CASE(a_named_batch_norm_shares_its_statistics) {
    const auto a = tg::named_input<"a", 3>;
    const auto b = tg::named_input<"b", 3>;
    const auto norm = tg::batch_norm.named<"shared">();
    const auto y = tg::sum(norm(a) * norm(b));
    auto g = tg::compile<double>(y);
    BOOST_TEST(g.parameter_count() == 6u);
    BOOST_TEST(g.state().size() == 7u);
    const auto as = normal_values(4 * 3, 9), bs = normal_values(4 * 3, 10);
    g.bind(a, as);
    g.bind(b, bs);
    g.forward(4);
    BOOST_TEST(g.state()[6] == 2.0);  // both uses counted their batch
}
