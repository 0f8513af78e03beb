// Classification metrics: the confusion matrix and its per-class figures, their table, class
// weights from label frequencies, and what class weights do to a rare class's recall.
#define BOOST_TEST_MODULE metrics
// g++ 12 at -O2 loses track of which allocation confusion_matrix's counts live in once the graph's
// run-time code is out of line, and reports reads of them as out of bounds of another vector
// (-Warray-bounds false positive; the indices are checked, and the sanitizer build runs this test).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Warray-bounds"
#endif
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include <typegrad/train/class_weights.hpp>
#include <typegrad/train/classification_report.hpp>
#include <typegrad/train/confusion_matrix.hpp>
#include <typegrad/typegrad.hpp>

namespace tg = typegrad;
namespace utf = boost::unit_test;

namespace {

bool message_contains(const std::exception& e, const std::string& part) {
    return std::string(e.what()).find(part) != std::string::npos;
}

// Three classes, ten samples:       predicted 0  1  2   support
//                          true 0            2  1  1      4
//                          true 1            1  2  0      3
//                          true 2            0  1  2      3
//                   predicted count          3  4  3
const std::vector<std::int32_t> three_class_labels{0, 0, 0, 0, 1, 1, 1, 2, 2, 2};
const std::vector<std::int32_t> three_class_predictions{0, 0, 1, 2, 1, 1, 0, 2, 2, 1};

}  // namespace

BOOST_AUTO_TEST_CASE(counts_rows_are_true_classes_and_columns_predictions) {
    const tg::confusion_matrix m{3, three_class_labels, three_class_predictions};
    const std::size_t expected[3][3] = {{2, 1, 1}, {1, 2, 0}, {0, 1, 2}};
    for (std::size_t t = 0; t < 3; ++t)
        for (std::size_t p = 0; p < 3; ++p) BOOST_TEST(m.count(t, p) == expected[t][p]);
    BOOST_TEST(m.classes() == 3u);
    BOOST_TEST(m.total() == 10u);
    BOOST_TEST(m.support(0) == 4u);
    BOOST_TEST(m.support(1) == 3u);
    BOOST_TEST(m.predicted_count(1) == 4u);
}

BOOST_AUTO_TEST_CASE(accuracy_precision_recall_and_f1_by_hand, *utf::tolerance(1e-12)) {
    const tg::confusion_matrix m{3, three_class_labels, three_class_predictions};
    BOOST_TEST(m.accuracy() == 0.6);
    BOOST_TEST(m.precision(0) == 2.0 / 3);
    BOOST_TEST(m.recall(0) == 0.5);
    BOOST_TEST(m.f1(0) == 4.0 / 7);  // 2 (2/3)(1/2) / (2/3 + 1/2)
    BOOST_TEST(m.precision(1) == 0.5);
    BOOST_TEST(m.recall(1) == 2.0 / 3);
    BOOST_TEST(m.f1(1) == 4.0 / 7);
    BOOST_TEST(m.precision(2) == 2.0 / 3);
    BOOST_TEST(m.recall(2) == 2.0 / 3);
    BOOST_TEST(m.f1(2) == 2.0 / 3);
}

BOOST_AUTO_TEST_CASE(zero_over_zero_is_zero) {
    // Class 1 occurs but is never predicted; class 2 neither occurs nor is predicted.
    const tg::confusion_matrix m{3, std::vector<std::int32_t>{0, 1}, std::vector<std::int32_t>{0, 0}};
    BOOST_TEST(m.precision(0) == 0.5);
    BOOST_TEST(m.recall(0) == 1.0);
    BOOST_TEST(m.precision(1) == 0.0);
    BOOST_TEST(m.recall(1) == 0.0);
    BOOST_TEST(m.f1(1) == 0.0);
    BOOST_TEST(m.precision(2) == 0.0);
    BOOST_TEST(m.recall(2) == 0.0);
    BOOST_TEST(m.f1(2) == 0.0);
    BOOST_TEST(tg::confusion_matrix{4}.accuracy() == 0.0);
}

