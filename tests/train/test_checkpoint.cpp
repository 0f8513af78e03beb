// Checkpoints: a run stopped after an epoch or within one and resumed ends bit for bit where the
// uninterrupted run ends (Adam, dropout, shuffling, a schedule and early stopping all in play), and
// a checkpoint that does not fit the run is refused, naming the file and what differs.
#define BOOST_TEST_MODULE checkpoint
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

#include "message_has.hpp"
#include <typegrad/io/model_file.hpp>
#include <typegrad/typegrad.hpp>

#include "scratch_directory.hpp"

namespace tg = typegrad;
namespace fs = std::filesystem;
using tg::testing::scratch_directory;

namespace {

// Two noisy Gaussian blobs in 2-D; `flip` swaps the labels.
tg::dataset<float, std::int32_t> blobs(std::size_t n, std::uint64_t seed, bool flip = false) {
    tg::random_generator rng{seed};
    tg::dataset<float, std::int32_t> data{2, 1, {}, {}};
    for (std::size_t i = 0; i < n; ++i) {
        const int label = int(i % 2);
        const float centre = label ? 0.5f : -0.5f;
        data.features.insert(data.features.end(), {centre + float(rng.normal()), centre + float(rng.normal())});
        data.targets.push_back(flip ? 1 - label : label);
    }
    return data;
}

const auto points = tg::input<2>;
const auto classes = tg::labels<2>;
const auto scores = points | tg::dense<16> | tg::relu | tg::dropout(0.3) | tg::dense<2>;
const auto narrow_scores = points | tg::dense<8> | tg::relu | tg::dropout(0.3) | tg::dense<2>;

template <class Scores>
auto classifier(const Scores& s, std::uint64_t seed) {
    auto net = tg::compile<float>(tg::cross_entropy(s, classes), s);
    net.initialize(seed);
    net.set_threads(1);
    return net;
}

const auto train_set = blobs(200, 1);
const auto validation_set = blobs(60, 2);

tg::fit_options run_options(bool restore_best = false) {
    return {.epochs = 4,
            .batch_size = 16,  // 200 = 12 x 16 + 8: a partial last batch
            .seed = 7,
            .learning_rate_factor = tg::cosine_schedule{.epochs = 4, .minimum = 0.1},
            .patience = 3,
            .restore_best = restore_best};
}

std::vector<float> parameters_of(const auto& net) { return {net.parameters().begin(), net.parameters().end()}; }

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// The history as it would be bit-identical: everything but the seconds.
void require_same_history(const std::vector<tg::epoch_report>& a, const std::vector<tg::epoch_report>& b) {
    BOOST_REQUIRE_EQUAL(a.size(), b.size());
    for (std::size_t e = 0; e < a.size(); ++e) {
        BOOST_TEST(a[e].epoch == b[e].epoch);
        BOOST_TEST(a[e].loss == b[e].loss);
        BOOST_TEST(a[e].accuracy == b[e].accuracy);
        BOOST_TEST(a[e].validation_loss == b[e].validation_loss);
        BOOST_TEST(a[e].learning_rate == b[e].learning_rate);
        BOOST_TEST(a[e].best == b[e].best);
        BOOST_TEST(a[e].batches == b[e].batches);
        BOOST_REQUIRE_EQUAL(a[e].norms.size(), b[e].norms.size());
        for (std::size_t t = 0; t < a[e].norms.size(); ++t) {
            BOOST_TEST(a[e].norms[t].gradient_norm == b[e].norms[t].gradient_norm);
            BOOST_TEST(a[e].norms[t].parameter_norm == b[e].norms[t].parameter_norm);
        }
    }
}

struct uninterrupted {
    std::vector<float> parameters;
    std::vector<tg::epoch_report> history;
};

uninterrupted run_through(bool restore_best = false) {
    auto net = classifier(scores, 3);
    tg::adam<float> opt{{.learning_rate = 0.02}};
    auto history = tg::fit(net, opt, tg::with_validation(train_set, validation_set), points, classes, scores, run_options(restore_best));
    return {parameters_of(net), std::move(history)};
}

using typegrad::testing::message_has;

}  // namespace

