// fit()'s NaN/Inf guard (fit_options::check_finite): networks made to blow up in an activation, a
// gradient and a parameter each stop with a non_finite_error naming the tensor, the kind and the
// step; and a checkpoint is never overwritten with weights that are not finite.
#define BOOST_TEST_MODULE numerical_health
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <typegrad/typegrad.hpp>

#include "scratch_directory.hpp"

namespace tg = typegrad;
using tg::testing::scratch_directory;

namespace {

// y = x1 + x2 for x in [0.5, 1.5]^2: positive features and targets.
tg::dataset<float, float> positive_regression(std::size_t n) {
    tg::random_generator rng{3};
    tg::dataset<float, float> data{2, 1, {}, {}};
    for (std::size_t i = 0; i < n; ++i) {
        const float a = float(rng.uniform(0.5, 1.5)), b = float(rng.uniform(0.5, 1.5));
        data.features.insert(data.features.end(), {a, b});
        data.targets.push_back(a + b);
    }
    return data;
}

const auto x = tg::input<2>;
const auto y = tg::target<1>;

bool names(const tg::non_finite_error& e, const std::string& tensor, const std::string& kind, std::size_t epoch, std::size_t batch,
           std::initializer_list<std::string> parts) {
    BOOST_TEST_MESSAGE(e.what());
    bool good = e.tensor() == tensor && e.kind() == kind && e.epoch() == epoch && e.batch() == batch;
    for (const auto& part : parts) good = good && std::string(e.what()).find(part) != std::string::npos;
    return good;
}

std::string contents(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_log_of_a_negative_is_a_non_finite_activation) {
    // The dense layer's outputs are small (Glorot weights, inputs near 1): minus 10, they are negative.
    // The first non-finite activation in tape order is named as net.summary() lists it: log at #3.
    const auto out = tg::log((x | tg::dense<1>) - 10.0);
    auto net = tg::compile<float>(tg::mse_loss(out, y));
    net.initialize(1);
    tg::sgd<float> opt{{.learning_rate = 0.01}};
    const tg::fit_options options{.epochs = 1, .batch_size = 8, .check_finite = true};
    BOOST_CHECK_EXCEPTION(tg::fit(net, opt, positive_regression(64), x, y, options), tg::non_finite_error, [](const tg::non_finite_error& e) {
        return names(e, "log at #3", "activation", 1, 1, {"non-finite activation in the output of log at #3", "at epoch 1, batch 1", "nan"});
    });
}

BOOST_AUTO_TEST_CASE(the_slope_of_a_square_root_at_zero_is_a_non_finite_gradient) {
    // Zero weights and bias: sqrt(0) = 0 is a finite loss, but its slope 1 / (2 sqrt(0)) is infinite.
    const auto out = tg::sqrt(x | tg::dense<1>.with_init(tg::init_scheme::zeros));
    auto net = tg::compile<float>(tg::mse_loss(out, y));
    net.initialize(1);
    tg::sgd<float> opt{{.learning_rate = 0.01}};
    const auto data = positive_regression(64);
    const tg::fit_options options{.epochs = 1, .batch_size = 8, .check_finite = true};
    BOOST_CHECK_EXCEPTION(tg::fit(net, opt, data, x, y, options), tg::non_finite_error, [](const tg::non_finite_error& e) {
        return names(e, "0.weight", "gradient", 1, 1, {"non-finite gradient in tensor \"0.weight\"", "at epoch 1, batch 1"});
    });
    // Unguarded, the same run trains on and ends with weights that are not numbers.
    net.initialize(1);
    tg::fit(net, opt, data, x, y, {.epochs = 1, .batch_size = 8});
    BOOST_TEST(tg::first_non_finite(std::span<const float>(net.parameters())) < net.parameter_count());
}

BOOST_AUTO_TEST_CASE(a_huge_learning_rate_gives_a_non_finite_parameter) {
    auto net = tg::compile<float>(tg::mse_loss(x | tg::dense<4> | tg::tanh | tg::dense<1>, y));
    net.initialize(1);
    tg::sgd<float> opt{{.learning_rate = 1e39}};  // infinite in float
    const tg::fit_options options{.epochs = 2, .batch_size = 8, .check_finite = true};
    BOOST_CHECK_EXCEPTION(tg::fit(net, opt, positive_regression(64), x, y, options), tg::non_finite_error, [](const tg::non_finite_error& e) {
        return names(e, "0.weight", "parameter", 1, 1, {"non-finite parameter in tensor \"0.weight\"", "at epoch 1, batch 1"});
    });
}

BOOST_AUTO_TEST_CASE(the_last_good_checkpoint_is_kept) {
    // Epoch 1 trains normally and is checkpointed; resumed, epoch 2's learning rate overflows. With
    // the guard the run stops at epoch 2's first step, without it at epoch 2's checkpoint; either way
    // the checkpoint of epoch 1 stays as it was.
    scratch_directory dir{"typegrad-health"};
    const std::string path = (dir.path / "run.safetensors").string();
    const auto data = positive_regression(64);
    const auto schedule = [](std::size_t epoch) { return epoch == 1 ? 1.0 : 1e45; };
    {
        auto net = tg::compile<float>(tg::mse_loss(x | tg::dense<4> | tg::tanh | tg::dense<1>, y));
        net.initialize(1);
        tg::sgd<float> opt{{.learning_rate = 0.01}};
        tg::fit(net, opt, data, x, y, {.epochs = 1, .batch_size = 8, .learning_rate_factor = schedule, .checkpoint = path});
    }
    const std::string good = contents(path);
    for (const bool guard : {true, false}) {
        auto net = tg::compile<float>(tg::mse_loss(x | tg::dense<4> | tg::tanh | tg::dense<1>, y));
        tg::sgd<float> opt{{.learning_rate = 0.01}};
        const tg::fit_options options{
            .epochs = 3, .batch_size = 8, .learning_rate_factor = schedule, .check_finite = guard, .checkpoint = path, .resume = path};
        BOOST_CHECK_EXCEPTION(tg::fit(net, opt, data, x, y, options), tg::non_finite_error, [&](const tg::non_finite_error& e) {
            return names(e, "0.weight", "parameter", 2, guard ? 1 : 0,
                         {guard ? "at epoch 2, batch 1" : "at the end of epoch 2", "the checkpoint file " + path + " was not overwritten"});
        });
        BOOST_TEST(contents(path) == good);
    }
}
