// Predictions: tg::predict and forward(batch, outputs...) compute only what an output needs, in
// evaluation mode, with no targets bound; an inference graph takes a trained graph's weights.
#define BOOST_TEST_MODULE predict
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <stdexcept>
#include <vector>

#include <typegrad/typegrad.hpp>

#include "../message_has.hpp"

namespace tg = typegrad;
using tg::testing::message_has;

namespace {

const auto features = tg::named_input<"features", 4>;
// Batch normalisation and dropout behave differently in training: predictions must not.
const auto logits = features | tg::dense<8> | tg::batch_norm | tg::relu | tg::dropout(0.5) | tg::dense<3>;

auto trained_classifier() {
    auto net = tg::compile<float>(tg::cross_entropy(logits, tg::labels<3>), logits);
    net.initialize(4);
    tg::random_generator rng{9};
    tg::dataset<float, std::int32_t> data{.feature_size = 4};
    for (int i = 0; i < 120; ++i) {
        const std::int32_t label = i % 3;
        for (int j = 0; j < 4; ++j) data.features.push_back(float(rng.normal() + (j == label ? 2.0 : 0.0)));
        data.targets.push_back(label);
    }
    tg::adam<float> opt{{.learning_rate = 1e-2}};
    tg::fit(net, opt, data, features, tg::labels<3>, logits, {.epochs = 3, .batch_size = 16, .seed = 1});
    return std::pair{std::move(net), std::move(data)};
}

// The logits of a full forward in evaluation mode, every sample in one batch, the labels bound.
std::vector<float> logits_by_hand(auto& net, const tg::dataset<float, std::int32_t>& data) {
    const tg::evaluation_mode evaluating{net};
    net.bind(features, data.features);
    net.bind(tg::labels<3>, data.targets);
    net.forward(data.size());
    const auto values = net.value(logits);
    return {values.data(), values.data() + data.size() * 3};
}

}  // namespace

BOOST_AUTO_TEST_CASE(predict_gives_the_evaluation_mode_outputs_without_labels, *boost::unit_test::tolerance(1e-6f)) {
    auto [net, data] = trained_classifier();
    const std::vector<float> expected = logits_by_hand(net, data);
    auto fresh = tg::compile<float>(tg::cross_entropy(logits, tg::labels<3>), logits);  // no labels ever bound
    fresh.copy_parameters_from(net);
    const std::vector<float> predicted = tg::predict(fresh, data, features, logits, {.batch_size = 50});  // 120 = 2 x 50 + 20
    BOOST_TEST(predicted == expected, boost::test_tools::per_element());
    BOOST_TEST(fresh.training());  // the mode is restored
}

BOOST_AUTO_TEST_CASE(predict_takes_a_span_of_features_and_agrees_with_accuracy) {
    auto [net, data] = trained_classifier();
    const std::vector<float> scores = tg::predict(net, std::span<const float>(data.features), features, logits, {.batch_size = 7});
    BOOST_REQUIRE_EQUAL(scores.size(), data.size() * 3);
    std::size_t correct = 0;
    for (std::size_t i = 0; i < data.size(); ++i)
        correct += tg::predicted_class(std::span<const float>(scores).subspan(3 * i, 3)) == std::size_t(data.targets[i]);
    BOOST_TEST(double(correct) / double(data.size()) == tg::accuracy(net, data, features, logits, {.batch_size = 32}));
    BOOST_TEST(double(correct) / double(data.size()) > 0.6);
}

BOOST_AUTO_TEST_CASE(an_inference_graph_takes_trained_weights, *boost::unit_test::tolerance(1e-6f)) {
    auto [net, data] = trained_classifier();
    auto inference = tg::compile<float>(logits);
    inference.copy_parameters_from(net);
    BOOST_TEST(tg::predict(inference, data, features, logits) == logits_by_hand(net, data), boost::test_tools::per_element());
    // The running statistics came along: the evaluation-mode outputs match, which they would not
    // with a fresh batch normalisation's zero means and unit variances.
    BOOST_TEST(inference.state().size() == net.state().size());
}

BOOST_AUTO_TEST_CASE(copying_weights_between_different_networks_names_the_tensor) {
    auto [net, data] = trained_classifier();
    const auto wider = features | tg::dense<16> | tg::batch_norm | tg::relu | tg::dropout(0.5) | tg::dense<3>;
    auto other = tg::compile<float>(wider);
    const std::vector<float> before(other.parameters().begin(), other.parameters().end());
    BOOST_CHECK_EXCEPTION(other.copy_parameters_from(net), std::invalid_argument,
                          [](const std::invalid_argument& e) { return message_has(e, {"parameter tensor '0.weight'", "[16, 4] here but [8, 4]"}); });
    BOOST_TEST(std::equal(before.begin(), before.end(), other.parameters().begin()));  // nothing half-copied
}

BOOST_AUTO_TEST_CASE(a_partial_forward_refuses_backward_and_loss) {
    auto [net, data] = trained_classifier();
    net.bind(features, data.features);
    net.forward(10, logits);
    BOOST_CHECK_EXCEPTION(net.backward(), std::logic_error,
                          [](const std::logic_error& e) { return message_has(e, {"backward() needs a full forward(batch)"}); });
    BOOST_CHECK_EXCEPTION(net.loss(), std::logic_error, [](const std::logic_error& e) { return message_has(e, {"loss() needs a full forward(batch)"}); });
    // A full forward still needs the labels: fit() left no binding to its batches behind.
    BOOST_CHECK_EXCEPTION(net.forward(10), std::logic_error, [](const std::logic_error& e) { return message_has(e, {"'labels'", "is not bound"}); });
    // Nor does predict() leave its batches bound.
    (void)tg::predict(net, data, features, logits);
    BOOST_CHECK_EXCEPTION(net.forward(10, logits), std::logic_error, [](const std::logic_error& e) { return message_has(e, {"'features'", "is not bound"}); });
}

BOOST_AUTO_TEST_CASE(features_that_are_not_whole_samples_are_refused_naming_the_input) {
    auto [net, data] = trained_classifier();
    const std::vector<float> ragged(10, 0.0f);
    BOOST_CHECK_EXCEPTION(tg::predict(net, std::span<const float>(ragged), features, logits), std::invalid_argument,
                          [](const std::invalid_argument& e) {
                              return message_has(e, {"predict: 10 feature values are not a whole number of samples", "'features' of shape (4)"});
                          });
    tg::dataset<float, std::int32_t> wide{.feature_size = 5, .features = std::vector<float>(10, 0.0f), .targets = {0, 1}};
    BOOST_CHECK_EXCEPTION(tg::predict(net, wide, features, logits), std::invalid_argument, [](const std::invalid_argument& e) {
        return message_has(e, {"the dataset's samples have 5 values but input 'features' of shape (4) takes 4"});
    });
    BOOST_CHECK_EXCEPTION(tg::predict(net, data, features, logits, {.batch_size = 0}), std::invalid_argument,
                          [](const std::invalid_argument& e) { return message_has(e, {"batch size must be positive"}); });
}
