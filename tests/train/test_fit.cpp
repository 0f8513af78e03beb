// The fit loop's options: learning-rate schedules, gradient clipping, a validation split, early
// stopping that keeps the best weights, and the per-epoch history.
#define BOOST_TEST_MODULE fit
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <typegrad/typegrad.hpp>

namespace tg = typegrad;
namespace utf = boost::unit_test;

namespace {

// Features are the sample's index, so that a split can be traced back.
tg::dataset<float, std::int32_t> indexed(std::size_t n) {
    tg::dataset<float, std::int32_t> data{1, 1, {}, {}};
    for (std::size_t i = 0; i < n; ++i) {
        data.features.push_back(float(i));
        data.targets.push_back(std::int32_t(i % 3));
    }
    return data;
}

// Two Gaussian blobs in 2-D, classes 0 and 1; `flip` swaps the labels.
tg::dataset<float, std::int32_t> blobs(std::size_t n, std::uint64_t seed, bool flip = false) {
    tg::random_generator rng{seed};
    tg::dataset<float, std::int32_t> data{2, 1, {}, {}};
    for (std::size_t i = 0; i < n; ++i) {
        const int label = int(i % 2);
        const float centre = label ? 1.f : -1.f;
        data.features.insert(data.features.end(), {centre + float(rng.normal()), centre + float(rng.normal())});
        data.targets.push_back(flip ? 1 - label : label);
    }
    return data;
}

const auto points = tg::input<2>;
const auto classes = tg::labels<2>;
const auto scores = points | tg::dense<8> | tg::tanh | tg::dense<2>;

auto classifier() {
    auto net = tg::compile<float>(tg::cross_entropy(scores, classes), scores);
    net.initialize(4);
    return net;
}

// Forward and backward over the first 32 samples of `data` as one batch.
template <class Net, class Data>
void full_batch_gradients(Net& net, const Data& data) {
    net.bind(points, data.features_of(0, 32));
    net.bind(classes, data.targets_of(0, 32));
    net.forward(32);
    net.backward();
}

}  // namespace

