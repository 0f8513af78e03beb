// The standardizer: statistics of the training set only, checked against sums computed here; a
// constant feature; the round trip through its file, and every refusal.
#define BOOST_TEST_MODULE standardizer
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstddef>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "message_has.hpp"
#include "scratch_directory.hpp"
#include <typegrad/data/standardizer.hpp>
#include <typegrad/io/safetensors.hpp>
#include <typegrad/kernels/random.hpp>

namespace tg = typegrad;
namespace io = typegrad::io;
using typegrad::testing::message_has;
using typegrad::testing::scratch_directory;

namespace {

// n samples of three features of very different scales and offsets, and a constant fourth one.
tg::dataset<float> measurements(std::size_t n, std::uint64_t seed) {
    tg::random_generator rng{seed};
    tg::dataset<float> data{4, 1, {}, {}};
    for (std::size_t i = 0; i < n; ++i) {
        data.features.insert(data.features.end(), {float(rng.normal(300.0, 25.0)), float(rng.uniform(-1e-3, 3e-3)), float(rng.normal(-5e4, 1e3)), 0.1f});
        data.targets.push_back(float(i));
    }
    return data;
}

// Mean and population standard deviation of feature f, in long double, one sample at a time.
std::pair<long double, long double> statistics_of(const tg::dataset<float>& data, std::size_t f) {
    long double sum = 0, squares = 0;
    const std::size_t n = data.size();
    for (std::size_t i = 0; i < n; ++i) sum += data.features[i * data.feature_size + f];
    const long double mean = sum / n;
    for (std::size_t i = 0; i < n; ++i) squares += (data.features[i * data.feature_size + f] - mean) * (data.features[i * data.feature_size + f] - mean);
    return {mean, std::sqrt(squares / n)};
}

}  // namespace

BOOST_AUTO_TEST_CASE(statistics_of_the_training_set) {
    const auto train = measurements(1000, 1);
    tg::standardizer<float> s;
    BOOST_TEST(!s.fitted());
    s.fit(train);
    BOOST_TEST(s.fitted());
    BOOST_TEST(s.feature_size() == 4u);
    for (std::size_t f = 0; f < 3; ++f) {
        const auto [mean, deviation] = statistics_of(train, f);
        BOOST_TEST(s.mean()[f] == double(mean), boost::test_tools::tolerance(1e-12));
        BOOST_TEST(s.standard_deviation()[f] == double(deviation), boost::test_tools::tolerance(1e-12));
    }
    // The constant feature: its value as the mean (exactly), divided by 1.
    BOOST_TEST(s.mean()[3] == double(0.1f));
    BOOST_TEST(s.standard_deviation()[3] == 1.0);
}

BOOST_AUTO_TEST_CASE(training_features_become_mean_0_and_deviation_1) {
    auto train = measurements(1000, 2);
    tg::standardizer<float> s;
    s.fit(train);
    s.apply(train);
    for (std::size_t f = 0; f < 3; ++f) {
        const auto [mean, deviation] = statistics_of(train, f);
        BOOST_TEST(std::abs(double(mean)) < 1e-6);
        BOOST_TEST(double(deviation) == 1.0, boost::test_tools::tolerance(1e-5));
    }
    for (std::size_t i = 0; i < train.size(); ++i) BOOST_TEST(train.features[i * 4 + 3] == 0.0f);  // constant: exactly 0, not 0/0
}