BOOST_AUTO_TEST_CASE(bad_input_is_named) {
    const std::vector<std::int32_t> two{0, 1}, three{0, 1, 1};
    BOOST_CHECK_EXCEPTION((tg::confusion_matrix{2, two, three}), std::invalid_argument,
                          [](const auto& e) { return message_contains(e, "2 labels but 3 predictions"); });
    BOOST_CHECK_EXCEPTION((tg::confusion_matrix{2, std::vector<std::int32_t>{0, 2}, two}), std::invalid_argument,
                          [](const auto& e) { return message_contains(e, "label 2 of sample 1 is not a class in [0, 2)"); });
    BOOST_CHECK_EXCEPTION((tg::confusion_matrix{2, two, std::vector<std::int32_t>{-1, 0}}), std::invalid_argument,
                          [](const auto& e) { return message_contains(e, "prediction -1 of sample 0"); });
    BOOST_CHECK_THROW(tg::confusion_matrix{0}, std::invalid_argument);
    tg::confusion_matrix m{2};
    BOOST_CHECK_THROW(m.add(0, 2), std::invalid_argument);
    BOOST_CHECK_THROW(m.recall(2), std::invalid_argument);
    std::ostringstream out;
    BOOST_CHECK_EXCEPTION(tg::print_confusion_matrix(out, m, {"one name"}), std::invalid_argument,
                          [](const auto& e) { return message_contains(e, "1 class names given for a confusion matrix of 2 classes"); });
}

BOOST_AUTO_TEST_CASE(the_table_is_as_wide_as_its_names_and_counts) {
    tg::confusion_matrix m{2};
    for (int i = 0; i < 1234; ++i) m.add(0, 0);
    m.add(0, 1);
    m.add(1, 1);
    std::ostringstream named;
    tg::print_confusion_matrix(named, m, {"cat", "hippopotamus"});
    BOOST_TEST(named.str() ==
               "true \\ predicted   cat  hippopotamus\n"
               "cat               1234             1\n"
               "hippopotamus         0             1\n");
    std::ostringstream indexed;
    tg::print_confusion_matrix(indexed, m);
    BOOST_TEST(indexed.str() ==
               "true \\ predicted     0  1\n"
               "0                 1234  1\n"
               "1                    0  1\n");
}

