// Optimisers, minibatches and the fit loop.
#define BOOST_TEST_MODULE training
#include <boost/test/unit_test.hpp>

#include <set>
#include <vector>

#include <typegrad/typegrad.hpp>

namespace tg = typegrad;
namespace utf = boost::unit_test;

BOOST_AUTO_TEST_CASE(sgd_plain_momentum_and_nesterov_follow_pytorch, *utf::tolerance(1e-12)) {
    // Two steps with gradients g1 then g2 from w = 1, lr 0.1, momentum 0.9.
    const double g1 = 0.5, g2 = -0.25, lr = 0.1, mu = 0.9;
    auto run = [&](tg::sgd_options options) {
        tg::sgd<double> opt{options};
        std::vector<double> w{1.0};
        std::vector<double> g{g1};
        opt.step(w, g);
        g[0] = g2;
        opt.step(w, g);
        return w[0];
    };
    BOOST_TEST(run({.learning_rate = lr}) == 1 - lr * g1 - lr * g2);
    const double v1 = g1, v2 = mu * v1 + g2;
    BOOST_TEST(run({.learning_rate = lr, .momentum = mu}) == 1 - lr * v1 - lr * v2);
    BOOST_TEST(run({.learning_rate = lr, .momentum = mu, .nesterov = true}) == 1 - lr * (g1 + mu * v1) - lr * (g2 + mu * v2));
}

