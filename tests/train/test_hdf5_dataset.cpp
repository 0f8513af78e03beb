// Streamed data sets: fit(), evaluate(), accuracy(), confusion_matrix_of() and predict() read an
// hdf5_dataset a batch at a time (ahead, on a thread) and give what they give on the same data in memory;
// checkpoints resume on it; bad files and bad rows are errors naming the file.
#define BOOST_TEST_MODULE hdf5_dataset
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include <typegrad/typegrad.hpp>

#include "../message_has.hpp"
#include "../scratch_directory.hpp"

namespace tg = typegrad;
namespace fs = std::filesystem;
using tg::testing::message_says;
using tg::testing::scratch_directory;

namespace {

constexpr std::size_t samples = 150, classes = 3;
const auto features = tg::named_input<"features", 2, 3>;
const auto labels = tg::named_labels<"labels", classes>;
const auto values = tg::named_target<"values", 2>;
const auto logits = features | tg::flatten | tg::dense<8> | tg::relu | tg::dense<classes>;
const auto regression = features | tg::flatten | tg::dense<2>;

// The same samples in memory and in a file: 2 x 3 features whose mean says the class, and two values.
struct data_sets {
    tg::dataset<float, std::int32_t> classified{.feature_size = 6};
    tg::dataset<float> regressed{.feature_size = 6, .target_size = 2};
    fs::path file;
};

data_sets make_data(const fs::path& directory, std::size_t count = samples) {
    data_sets sets;
    sets.file = directory / "data.h5";
    tg::random_generator rng{3};
    std::vector<float> x(6);
    tg::io::hdf5_writer labelled{sets.file, {.feature_shape = {2, 3}, .chunk_samples = 8}};
    tg::io::hdf5_writer valued{directory / "values.h5", {.feature_shape = {2, 3}, .target_values = 2, .chunk_samples = 8}};
    for (std::size_t i = 0; i < count; ++i) {
        const std::int32_t label = std::int32_t(i % classes);
        for (auto& v : x) v = float(rng.normal() + label);
        const std::vector<float> y{float(x[0] - x[5]), float(x[1] + x[2])};
        sets.classified.features.insert(sets.classified.features.end(), x.begin(), x.end());
        sets.classified.targets.push_back(label);
        sets.regressed.features.insert(sets.regressed.features.end(), x.begin(), x.end());
        sets.regressed.targets.insert(sets.regressed.targets.end(), y.begin(), y.end());
        labelled.append(std::span<const float>(x), std::span<const std::int32_t>(&label, 1));
        valued.append(std::span<const float>(x), std::span<const float>(y));
    }
    labelled.close();
    valued.close();
    return sets;
}

tg::hdf5_dataset<float, std::int32_t> streamed_labels(const fs::path& file) {
    return tg::hdf5_dataset<float, std::int32_t>{file, {.classes = classes}};
}

auto classifier() {
    auto net = tg::compile<float>(tg::cross_entropy(logits, labels), logits);
    net.initialize(5);
    return net;
}

template <class Data>
std::vector<float> trained(const Data& data, tg::fit_options options, std::vector<tg::epoch_report>* history = nullptr) {
    auto net = classifier();
    tg::adam<float> opt{{.learning_rate = 1e-2}};
    const auto h = tg::fit(net, opt, data, features, labels, logits, options);
    if (history) *history = h;
    return {net.parameters().begin(), net.parameters().end()};
}

}  // namespace

BOOST_AUTO_TEST_CASE(training_on_a_streamed_set_in_order_is_training_on_it_in_memory) {
    const scratch_directory dir{"hdf5_dataset"};
    const auto sets = make_data(dir.path);
    const auto file = streamed_labels(sets.file);
    BOOST_TEST(file.size() == samples);
    // Unshuffled, the batches are the same rows in the same order: bit for bit, prefetched or not.
    const tg::fit_options in_order{.epochs = 2, .batch_size = 16, .seed = 1, .shuffle = false};
    const auto memory = trained(sets.classified, in_order);
    for (std::size_t prefetch : {0, 1, 3}) {
        auto options = in_order;
        options.prefetch = prefetch;
        BOOST_TEST(trained(file, options) == memory);
    }
}

BOOST_AUTO_TEST_CASE(shuffled_streamed_batches_are_the_same_samples_read_in_sorted_runs) {
    const scratch_directory dir{"hdf5_dataset"};
    const auto sets = make_data(dir.path);
    const auto file = streamed_labels(sets.file);
    // Each batch holds the samples the in-memory run's batch holds, in ascending order: the same
    // gradient up to the order of the sum.
    const tg::fit_options shuffled{.epochs = 2, .batch_size = 16, .seed = 4};
    std::vector<tg::epoch_report> memory_history, file_history;
    const auto memory = trained(sets.classified, shuffled, &memory_history);
    const auto streamed = trained(file, shuffled, &file_history);
    for (std::size_t i = 0; i < memory.size(); ++i) BOOST_TEST(std::abs(streamed[i] - memory[i]) <= 1e-6f + 1e-4f * std::abs(memory[i]));
    BOOST_TEST(file_history.back().loss == memory_history.back().loss, boost::test_tools::tolerance(1e-5));
    // Prefetching changes nothing.
    auto ahead = shuffled;
    ahead.prefetch = 0;
    BOOST_TEST(trained(file, ahead) == streamed);

    tg::minibatches batches{file, 16, 4};
    std::vector<int> seen(samples, 0);
    batches.start_epoch();
    while (batches.next()) BOOST_TEST(batches.size() <= 16u);
    for (std::size_t s : batches.order()) ++seen[s];
    BOOST_TEST(std::count(seen.begin(), seen.end(), 1) == std::ptrdiff_t(samples));
}