BOOST_AUTO_TEST_CASE(a_run_stopped_after_epoch_1_and_resumed_ends_bit_identical) {
    const uninterrupted reference = run_through();
    scratch_directory dir{"typegrad-checkpoint"};
    const std::string path = (dir.path / "run.safetensors").string();

    std::atomic<bool> stop{false};
    std::vector<float> after_epoch_1;
    {
        auto net = classifier(scores, 3);
        tg::adam<float> opt{{.learning_rate = 0.02}};
        auto options = run_options();
        options.checkpoint = path;
        options.stop = &stop;
        options.on_epoch = [&](const tg::epoch_report& e) { stop = e.epoch == 1; };  // as a signal arriving during epoch 1's validation
        const auto history = tg::fit(net, opt, tg::with_validation(train_set, validation_set), points, classes, scores, options);
        BOOST_REQUIRE_EQUAL(history.size(), 1u);
        BOOST_TEST(history[0].interrupted);
        BOOST_TEST(history[0].batches == 13u);
        after_epoch_1 = parameters_of(net);
    }
    // Dropout drew masks: the checkpoint holds the generator's state, not the one initialize() set.
    const auto file = tg::io::read_safetensors(path);
    BOOST_TEST(file.metadata.at("dropout.generator") != tg::checkpoint_text(classifier(scores, 3).dropout_generator().state()));
    BOOST_TEST(file.metadata.at("position.epoch") == "2");
    BOOST_TEST(file.metadata.at("optimizer.steps") == "13");
    BOOST_TEST(file.tensors.contains("optimizer.adam.second.3.bias"));

    auto net = classifier(scores, 99);  // other initial weights: the checkpoint's must replace them
    tg::adam<float> opt{{.learning_rate = 0.02}};
    auto options = run_options();
    options.resume = path;
    options.checkpoint = path;
    const auto history = tg::fit(net, opt, tg::with_validation(train_set, validation_set), points, classes, scores, options);
    BOOST_TEST(same_bits(parameters_of(net), reference.parameters));
    BOOST_TEST(!same_bits(after_epoch_1, reference.parameters));
    require_same_history(history, reference.history);
    BOOST_TEST(opt.steps() == 4 * 13u);
}

BOOST_AUTO_TEST_CASE(a_run_stopped_within_an_epoch_resumes_at_the_next_batch) {
    const uninterrupted reference = run_through();
    scratch_directory dir{"typegrad-checkpoint-mid"};
    const std::string path = (dir.path / "run.safetensors").string();
    std::atomic<bool> stop{false};
    {
        auto net = classifier(scores, 3);
        tg::adam<float> opt{{.learning_rate = 0.02}};
        auto options = run_options();
        options.checkpoint = path;
        options.stop = &stop;
        options.on_batch = [&](const tg::batch_report& b) { stop = b.epoch == 2 && b.batch == 5; };
        const auto history = tg::fit(net, opt, tg::with_validation(train_set, validation_set), points, classes, scores, options);
        BOOST_REQUIRE_EQUAL(history.size(), 2u);
        BOOST_TEST(!history[0].interrupted);
        BOOST_TEST(history[1].interrupted);
        BOOST_TEST(history[1].batches == 5u);
        BOOST_TEST(std::isnan(history[1].validation_loss));
    }
    BOOST_TEST(tg::io::read_safetensors(path).metadata.at("position.batch") == "5");
    auto net = classifier(scores, 3);
    tg::adam<float> opt{{.learning_rate = 0.02}};
    auto options = run_options();
    options.resume = path;
    const auto history = tg::fit(net, opt, tg::with_validation(train_set, validation_set), points, classes, scores, options);
    BOOST_TEST(same_bits(parameters_of(net), reference.parameters));
    require_same_history(history, reference.history);
}