BOOST_AUTO_TEST_CASE(sgd_refuses_bad_settings) {
    BOOST_CHECK_THROW(tg::sgd<float>({.learning_rate = 0}), std::invalid_argument);
    BOOST_CHECK_THROW(tg::sgd<float>({.learning_rate = 0.1, .momentum = 1.0}), std::invalid_argument);
    BOOST_CHECK_THROW(tg::sgd<float>({.learning_rate = 0.1, .nesterov = true}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(minibatches_visit_every_sample_once_and_keep_the_partial_batch) {
    tg::dataset<float, std::int32_t> data{2, 1, {}, {}};
    for (int i = 0; i < 10; ++i) {
        data.features.insert(data.features.end(), {float(i), float(-i)});
        data.targets.push_back(i);
    }
    tg::minibatches<tg::dataset<float, std::int32_t>> batches{data, 4, 11};
    BOOST_TEST(batches.batches_per_epoch() == 3u);
    std::vector<std::vector<std::int32_t>> epochs;
    for (int epoch = 0; epoch < 2; ++epoch) {
        std::vector<std::int32_t> seen;
        std::vector<std::size_t> sizes;
        batches.start_epoch();
        while (batches.next()) {
            sizes.push_back(batches.size());
            for (std::size_t i = 0; i < batches.size(); ++i) {
                BOOST_TEST(batches.features()[2 * i] == float(batches.targets()[i]));  // features travel with their target
                seen.push_back(batches.targets()[i]);
            }
        }
        BOOST_TEST(sizes == (std::vector<std::size_t>{4, 4, 2}), boost::test_tools::per_element());
        BOOST_TEST(std::set<std::int32_t>(seen.begin(), seen.end()).size() == 10u);
        epochs.push_back(seen);
    }
    BOOST_TEST(epochs[0] != epochs[1]);  // reshuffled each epoch
    tg::minibatches<tg::dataset<float, std::int32_t>> same_seed{data, 4, 11};
    same_seed.start_epoch();
    std::vector<std::int32_t> replay;
    while (same_seed.next()) replay.insert(replay.end(), same_seed.targets().begin(), same_seed.targets().end());
    BOOST_TEST(replay == epochs[0], boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(dataset_validation_names_the_mismatch) {
    tg::dataset<float, float> data{3, 1, std::vector<float>(7), std::vector<float>(2)};
    BOOST_CHECK_THROW(data.validate(), std::invalid_argument);
    data.features.resize(6);
    BOOST_CHECK_NO_THROW(data.validate());
    data.targets.resize(3);
    BOOST_CHECK_EXCEPTION(data.validate(), std::invalid_argument,
                          [](const std::invalid_argument& e) { return std::string(e.what()).find("2 samples need 2 targets, got 3") != std::string::npos; });
}

namespace {

tg::dataset<float, float> regression_data() {
    tg::random_generator rng{3};
    tg::dataset<float, float> data{3, 1, {}, {}};
    for (int i = 0; i < 300; ++i) {
        const float a = float(rng.normal()), b = float(rng.normal()), c = float(rng.normal());
        data.features.insert(data.features.end(), {a, b, c});
        data.targets.push_back(std::sin(a) + b * c);
    }
    return data;
}

std::vector<double> train(std::uint64_t seed, std::vector<float>* weights = nullptr) {
    const auto x = tg::input<3>;
    const auto y = x | tg::dense<16> | tg::tanh | tg::dense<1>;
    auto net = tg::compile<float>(tg::mse_loss(y, tg::target<1>));
    net.initialize(seed);
    tg::sgd<float> opt{{.learning_rate = 0.05, .momentum = 0.9}};
    const auto history = tg::fit(net, opt, regression_data(), x, tg::target<1>, {.epochs = 30, .batch_size = 32, .seed = seed});
    if (weights) weights->assign(net.parameters().begin(), net.parameters().end());
    std::vector<double> losses;
    for (const auto& epoch : history) losses.push_back(epoch.loss);
    return losses;
}

}  // namespace

BOOST_AUTO_TEST_CASE(fit_reports_a_falling_loss_per_epoch) {
    const auto losses = train(1);
    BOOST_TEST(losses.size() == 30u);
    BOOST_TEST(losses.back() < 0.25 * losses.front());
}

BOOST_AUTO_TEST_CASE(the_same_seed_trains_bit_identically) {
    std::vector<float> a, b, c;
    train(7, &a);
    train(7, &b);
    train(8, &c);
    BOOST_TEST(a == b, boost::test_tools::per_element());
    BOOST_TEST(a != c);
}

BOOST_AUTO_TEST_CASE(evaluate_loss_matches_a_single_full_batch) {
    const auto data = regression_data();
    const auto x = tg::input<3>;
    auto net = tg::compile<double>(tg::mse_loss(x | tg::dense<4> | tg::relu | tg::dense<1>, tg::target<1>));
    tg::dataset<double, double> d{3, 1, {data.features.begin(), data.features.end()}, {data.targets.begin(), data.targets.end()}};
    const double batched = tg::evaluate(net, d, x, tg::target<1>, {.batch_size = 64}).loss;  // 300 = 4 x 64 + 44
    net.bind(x, d.features);
    net.bind(tg::target<1>, d.targets);
    net.forward(300);
    BOOST_TEST(std::abs(batched - net.loss()) < 1e-12);
}

BOOST_AUTO_TEST_CASE(adam_follows_the_paper_with_bias_correction, *utf::tolerance(1e-12)) {
    const double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8, decay = 0.1;
    tg::adam<double> opt{{.learning_rate = lr, .beta1 = b1, .beta2 = b2, .epsilon = eps, .weight_decay = decay}};
    std::vector<double> w{1.0};
    double m = 0, v = 0, expected = 1.0;
    for (double g : {0.5, -0.25, 0.125}) {
        const std::vector<double> grad{g};
        opt.step(w, grad);
        m = b1 * m + (1 - b1) * g;
        v = b2 * v + (1 - b2) * g * g;
        const std::size_t t = opt.steps();
        const double m_hat = m / (1 - std::pow(b1, double(t))), v_hat = v / (1 - std::pow(b2, double(t)));
        expected -= lr * (m_hat / (std::sqrt(v_hat) + eps) + decay * expected);
        BOOST_TEST(w[0] == expected);
    }
    BOOST_CHECK_THROW(tg::adam<float>({.learning_rate = -1}), std::invalid_argument);
    BOOST_CHECK_THROW(tg::adam<float>({.beta1 = 1.0}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(adam_trains_the_regression) {
    const auto x = tg::input<3>;
    auto net = tg::compile<float>(tg::mse_loss(x | tg::dense<16> | tg::tanh | tg::dense<1>, tg::target<1>));
    tg::adam<float> opt{{.learning_rate = 0.01}};
    const auto history = tg::fit(net, opt, regression_data(), x, tg::target<1>, {.epochs = 30, .batch_size = 32, .seed = 2});
    BOOST_TEST(history.back().loss < 0.25 * history.front().loss);
}