BOOST_AUTO_TEST_CASE(evaluation_and_predictions_read_a_streamed_set_as_they_read_memory) {
    const scratch_directory dir{"hdf5_dataset"};
    const auto sets = make_data(dir.path);
    const auto file = streamed_labels(sets.file);
    auto net = classifier();
    tg::adam<float> opt{{.learning_rate = 1e-2}};
    tg::fit(net, opt, sets.classified, features, labels, logits, {.epochs = 2, .batch_size = 16, .seed = 1});
    for (std::size_t prefetch : {0, 2}) {
        const tg::evaluation_options options{.batch_size = 32, .prefetch = prefetch};
        const auto m = tg::evaluate(net, sets.classified, features, labels, logits, options);
        const auto f = tg::evaluate(net, file, features, labels, logits, options);
        BOOST_TEST(f.loss == m.loss);
        BOOST_TEST(f.accuracy == m.accuracy);
        BOOST_TEST(tg::accuracy(net, file, features, logits, options) == tg::accuracy(net, sets.classified, features, logits, options));
        const auto cm = tg::confusion_matrix_of(net, file, features, logits, options);
        BOOST_TEST(cm.total() == samples);
        BOOST_TEST(cm.accuracy() == m.accuracy);
        BOOST_TEST(tg::predict(net, file, features, logits, options) == tg::predict(net, sets.classified, features, logits, options));
    }
    // A split by rows is its own data set.
    const auto tail = file.rows(100, 50);
    tg::dataset<float, std::int32_t> tail_memory{.feature_size = 6};
    tail_memory.features.assign(sets.classified.features.begin() + 600, sets.classified.features.end());
    tail_memory.targets.assign(sets.classified.targets.begin() + 100, sets.classified.targets.end());
    BOOST_TEST(tg::evaluate(net, tail, features, labels).loss == tg::evaluate(net, tail_memory, features, labels).loss);
    BOOST_CHECK_EXCEPTION(file.rows(100, 51), std::out_of_range, message_says({"data.h5", "rows [100, 151)", "150"}));
}

BOOST_AUTO_TEST_CASE(regression_targets_stream_and_validation_sets_may_be_streamed) {
    const scratch_directory dir{"hdf5_dataset"};
    const auto sets = make_data(dir.path);
    const tg::hdf5_dataset<float> file{dir.path / "values.h5"};
    BOOST_TEST(file.target_size == 2u);
    const auto train = file.rows(0, 120), validation = file.rows(120, 30);
    auto net = tg::compile<float>(tg::mse_loss(regression, values), regression);
    net.initialize(2);
    tg::adam<float> opt{{.learning_rate = 5e-2}};
    const auto history = tg::fit(net, opt, tg::with_validation(train, validation), features, values, {.epochs = 30, .batch_size = 16, .seed = 2});
    BOOST_TEST(history.back().validation_loss < 0.05 * history.front().validation_loss);
    BOOST_TEST(tg::predict(net, validation, features, regression).size() == 30u * 2u);
}

BOOST_AUTO_TEST_CASE(a_streamed_run_resumes_from_its_checkpoint_exactly) {
    const scratch_directory dir{"hdf5_dataset"};
    const auto sets = make_data(dir.path);
    const auto file = streamed_labels(sets.file);
    const tg::fit_options options{.epochs = 2, .batch_size = 16, .seed = 7};
    const auto straight = trained(file, options);

    std::atomic<bool> stop{false};
    auto first = options;
    first.checkpoint = (dir.path / "run.ckpt").string();
    first.stop = &stop;
    std::size_t steps = 0;
    first.on_batch = [&](const tg::batch_report&) {
        if (++steps == 13) stop = true;  // within the second epoch (10 batches each)
    };
    std::vector<tg::epoch_report> history;
    trained(file, first, &history);
    BOOST_TEST(history.back().interrupted);
    auto second = options;
    second.resume = first.checkpoint;
    BOOST_TEST(trained(file, second) == straight);

    // The same samples in another file resume; other samples are refused.
    const scratch_directory other_dir{"hdf5_dataset_other"};
    const auto other = make_data(other_dir.path);
    auto elsewhere = second;
    const auto shifted = streamed_labels(other.file).rows(0, samples);
    BOOST_TEST(trained(shifted, elsewhere) == straight);  // the same seed made the same samples
    BOOST_CHECK_THROW(trained(shifted.rows(1, samples - 1), elsewhere), tg::io::io_error);
}