BOOST_AUTO_TEST_CASE(the_report_lists_every_class) {
    const tg::confusion_matrix m{3, three_class_labels, three_class_predictions};
    std::ostringstream out;
    tg::print_classification_report(out, m, {"shirt", "bag", "a very long class name"});
    const std::string text = out.str();
    BOOST_TEST_MESSAGE(text);
    BOOST_TEST(text.find("shirt                       0.667   0.500   0.571         4") != std::string::npos);
    BOOST_TEST(text.find("a very long class name      0.667   0.667   0.667         3") != std::string::npos);
    BOOST_TEST(text.find("accuracy                                    0.600        10") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(balanced_class_weights, *utf::tolerance(1e-12)) {
    // 4 samples, 2 classes: w_c = 4 / (2 count_c).
    const auto w = tg::class_weights_from_frequencies(std::vector<std::int32_t>{0, 0, 0, 1}, 2);
    BOOST_TEST(w.size() == 2u);
    BOOST_TEST(w[0] == 2.0 / 3);
    BOOST_TEST(w[1] == 2.0);
    // Every class then carries the same total weight, n / classes; balanced data weighs 1 everywhere.
    const std::vector<std::int32_t> skewed{2, 0, 2, 2, 1, 2, 2, 0, 2, 2, 2};
    const auto v = tg::class_weights_from_frequencies(skewed, 3);
    for (std::size_t c = 0; c < 3; ++c) {
        const auto count = std::count(skewed.begin(), skewed.end(), std::int32_t(c));
        BOOST_TEST(double(count) * v[c] == 11.0 / 3);
    }
    for (double weight : tg::class_weights_from_frequencies(std::vector<std::int32_t>{1, 0, 2, 2, 0, 1}, 3)) BOOST_TEST(weight == 1.0);
}

BOOST_AUTO_TEST_CASE(class_weights_refuse_missing_classes_and_bad_labels) {
    BOOST_CHECK_EXCEPTION(tg::class_weights_from_frequencies(std::vector<std::int32_t>{0, 0, 2}, 3), std::invalid_argument,
                          [](const auto& e) { return message_contains(e, "class 1 has no samples"); });
    BOOST_CHECK_EXCEPTION(tg::class_weights_from_frequencies(std::vector<std::int32_t>{0, 3}, 3), std::invalid_argument,
                          [](const auto& e) { return message_contains(e, "label 3 of sample 1"); });
    BOOST_CHECK_THROW(tg::class_weights_from_frequencies(std::vector<std::int32_t>{}, 3), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(class_weights_plug_into_the_cross_entropy, *utf::tolerance(1e-12)) {
    // The weighted mean: sum_r w[label_r] loss_r / sum_r w[label_r], with loss_r = log 2 for zero logits
    // and so the same whatever the weights; a non-zero logit tells the weights apart.
    const auto x = tg::input<2>;
    const std::vector<std::int32_t> labels{0, 0, 0, 1};
    const auto weights = tg::class_weights_from_frequencies(labels, 2);
    auto g = tg::compile<double>(tg::cross_entropy(x, tg::labels<2>, {.class_weights = weights}));
    const std::vector<double> logits{1, 0, 1, 0, 1, 0, 1, 0};  // every sample favours class 0
    g.bind(x, logits);
    g.bind(tg::labels<2>, labels);
    g.forward(4);
    const double right = std::log1p(std::exp(-1.0)), wrong = std::log1p(std::exp(1.0));
    BOOST_TEST(double(g.loss()) == (3 * weights[0] * right + weights[1] * wrong) / (3 * weights[0] + weights[1]));
    BOOST_TEST(double(g.loss()) == (right + wrong) / 2);  // balanced: both classes count equally
}

namespace {

// Two overlapping Gaussian blobs in 2-D (unit variance, centres (0, 0) and (1, 1)), `minority_share`
// of the samples in class 1.
tg::dataset<float, std::int32_t> two_blobs(std::size_t n, double minority_share, std::uint64_t seed) {
    tg::random_generator rng{seed};
    tg::dataset<float, std::int32_t> data{.feature_size = 2, .target_size = 1, .features = {}, .targets = {}};
    const auto minority = std::size_t(double(n) * minority_share);
    for (std::size_t i = 0; i < n; ++i) {
        const std::int32_t label = i < minority ? 1 : 0;
        data.features.push_back(float(rng.normal() + label));
        data.features.push_back(float(rng.normal() + label));
        data.targets.push_back(label);
    }
    return data;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_graph_metrics_agree_with_predictions_made_by_hand) {
    const auto data = two_blobs(103, 0.3, 5);
    const auto x = tg::input<2>;
    const auto logits = x | tg::dense<3>;  // three classes, one of which never occurs
    auto g = tg::compile<float>(tg::cross_entropy(logits, tg::labels<3>), logits);
    g.initialize(2);
    g.bind(x, data.features);
    g.bind(tg::labels<3>, data.targets);
    g.forward(data.size());
    std::vector<std::int32_t> predictions;
    for (std::size_t i = 0; i < data.size(); ++i) {
        const auto row = g.value(logits).sample(i);
        predictions.push_back(std::int32_t(std::max_element(row.begin(), row.end()) - row.begin()));
    }
    const tg::confusion_matrix by_hand{3, data.targets, predictions};
    const auto batched = tg::confusion_matrix_of(g, data, x, logits, {.batch_size = 10});  // 103 = 10 x 10 + 3
    BOOST_TEST((batched == by_hand));
    BOOST_TEST(tg::accuracy(g, data, x, logits, {.batch_size = 10}) == by_hand.accuracy());
}

BOOST_AUTO_TEST_CASE(one_logit_is_a_binary_classifier_with_float_labels) {
    const auto x = tg::input<1>;
    const auto logit = x | tg::dense<1>;
    auto g = tg::compile<double>(tg::binary_cross_entropy(logit, tg::target<1>), logit);
    auto p = g.parameters_of(logit);
    p[0] = 1;  // logit = x
    p[1] = 0;
    const tg::dataset<double, double> data{1, 1, {-2, -1, 0.5, 3, -0.5}, {0, 1, 1, 1, 0}};
    const auto m = tg::confusion_matrix_of(g, data, x, logit, {.batch_size = 2});
    BOOST_TEST(m.classes() == 2u);
    BOOST_TEST(m.count(0, 0) == 2u);
    BOOST_TEST(m.count(1, 0) == 1u);
    BOOST_TEST(m.count(1, 1) == 2u);
    BOOST_TEST(m.count(0, 1) == 0u);
}

BOOST_AUTO_TEST_CASE(a_bad_label_in_the_dataset_is_reported_before_the_graph_runs) {
    const auto x = tg::input<2>;
    const auto logits = x | tg::dense<3>;
    auto g = tg::compile<float>(tg::cross_entropy(logits, tg::labels<3>), logits);
    g.initialize(1);
    const tg::dataset<float, std::int32_t> data{2, 1, {0, 0, 1, 1, 2, 2}, {0, 3, 1}};
    BOOST_CHECK_EXCEPTION(tg::confusion_matrix_of(g, data, x, logits, {.batch_size = 2}), std::invalid_argument,
                          [](const auto& e) { return message_contains(e, "confusion_matrix_of(): label 3 of sample 1 is not a class in [0, 3)"); });
    BOOST_CHECK_EXCEPTION(tg::accuracy(g, data, x, logits, {.batch_size = 2}), std::invalid_argument,
                          [](const auto& e) { return message_contains(e, "accuracy(): label 3 of sample 1"); });
    const tg::dataset<float, float> halves{2, 1, {0, 0, 1, 1}, {0, 0.5f}};
    const auto logit = x | tg::dense<1>;
    auto b = tg::compile<float>(tg::binary_cross_entropy(logit, tg::target<1>), logit);
    BOOST_CHECK_EXCEPTION(tg::accuracy(b, halves, x, logit, {.batch_size = 2}), std::invalid_argument,
                          [](const auto& e) { return message_contains(e, "label 0.500000 of sample 1"); });
}

// Logistic regression on 95/5 imbalanced blobs, trained twice from the same seed: without class
// weights it learns the prior and rarely predicts the minority; balanced weights move the boundary
// back towards the middle, so far more of the minority is found on balanced test data.
BOOST_AUTO_TEST_CASE(class_weights_raise_the_minority_recall) {
    const auto train = two_blobs(2000, 0.05, 11);
    const auto test = two_blobs(2000, 0.5, 12);
    const auto x = tg::input<2>;
    const auto recall_of_minority = [&](std::vector<double> class_weights) {
        const auto logits = x | tg::dense<2>;
        auto g = tg::compile<float>(tg::cross_entropy(logits, tg::labels<2>, {.class_weights = std::move(class_weights)}), logits);
        g.initialize(3);
        tg::sgd<float> opt{{.learning_rate = 0.1, .momentum = 0.9}};
        tg::fit(g, opt, train, x, tg::labels<2>, {.epochs = 20, .batch_size = 64, .seed = 4});
        return tg::confusion_matrix_of(g, test, x, logits, {.batch_size = 500}).recall(1);
    };
    const double unweighted = recall_of_minority({});
    const double weighted = recall_of_minority(tg::class_weights_from_frequencies(train.targets, 2));
    BOOST_TEST_MESSAGE("minority recall: " << unweighted << " without class weights, " << weighted << " with");
    BOOST_TEST(unweighted < 0.3);
    BOOST_TEST(weighted > 0.6);
}