BOOST_AUTO_TEST_CASE(early_stopping_keeps_its_best_weights_across_a_resume) {
    // Validation labels are the training labels swapped: epoch 1 is the best, patience 2 stops after
    // epoch 3. Stopped after epoch 2, the resumed run still ends with epoch 1's weights, and a resume
    // of the finished run trains no further.
    const auto flipped = blobs(60, 2, true);
    const tg::fit_options base{.epochs = 20, .batch_size = 20, .seed = 9, .patience = 2};
    auto reference = classifier(scores, 4);
    tg::adam<float> reference_opt{{.learning_rate = 0.01}};
    const auto reference_history = tg::fit(reference, reference_opt, tg::with_validation(train_set, flipped), points, classes, scores, base);
    BOOST_REQUIRE_EQUAL(reference_history.size(), 3u);
    BOOST_REQUIRE(reference_history[0].best);

    scratch_directory dir{"typegrad-checkpoint-best"};
    const std::string path = (dir.path / "run.safetensors").string();
    std::atomic<bool> stop{false};
    {
        auto net = classifier(scores, 4);
        tg::adam<float> opt{{.learning_rate = 0.01}};
        auto options = base;
        options.checkpoint = path;
        options.stop = &stop;
        options.on_epoch = [&](const tg::epoch_report& e) { stop = e.epoch == 2; };
        tg::fit(net, opt, tg::with_validation(train_set, flipped), points, classes, scores, options);
    }
    BOOST_TEST(tg::io::read_safetensors(path).tensors.contains("early_stopping.best.0.weight"));
    auto net = classifier(scores, 4);
    tg::adam<float> opt{{.learning_rate = 0.01}};
    auto options = base;
    options.resume = path;
    options.checkpoint = path;
    const auto history = tg::fit(net, opt, tg::with_validation(train_set, flipped), points, classes, scores, options);
    require_same_history(history, reference_history);
    BOOST_TEST(same_bits(parameters_of(net), parameters_of(reference)));

    auto again = classifier(scores, 4);
    tg::adam<float> again_opt{{.learning_rate = 0.01}};
    BOOST_TEST(tg::fit(again, again_opt, tg::with_validation(train_set, flipped), points, classes, scores, options).size() == 3u);
    BOOST_TEST(again_opt.steps() == opt.steps());  // no step after the early stop
    BOOST_TEST(same_bits(parameters_of(again), parameters_of(reference)));
}

BOOST_AUTO_TEST_CASE(sgd_momentum_is_checkpointed_too) {
    const tg::fit_options base{.epochs = 3, .batch_size = 32, .seed = 5};
    auto reference = classifier(scores, 6);
    tg::sgd<float> reference_opt{{.learning_rate = 0.05, .momentum = 0.9, .nesterov = true}};
    tg::fit(reference, reference_opt, train_set, points, classes, base);

    scratch_directory dir{"typegrad-checkpoint-sgd"};
    const std::string path = (dir.path / "run.safetensors").string();
    std::atomic<bool> stop{false};
    {
        auto net = classifier(scores, 6);
        tg::sgd<float> opt{{.learning_rate = 0.05, .momentum = 0.9, .nesterov = true}};
        auto options = base;
        options.checkpoint = path;
        options.stop = &stop;
        options.on_batch = [&](const tg::batch_report& b) { stop = b.epoch == 2 && b.batch == 2; };
        tg::fit(net, opt, train_set, points, classes, options);
    }
    BOOST_TEST(tg::io::read_safetensors(path).tensors.contains("optimizer.sgd.momentum.0.weight"));
    auto net = classifier(scores, 6);
    tg::sgd<float> opt{{.learning_rate = 0.05, .momentum = 0.9, .nesterov = true}};
    auto options = base;
    options.resume = path;
    tg::fit(net, opt, train_set, points, classes, options);
    BOOST_TEST(same_bits(parameters_of(net), parameters_of(reference)));
}