BOOST_AUTO_TEST_CASE(other_data_gets_the_training_statistics) {
    const auto train = measurements(500, 3);
    auto test = measurements(200, 4);
    test.features[3] = 7.0f;  // the constant feature differs on other data: it stays finite
    const auto raw = test.features;
    tg::standardizer<float> s;
    s.fit(train);
    s.apply(test);
    for (std::size_t i = 0; i < raw.size(); ++i) {
        const std::size_t f = i % 4;
        BOOST_TEST(test.features[i] == float((double(raw[i]) - s.mean()[f]) / s.standard_deviation()[f]));
    }
    BOOST_TEST(test.features[3] == float(7.0 - double(0.1f)));
    // Raw rows as a span, and the same in double.
    std::vector<float> rows(raw.begin(), raw.begin() + 8);
    s.apply(std::span<float>(rows));
    for (std::size_t i = 0; i < rows.size(); ++i) BOOST_TEST(rows[i] == test.features[i]);
    tg::dataset<double> wide{2, 1, {1, 10, 3, 30, 5, 50}, {0, 0, 0}};
    tg::standardizer<double> d;
    d.fit(wide);
    d.apply(wide);
    const double z = std::sqrt(1.5);  // (1 - 3) / sqrt(8 / 3)
    BOOST_TEST(wide.features[0] == -z, boost::test_tools::tolerance(1e-15));
    BOOST_TEST(wide.features[1] == -z, boost::test_tools::tolerance(1e-15));
    BOOST_TEST(wide.features[4] == z, boost::test_tools::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(inverse_undoes_apply) {
    auto data = measurements(300, 5);
    const auto raw = data.features;
    tg::standardizer<float> s;
    s.fit(data);
    s.apply(data);
    s.inverse(data);
    // To float's rounding of the standardised value, scaled back: a few ulps of the feature's spread.
    for (std::size_t i = 0; i < raw.size(); ++i)
        BOOST_TEST(std::abs(data.features[i] - raw[i]) <= 1e-6 * (s.standard_deviation()[i % 4] + std::abs(s.mean()[i % 4])));
}

BOOST_AUTO_TEST_CASE(misuse_is_refused) {
    const auto says = [](std::initializer_list<std::string> parts) { return [parts](const std::invalid_argument& e) { return message_has(e, parts); }; };
    tg::standardizer<float> s;
    auto data = measurements(10, 6);
    BOOST_CHECK_EXCEPTION(s.apply(data), std::invalid_argument, says({"typegrad: standardizer: not fitted: fit it on the training set, or load a saved one"}));
    s.fit(data);
    tg::dataset<float> three{3, 1, {1, 2, 3}, {0}};
    BOOST_CHECK_EXCEPTION(s.apply(three), std::invalid_argument, says({"typegrad: standardizer: fitted on 4 features, the dataset has 3 features per sample"}));
    BOOST_CHECK_EXCEPTION(s.inverse(three), std::invalid_argument, says({"fitted on 4 features, the dataset has 3 features"}));
    std::vector<float> ragged(6);
    BOOST_CHECK_EXCEPTION(s.apply(std::span<float>(ragged)), std::invalid_argument, says({"6 feature values are not whole rows of 4 features"}));
    BOOST_CHECK_EXCEPTION(s.fit(tg::dataset<float>{2, 1, {}, {}}), std::invalid_argument, says({"fit: no samples (rows of 2 features)"}));
    BOOST_CHECK_EXCEPTION(s.fit(tg::dataset<float>{2, 1, {1, 2, 3}, {0}}), std::invalid_argument, says({"3 feature values are not a whole number of samples of 2"}));
    BOOST_CHECK_EXCEPTION(s.fit(tg::dataset<float>{2, 1, {1, 2, 3, NAN}, {0, 0}}), std::invalid_argument, says({"fit: feature 1 of sample 1 is not finite (nan)"}));
    BOOST_TEST(s.feature_size() == 4u);  // a refused fit leaves the fitted statistics alone
    scratch_directory dir{"typegrad-standardizer"};
    BOOST_CHECK_EXCEPTION(tg::standardizer<float>{}.save(dir.file("s.safetensors")), std::invalid_argument, says({"not fitted: there is nothing to save"}));
}

BOOST_AUTO_TEST_CASE(round_trip_through_a_file) {
    auto train = measurements(400, 7);
    tg::standardizer<float> s;
    s.fit(train);
    scratch_directory dir{"typegrad-standardizer"};
    const std::string path = dir.file("standardizer.safetensors");
    s.save(path);
    const auto file = io::read_safetensors(path);
    BOOST_TEST(file.tensors.size() == 2u);
    BOOST_TEST((file.tensors.at("standardizer.mean").shape == std::vector<std::size_t>{4}));
    BOOST_TEST((file.tensors.at("standardizer.std").type == io::element_type::f64));
    const auto loaded = tg::standardizer<float>::load(path);
    BOOST_TEST(loaded.mean() == s.mean());  // bit for bit: F64 in the file
    BOOST_TEST(loaded.standard_deviation() == s.standard_deviation());
    auto a = measurements(50, 8), b = a;
    s.apply(a);
    loaded.apply(b);
    BOOST_TEST(a.features == b.features);
    // A standardizer in double reads the same file.
    BOOST_TEST(tg::standardizer<double>::load(path).mean() == s.mean());
}

BOOST_AUTO_TEST_CASE(files_that_are_not_a_standardizers) {
    scratch_directory dir{"typegrad-standardizer"};
    const std::vector<double> three{1, 2, 3}, four{1, 2, 3, 4}, zero{1, 0, 3};
    const std::vector<float> three_f{1, 2, 3};
    const auto refused = [&](const std::vector<io::tensor_to_write>& tensors, std::initializer_list<std::string> parts) {
        const std::string path = dir.file("bad.safetensors");
        io::write_safetensors(path, tensors);
        BOOST_CHECK_EXCEPTION(tg::standardizer<float>::load(path), io::io_error, [&](const io::io_error& e) {
            std::vector<std::string> all{path + ": cannot load a standardizer from this file:"};
            all.insert(all.end(), parts);
            for (const auto& p : all)
                if (!message_has(e, {p})) return false;
            return true;
        });
    };
    refused({{"standardizer.mean", io::element_type::f64, {3}, three.data()}}, {"\n  tensor \"standardizer.std\" is missing"});
    refused({}, {"tensor \"standardizer.mean\" is missing", "tensor \"standardizer.std\" is missing"});
    refused({{"standardizer.mean", io::element_type::f32, {3}, three_f.data()}, {"standardizer.std", io::element_type::f64, {3}, three.data()}},
            {"tensor \"standardizer.mean\" is F32, a standardizer stores F64"});
    refused({{"standardizer.mean", io::element_type::f64, {3}, three.data()}, {"standardizer.std", io::element_type::f64, {4}, four.data()}},
            {"tensor \"standardizer.std\" has shape [4], \"standardizer.mean\" has [3]: one value per feature in each"});
    refused({{"standardizer.mean", io::element_type::f64, {3, 1}, three.data()}, {"standardizer.std", io::element_type::f64, {3}, three.data()}},
            {"tensor \"standardizer.mean\" has shape [3, 1], a standardizer's has 1 dimension"});
    refused({{"standardizer.mean", io::element_type::f64, {0}, three.data()}, {"standardizer.std", io::element_type::f64, {0}, three.data()}},
            {"tensor \"standardizer.mean\" has shape [0]: no values (a standardizer has at least one feature)"});
    refused({{"standardizer.mean", io::element_type::f64, {3}, three.data()}, {"standardizer.std", io::element_type::f64, {3}, zero.data()}},
            {"tensor \"standardizer.std\" holds 0 at index 1: each value must be positive and finite"});
    refused({{"standardizer.mean", io::element_type::f64, {3}, three.data()},
             {"standardizer.std", io::element_type::f64, {3}, three.data()},
             {"whitener.matrix", io::element_type::f64, {3}, three.data()}},
            {"tensor \"whitener.matrix\" is not part of a standardizer"});
    const std::vector<double> infinite{1, INFINITY, 3};
    refused({{"standardizer.mean", io::element_type::f64, {3}, infinite.data()}, {"standardizer.std", io::element_type::f64, {3}, three.data()}},
            {"tensor \"standardizer.mean\" holds inf at index 1: each value must be finite"});
    BOOST_CHECK_EXCEPTION(tg::standardizer<float>::load(dir.file("none.safetensors")), io::io_error,
                          [](const io::io_error& e) { return message_has(e, {"none.safetensors: cannot open"}); });
}
