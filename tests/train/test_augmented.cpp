// Augmented training sources: each sample transformed as it is read (on the reading thread), drawn
// from (seed, epoch, sample): the same whatever the prefetch depth, new each epoch, the same on resuming.
#define BOOST_TEST_MODULE augmented
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include <typegrad/typegrad.hpp>

#include "../message_has.hpp"
#include "../scratch_directory.hpp"

namespace tg = typegrad;
using tg::testing::message_says;
using tg::testing::scratch_directory;

namespace {

const auto image = tg::named_input<"image", 1, 4, 4>;
const auto logits = image | tg::flatten | tg::dense<6> | tg::relu | tg::dense<2>;
const auto always_flipped = tg::augment::compose(tg::shape<1, 4, 4>{}, tg::augment::flip_horizontal{1.0});
const auto turned = tg::augment::compose(tg::shape<1, 4, 4>{}, tg::augment::flip_horizontal{0.5}, tg::augment::rotate_90{});

// Images whose left half is bright for class 1: flips matter to the values, not to the class's cue's presence.
tg::dataset<float, std::int32_t> images(std::size_t count) {
    tg::dataset<float, std::int32_t> data{.feature_size = 16};
    tg::random_generator rng{2};
    for (std::size_t i = 0; i < count; ++i) {
        const std::int32_t label = std::int32_t(i % 2);
        for (std::size_t p = 0; p < 16; ++p) data.features.push_back(float(rng.uniform() + (label && p % 4 < 2 ? 1.0 : 0.0)));
        data.targets.push_back(label);
    }
    return data;
}

template <class Data>
std::vector<float> trained(const Data& data, tg::fit_options options) {
    auto net = tg::compile<float>(tg::cross_entropy(logits, tg::labels<2>), logits);
    net.initialize(3);
    tg::adam<float> opt{{.learning_rate = 1e-2}};
    tg::fit(net, opt, data, image, tg::labels<2>, options);
    return {net.parameters().begin(), net.parameters().end()};
}

}  // namespace

BOOST_AUTO_TEST_CASE(each_sample_is_read_through_the_pipeline) {
    const auto data = images(10);
    const auto flipped = tg::augmented(data, always_flipped, 1);
    tg::minibatches batches{flipped, 4, 1, false};
    batches.start_epoch();
    std::size_t first = 0;
    while (batches.next()) {
        for (std::size_t i = 0; i < batches.size(); ++i)
            for (std::size_t y = 0; y < 4; ++y)
                for (std::size_t x = 0; x < 4; ++x) BOOST_TEST(batches.features()[i * 16 + y * 4 + x] == data.features[(first + i) * 16 + y * 4 + (3 - x)]);
        BOOST_TEST(std::equal(batches.targets().begin(), batches.targets().end(), data.targets.begin() + std::ptrdiff_t(first)));
        first += batches.size();
    }
    BOOST_TEST(first == 10u);
}

BOOST_AUTO_TEST_CASE(draws_change_with_the_epoch_not_with_reading_ahead) {
    const auto data = images(64);
    const auto augmented = tg::augmented(data, turned, 5);
    tg::minibatches batches{augmented, 64, 1, false};
    batches.start_epoch();
    batches.next();
    const std::vector<float> epoch1(batches.features().begin(), batches.features().end());
    batches.start_epoch();
    batches.next();
    const std::vector<float> epoch2(batches.features().begin(), batches.features().end());
    BOOST_TEST(epoch1 != epoch2);  // unshuffled: the same samples, other draws

    const tg::fit_options options{.epochs = 3, .batch_size = 8, .seed = 4};
    auto ahead = options;
    ahead.prefetch = 3;
    auto inline_reads = options;
    inline_reads.prefetch = 0;
    const auto read_ahead = trained(augmented, ahead);
    BOOST_TEST(read_ahead == trained(augmented, inline_reads));
    BOOST_TEST(read_ahead != trained(data, options));  // the augmentation did something
}

BOOST_AUTO_TEST_CASE(a_resumed_run_draws_what_the_straight_run_drew) {
    const scratch_directory dir{"augmented"};
    const auto data = images(64);
    const auto augmented = tg::augmented(data, turned, 5);
    const tg::fit_options options{.epochs = 2, .batch_size = 8, .seed = 4};
    const auto straight = trained(augmented, options);
    std::atomic<bool> stop{false};
    auto first = options;
    first.checkpoint = dir.file("run.ckpt");
    first.stop = &stop;
    std::size_t steps = 0;
    first.on_batch = [&](const tg::batch_report&) { stop = ++steps == 11; };  // within the second epoch
    trained(augmented, first);
    auto second = options;
    second.resume = first.checkpoint;
    BOOST_TEST(trained(augmented, second) == straight);
    // Another seed is other data to a checkpoint.
    BOOST_CHECK_THROW(trained(tg::augmented(data, turned, 6), second), tg::io::io_error);
}

BOOST_AUTO_TEST_CASE(shapes_are_checked_against_the_data_and_the_network) {
    tg::dataset<float, std::int32_t> wrong{.feature_size = 9, .features = std::vector<float>(18), .targets = {0, 1}};
    BOOST_CHECK_EXCEPTION(tg::augmented(wrong, turned, 1), std::invalid_argument, message_says({"9 values", "(1, 4, 4)"}));
    const auto data = images(8);
    const auto cropped = tg::augmented(data, tg::augment::compose(tg::shape<1, 4, 4>{}, tg::augment::random_crop<3, 3>{}), 1);
    auto net = tg::compile<float>(tg::cross_entropy(logits, tg::labels<2>), logits);
    tg::sgd<float> opt{{.learning_rate = 0.1}};
    BOOST_CHECK_EXCEPTION(tg::fit(net, opt, cropped, image, tg::labels<2>, {.epochs = 1}), std::invalid_argument,
                          message_says({"fit", "(1, 3, 3)", "'image'", "(1, 4, 4)"}));
}