BOOST_AUTO_TEST_CASE(a_checkpoint_that_does_not_fit_the_run_is_refused_and_nothing_changes) {
    scratch_directory dir{"typegrad-checkpoint-refused"};
    const std::string path = (dir.path / "narrow.safetensors").string();
    {
        auto net = classifier(narrow_scores, 3);
        tg::adam<float> opt{{.learning_rate = 0.02}};
        auto options = run_options();
        options.epochs = 1;
        options.checkpoint = path;
        tg::fit(net, opt, tg::with_validation(train_set, validation_set), points, classes, narrow_scores, options);
    }
    auto net = classifier(scores, 3);
    const auto before = parameters_of(net);
    tg::adam<float> opt{{.learning_rate = 0.02}};
    auto options = run_options();
    options.resume = path;

    // Another network: every differing tensor, the weights' and the optimiser's, is named with both shapes.
    BOOST_CHECK_EXCEPTION(tg::fit(net, opt, tg::with_validation(train_set, validation_set), points, classes, scores, options), tg::io::io_error,
                          [&](const tg::io::io_error& e) {
                              return message_has(e, {path, "cannot resume from this checkpoint", "nothing was loaded",
                                                     "tensor \"0.weight\" has shape [8, 2], the network's is [16, 2]",
                                                     "tensor \"optimizer.adam.first.0.weight\" has shape [8, 2]",
                                                     "tensor \"optimizer.adam.second.3.weight\" has shape [2, 8], the network's is [2, 16]"});
                          });
    BOOST_TEST(same_bits(parameters_of(net), before));
    BOOST_TEST(opt.steps() == 0u);

    // Another optimiser, another batch size.
    tg::sgd<float> sgd{{.learning_rate = 0.1, .momentum = 0.5}};
    auto other = run_options();
    other.resume = path;
    other.batch_size = 32;
    auto narrow = classifier(narrow_scores, 3);
    BOOST_CHECK_EXCEPTION(tg::fit(narrow, sgd, tg::with_validation(train_set, validation_set), points, classes, narrow_scores, other), tg::io::io_error,
                          [&](const tg::io::io_error& e) {
                              return message_has(e, {path, "the optimiser is adam, this run's is sgd", "the batch size is 16, this run's is 32",
                                                     "tensor \"optimizer.adam.first.0.weight\" is not part of this network, optimiser or run"});
                          });

    // Other training data of the same size (another split, say).
    auto narrow_net = classifier(narrow_scores, 3);
    tg::adam<float> narrow_opt{{.learning_rate = 0.02}};
    BOOST_CHECK_EXCEPTION(tg::fit(narrow_net, narrow_opt, tg::with_validation(blobs(200, 5), validation_set), points, classes, narrow_scores, options), tg::io::io_error,
                          [&](const tg::io::io_error& e) { return message_has(e, {path, "the training data differ from the run's"}); });

    // Damaged files: a truncated one, a header with a changed shape, a model file that is no checkpoint.
    const fs::path truncated = dir.path / "truncated.safetensors";
    fs::copy_file(path, truncated);
    fs::resize_file(truncated, fs::file_size(truncated) - 100);
    options.resume = truncated.string();
    BOOST_CHECK_EXCEPTION(tg::fit(net, opt, tg::with_validation(train_set, validation_set), points, classes, scores, options), tg::io::io_error,
                          [&](const tg::io::io_error& e) { return message_has(e, {truncated.string()}); });

    std::string bytes;
    {
        std::ifstream in(path, std::ios::binary);
        bytes.assign(std::istreambuf_iterator<char>(in), {});
    }
    const std::string field = "\"shuffler.order\":{\"dtype\":\"F64\",\"shape\":[200]";
    const std::size_t at = bytes.find(field);
    BOOST_REQUIRE(at != std::string::npos);
    bytes.replace(at, field.size(), "\"shuffler.order\":{\"dtype\":\"F32\",\"shape\":[400]");  // same byte count: the header stays valid
    options.resume = dir.write("damaged.safetensors", bytes).string();
    auto narrow_again = classifier(narrow_scores, 3);
    BOOST_CHECK_EXCEPTION(tg::fit(narrow_again, opt, tg::with_validation(train_set, validation_set), points, classes, narrow_scores, options), tg::io::io_error,
                          [&](const tg::io::io_error& e) {
                              return message_has(e, {"damaged.safetensors", "tensor \"shuffler.order\" is F32 [400], the shuffler's order of this dataset is F64 [200]"});
                          });

    const fs::path model = dir.path / "model.safetensors";
    tg::io::save_parameters(net, model);
    options.resume = model.string();
    BOOST_CHECK_EXCEPTION(tg::fit(net, opt, tg::with_validation(train_set, validation_set), points, classes, scores, options), tg::io::io_error,
                          [&](const tg::io::io_error& e) { return message_has(e, {model.string(), "not a typegrad checkpoint"}); });
    BOOST_TEST(same_bits(parameters_of(net), before));
}

BOOST_AUTO_TEST_CASE(random_generators_continue_from_a_saved_state) {
    tg::random_generator a{11};
    a.normal();  // leaves a spare normal deviate in the state
    tg::random_generator b{12};
    b.set_state(a.state());
    BOOST_TEST(a.normal() == b.normal());
    BOOST_TEST(a.next() == b.next());
    BOOST_TEST(a.uniform() == b.uniform());
}