BOOST_AUTO_TEST_CASE(bad_files_and_rows_are_errors_naming_the_file) {
    const scratch_directory dir{"hdf5_dataset"};
    const auto sets = make_data(dir.path);
    // The wrong kind of targets for the type asked.
    BOOST_CHECK_EXCEPTION((tg::hdf5_dataset<float>{sets.file, {.classes = 3}}), tg::io::io_error, message_says({"data.h5", "\"targets\"", "class labels"}));
    BOOST_CHECK_EXCEPTION((tg::hdf5_dataset<float, std::int32_t>{dir.path / "values.h5", {.classes = 3}}), tg::io::io_error,
                          message_says({"values.h5", "(2)", "not class labels"}));
    // A missing file or dataset.
    BOOST_CHECK_EXCEPTION(streamed_labels(dir.path / "missing.h5"), tg::io::io_error, message_says({"missing.h5"}));
    BOOST_CHECK_EXCEPTION((tg::hdf5_dataset<float, std::int32_t>{sets.file, {.features = "images", .classes = 3}}), tg::io::io_error,
                          message_says({"data.h5", "images"}));

    // Samples of another shape than the network's input: before anything is read.
    const auto wide = tg::named_input<"features", 3, 2>;
    const auto wide_logits = wide | tg::flatten | tg::dense<classes>;
    auto net = tg::compile<float>(tg::cross_entropy(wide_logits, labels), wide_logits);
    tg::sgd<float> opt{{.learning_rate = 0.1}};
    const auto file = streamed_labels(sets.file);
    BOOST_CHECK_EXCEPTION(tg::fit(net, opt, file, wide, labels, {.epochs = 1}), tg::io::io_error, message_says({"data.h5", "\"features\"", "(2, 3)", "(3, 2)"}));
    BOOST_CHECK_EXCEPTION(tg::evaluate(net, file, wide, labels), tg::io::io_error, message_says({"data.h5", "(2, 3)", "(3, 2)"}));
    BOOST_CHECK_EXCEPTION(tg::predict(net, file, wide, wide_logits), tg::io::io_error, message_says({"data.h5", "(2, 3)", "(3, 2)"}));
    // Targets of another shape than the network's target.
    auto regressor = tg::compile<float>(tg::mse_loss(regression | tg::dense<3>, tg::named_target<"values", 3>));
    tg::sgd<float> ropt{{.learning_rate = 0.1}};
    const tg::hdf5_dataset<float> valued{dir.path / "values.h5"};
    BOOST_CHECK_EXCEPTION(tg::fit(regressor, ropt, valued, features, tg::named_target<"values", 3>, {.epochs = 1}), tg::io::io_error,
                          message_says({"values.h5", "(2)", "(3)"}));

    // A label out of range, met while training on the reading thread: named with its row, the file named.
    const fs::path bad = dir.path / "bad_label.h5";
    {
        tg::io::hdf5_writer writer{bad, {.feature_shape = {2, 3}}};
        const std::vector<float> x(6 * 40, 0.5f);
        std::vector<std::int32_t> y(40, 1);
        y[37] = 5;
        writer.append(std::span<const float>(x), std::span<const std::int32_t>(y));
        writer.close();
    }
    auto good_net = classifier();
    tg::adam<float> adam{{}};
    for (std::size_t prefetch : {0, 2})
        BOOST_CHECK_EXCEPTION(tg::fit(good_net, adam, streamed_labels(bad), features, labels, {.epochs = 1, .batch_size = 8, .prefetch = prefetch}),
                              tg::io::io_error, message_says({"bad_label.h5", "37", "5"}));
    BOOST_CHECK_EXCEPTION(tg::accuracy(good_net, streamed_labels(bad), features, logits), tg::io::io_error, message_says({"bad_label.h5", "37"}));

    // Sample 100's bytes overwritten: the file opens (its metadata is whole), and the checksum of the
    // chunk fails while training; the error reaches fit()'s caller from the reading thread.
    const fs::path corrupt = dir.path / "corrupt.h5";
    fs::copy_file(sets.file, corrupt);
    {
        std::fstream bytes{corrupt, std::ios::in | std::ios::out | std::ios::binary};
        const std::string contents{std::istreambuf_iterator<char>(bytes), {}};
        const std::string sample(reinterpret_cast<const char*>(sets.classified.features.data() + 600), 6 * sizeof(float));
        const auto at = contents.find(sample);
        BOOST_REQUIRE(at != std::string::npos);
        bytes.seekp(std::streamoff(at));
        bytes.write("\x5a\x5a\x5a\x5a", 4);
    }
    for (std::size_t prefetch : {0, 2})
        BOOST_CHECK_EXCEPTION(tg::fit(good_net, adam, streamed_labels(corrupt), features, labels, {.epochs = 1, .batch_size = 8, .prefetch = prefetch}),
                              tg::io::io_error, message_says({"corrupt.h5"}));
    // A truncated file: refused on opening.
    const fs::path truncated = dir.path / "truncated.h5";
    fs::copy_file(sets.file, truncated);
    fs::resize_file(truncated, fs::file_size(truncated) / 2);
    BOOST_CHECK_EXCEPTION(streamed_labels(truncated), tg::io::io_error, message_says({"truncated.h5"}));
}