BOOST_AUTO_TEST_CASE(step_and_cosine_schedules_give_the_textbook_factors, *utf::tolerance(1e-12)) {
    const tg::step_schedule step{.every = 3, .factor = 0.5};
    BOOST_TEST(step(1) == 1.0);
    BOOST_TEST(step(3) == 1.0);
    BOOST_TEST(step(4) == 0.5);
    BOOST_TEST(step(7) == 0.25);
    const tg::cosine_schedule cosine{.epochs = 5, .minimum = 0.1};
    BOOST_TEST(cosine(1) == 1.0);
    BOOST_TEST(cosine(3) == 0.1 + 0.9 * 0.5);  // half way: cos(pi / 2) = 0
    BOOST_TEST(cosine(5) == 0.1);
    BOOST_TEST(cosine(9) == 0.1);
    BOOST_CHECK_THROW((tg::step_schedule{.every = 0})(1), std::invalid_argument);
    BOOST_CHECK_THROW((tg::cosine_schedule{.epochs = 5, .minimum = 2})(1), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(fit_applies_the_schedule_to_the_optimiser_each_epoch, *utf::tolerance(1e-12)) {
    auto net = classifier();
    tg::adam<float> opt{{.learning_rate = 0.01}};
    const auto history = tg::fit(net, opt, blobs(64, 1), points, classes,
                                 {.epochs = 4, .batch_size = 16, .learning_rate_factor = tg::step_schedule{.every = 2, .factor = 0.1}});
    BOOST_TEST(history.size() == 4u);
    BOOST_TEST(history[0].learning_rate == 0.01);
    BOOST_TEST(history[1].learning_rate == 0.01);
    BOOST_TEST(history[2].learning_rate == 0.01 * 0.1);
    BOOST_TEST(history[3].learning_rate == 0.01 * 0.1);
    BOOST_TEST(opt.options().learning_rate == 0.01);  // the optimiser's own rate again after the run
}

BOOST_AUTO_TEST_CASE(warmup_linear_decay_gives_its_factors, *utf::tolerance(1e-12)) {
    const tg::warmup_linear_decay schedule{.warmup = 0.2, .minimum = 0.1};
    BOOST_TEST(schedule(0.1) == 0.5);  // half way through the warm-up
    BOOST_TEST(schedule(0.2) == 1.0);
    BOOST_TEST(schedule(0.6) == 0.1 + 0.9 * 0.5);
    BOOST_TEST(schedule(1.0) == 0.1);
    BOOST_TEST((tg::warmup_linear_decay{.warmup = 0})(0.25) == 0.75);
    BOOST_CHECK_THROW((tg::warmup_linear_decay{.warmup = 1})(0.5), std::invalid_argument);
    BOOST_CHECK_THROW((tg::warmup_linear_decay{.minimum = -1})(0.5), std::invalid_argument);
}

// A schedule by step sees the run's progress at every step, across epochs, and sets the rate the step takes.
BOOST_AUTO_TEST_CASE(fit_applies_a_schedule_by_step_at_every_step, *utf::tolerance(1e-12)) {
    auto net = classifier();
    tg::sgd<float> opt{{.learning_rate = 0.1}};
    std::vector<double> seen;
    const auto history = tg::fit(net, opt, blobs(40, 1), points, classes,
                                 {.epochs = 2, .batch_size = 16, .learning_rate_by_step = [&](double progress) {
                                      seen.push_back(progress);
                                      return 1 - progress / 2;
                                  }});
    BOOST_TEST(seen == (std::vector<double>{1.0 / 6, 2.0 / 6, 3.0 / 6, 4.0 / 6, 5.0 / 6, 1.0}), boost::test_tools::per_element());
    BOOST_TEST(history[0].learning_rate == 0.1 * (1 - (1.0 + 2.0 + 3.0) / 6 / 2 / 3));  // the epoch's mean rate
    BOOST_TEST(history[1].learning_rate == 0.1 * (1 - (4.0 + 5.0 + 6.0) / 6 / 2 / 3));
    BOOST_TEST(opt.options().learning_rate == 0.1);  // the base rate, given back at the end
    // The rate each step took: a hand-written loop that sets it gives the same weights.
    auto by_hand = classifier();
    tg::sgd<float> hand_opt{{.learning_rate = 0.1}};
    const auto data = blobs(40, 1);
    tg::minibatches<tg::dataset<float, std::int32_t>> hand_batches{data, 16, 0};
    for (std::size_t epoch = 0, step = 0; epoch < 2; ++epoch) {
        hand_batches.start_epoch();
        while (hand_batches.next()) {
            by_hand.bind(points, hand_batches.features());
            by_hand.bind(classes, hand_batches.targets());
            by_hand.forward(hand_batches.size());
            by_hand.backward();
            hand_opt.set_learning_rate(0.1 * (1 - double(++step) / 6 / 2));
            tg::step(hand_opt, by_hand);
        }
    }
    const std::vector<float> fitted(net.parameters().begin(), net.parameters().end()), hand(by_hand.parameters().begin(), by_hand.parameters().end());
    BOOST_TEST(fitted == hand, boost::test_tools::per_element());
    tg::sgd<float> other{{.learning_rate = 0.1}};
    BOOST_CHECK_THROW(tg::fit(net, other, blobs(40, 1), points, classes,
                              {.epochs = 1, .learning_rate_factor = tg::step_schedule{}, .learning_rate_by_step = tg::warmup_linear_decay{}}),
                      std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(clipping_by_norm_and_by_value, *utf::tolerance(1e-6f) * utf::tolerance(1e-6)) {
    std::vector<float> g{3, 4};
    BOOST_TEST(tg::clip_gradient_norm(std::span<float>(g), 1.0) == 5.0);
    BOOST_TEST(g[0] == 0.6f);
    BOOST_TEST(g[1] == 0.8f);
    BOOST_TEST(tg::clip_gradient_norm(std::span<float>(g), 2.0) == 1.0);  // below the limit: unchanged
    BOOST_TEST(g[0] == 0.6f);
    std::vector<float> h{-3, 0.5f, 7};
    tg::clip_gradient_value(std::span<float>(h), 1.0);
    BOOST_TEST(h == (std::vector<float>{-1, 0.5f, 1}), boost::test_tools::per_element());
    BOOST_CHECK_THROW(tg::clip_gradient_norm(std::span<float>(g), 0.0), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(fit_clips_each_step_to_the_norm) {
    // One full-batch step of plain SGD moves the weights by exactly lr * min(|g|, clip).
    for (const double clip : {1e-3, 0.0}) {
        auto net = classifier();
        const auto data = blobs(32, 2);
        const std::vector<float> before(net.parameters().begin(), net.parameters().end());
        full_batch_gradients(net, data);
        const double norm = tg::gradient_norm(std::span<const float>(net.gradients()));
        tg::sgd<float> opt{{.learning_rate = 0.1}};
        tg::fit(net, opt, data, points, classes, {.epochs = 1, .batch_size = 32, .shuffle = false, .clip_norm = clip});
        double moved = 0;
        for (std::size_t i = 0; i < before.size(); ++i) moved += std::pow(double(net.parameters()[i]) - before[i], 2);
        const double expected = 0.1 * (clip > 0 ? std::min(norm, clip) : norm);
        BOOST_TEST(std::sqrt(moved) == expected, boost::test_tools::tolerance(1e-3));
        BOOST_TEST(norm > 10 * 1e-3);  // else the clipped case would prove nothing
    }
}

BOOST_AUTO_TEST_CASE(a_validation_split_is_seeded_disjoint_and_complete) {
    const auto data = indexed(100);
    const auto a = tg::split_validation(data, 0.2, 5);
    BOOST_TEST(a.validation.size() == 20u);
    BOOST_TEST(a.train.size() == 80u);
    std::set<float> seen(a.train.features.begin(), a.train.features.end());
    seen.insert(a.validation.features.begin(), a.validation.features.end());
    BOOST_TEST(seen.size() == 100u);
    for (std::size_t i = 0; i < a.validation.size(); ++i)  // targets travel with their features
        BOOST_TEST(a.validation.targets[i] == std::int32_t(std::size_t(a.validation.features[i]) % 3));
    BOOST_TEST(tg::split_validation(data, 0.2, 5).validation.features == a.validation.features);
    BOOST_TEST(tg::split_validation(data, 0.2, 6).validation.features != a.validation.features);
    BOOST_CHECK_THROW(tg::split_validation(data, 0.0, 5), std::invalid_argument);
    BOOST_CHECK_THROW(tg::split_validation(data, 1.0, 5), std::invalid_argument);
    BOOST_CHECK_THROW(tg::split_validation(indexed(3), 0.01, 5), std::invalid_argument);  // rounds to an empty validation set
}

BOOST_AUTO_TEST_CASE(early_stopping_keeps_the_weights_of_the_best_epoch) {
    // Validation labels are the training labels swapped: the better the fit, the worse the
    // validation loss, so epoch 1 is the best and patience 2 stops after epoch 3.
    const auto train = blobs(200, 3), validation = blobs(100, 4, true);
    const tg::fit_options options{.epochs = 20, .batch_size = 20, .seed = 9, .patience = 2};
    auto net = classifier();
    tg::adam<float> opt{{.learning_rate = 0.01}};
    const auto history = tg::fit(net, opt, tg::with_validation(train, validation), points, classes, scores, options);
    BOOST_REQUIRE(history.size() == 3u);
    BOOST_TEST(history[0].best);
    BOOST_TEST(!history[1].best);
    BOOST_TEST(history[2].validation_loss > history[0].validation_loss);
    BOOST_TEST(history[2].accuracy > 0.8);
    BOOST_TEST(history[2].validation_accuracy < 0.2);

    auto reference = classifier();
    tg::adam<float> reference_opt{{.learning_rate = 0.01}};
    tg::fit(reference, reference_opt, train, points, classes, {.epochs = 1, .batch_size = 20, .seed = 9});
    const std::vector<float> kept(net.parameters().begin(), net.parameters().end());
    const std::vector<float> after_one(reference.parameters().begin(), reference.parameters().end());
    BOOST_TEST(kept == after_one, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(the_history_reports_what_evaluate_and_accuracy_measure) {
    const auto train = blobs(200, 5), validation = blobs(100, 6);
    auto net = classifier();
    tg::sgd<float> opt{{.learning_rate = 0.1, .momentum = 0.9}};
    std::size_t batches_seen = 0;
    const auto history = tg::fit(net, opt, tg::with_validation(train, validation), points, classes, scores,
                                 {.epochs = 3, .batch_size = 32, .seed = 1, .restore_best = false,
                                  .on_batch = [&](const tg::batch_report& r) {
                                      ++batches_seen;
                                      BOOST_TEST(r.batches == 7u);  // 200 = 6 x 32 + 8
                                      BOOST_TEST(r.samples == std::min<std::size_t>(r.batch * 32, 200));
                                  }});
    BOOST_TEST(batches_seen == 21u);
    const auto last = tg::evaluate(net, validation, points, classes, scores, {.batch_size = 50});
    BOOST_TEST(history.back().validation_loss == last.loss, boost::test_tools::tolerance(1e-6));
    BOOST_TEST(history.back().validation_accuracy == last.accuracy);
    BOOST_TEST(last.accuracy == tg::accuracy(net, validation, points, scores, {.batch_size = 100}));
    BOOST_TEST(history.back().accuracy > 0.8);
    BOOST_TEST(std::isnan(tg::fit(net, opt, train, points, classes, {.epochs = 1}).back().accuracy));
}

BOOST_AUTO_TEST_CASE(fit_clamps_each_gradient_value) {
    // One full-batch step of plain SGD moves each weight by exactly lr * clamp(g, -limit, limit).
    const double limit = 0.05;
    auto net = classifier();
    const auto data = blobs(32, 2);
    const std::vector<float> before(net.parameters().begin(), net.parameters().end());
    full_batch_gradients(net, data);
    const std::vector<float> gradients(net.gradients().begin(), net.gradients().end());
    tg::sgd<float> opt{{.learning_rate = 0.1}};
    tg::fit(net, opt, data, points, classes, {.epochs = 1, .batch_size = 32, .shuffle = false, .clip_value = limit});
    std::size_t clamped = 0;
    for (std::size_t i = 0; i < before.size(); ++i) {
        const float g = std::clamp(gradients[i], float(-limit), float(limit));
        clamped += g != gradients[i];
        BOOST_TEST(net.parameters()[i] == before[i] - float(0.1) * g, boost::test_tools::tolerance(1e-6f));
    }
    BOOST_TEST(clamped > 0u);  // else the test would prove nothing
    BOOST_TEST(clamped < before.size());
    BOOST_CHECK_THROW(tg::fit(net, opt, data, points, classes, {.clip_value = -1}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(the_history_holds_per_layer_weight_and_mean_gradient_norms) {
    // Two full-batch epochs without shuffling: epoch 1's gradient norms are those of the first step
    // (measured by hand, before clipping), its weight norms those after it.
    auto net = classifier();
    const auto data = blobs(32, 2);
    full_batch_gradients(net, data);
    const auto first = tg::parameter_norms(net);
    tg::sgd<float> opt{{.learning_rate = 0.1}};
    std::vector<tg::tensor_norms> after_epoch_1;
    const auto history = tg::fit(net, opt, data, points, classes,
                                 {.epochs = 2, .batch_size = 32, .shuffle = false, .clip_norm = 1e-3,
                                  .on_epoch = [&](const tg::epoch_report& e) {
                                      if (e.epoch == 1) after_epoch_1 = tg::parameter_norms(net);
                                  }});
    BOOST_REQUIRE_EQUAL(history[0].norms.size(), 4u);
    for (std::size_t t = 0; t < 4; ++t) {
        BOOST_TEST(history[0].norms[t].name == first[t].name);
        BOOST_TEST(history[0].norms[t].gradient_norm == first[t].gradient_norm, boost::test_tools::tolerance(1e-12));
        BOOST_TEST(history[0].norms[t].parameter_norm == after_epoch_1[t].parameter_norm, boost::test_tools::tolerance(1e-12));
    }
    double total = 0;
    for (const auto& n : history[0].norms) total += n.gradient_norm * n.gradient_norm;
    BOOST_TEST(std::sqrt(total) > 10 * 1e-3);  // measured before clipping to 1e-3
    BOOST_TEST(history[1].norms[0].gradient_norm != history[0].norms[0].gradient_norm);
}

BOOST_AUTO_TEST_CASE(data_of_another_sample_size_is_refused_naming_both) {
    auto net = classifier();
    tg::sgd<float> opt{{.learning_rate = 0.1}};
    const auto wide = indexed(30);  // one value per sample; the input takes two
    BOOST_CHECK_EXCEPTION(tg::fit(net, opt, wide, points, classes, {.epochs = 1}), std::invalid_argument, [](const std::invalid_argument& e) {
        return std::string(e.what()).find("fit: the dataset's samples have 1 value but input 'input' of shape (2) takes 2") != std::string::npos;
    });
    BOOST_CHECK_EXCEPTION(tg::fit(net, opt, tg::with_validation(blobs(20, 1), wide), points, classes, {.epochs = 1}), std::invalid_argument,
                          [](const std::invalid_argument& e) { return std::string(e.what()).find("fit (validation set): the dataset's samples have 1") != std::string::npos; });
}
