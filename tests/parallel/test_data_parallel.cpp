// Data-parallel training over MPI, run by `mpirun -np 2` and `-np 3` (tests/meson.build): N ranks with
// a global batch B train as one process with B does, up to rounding; every rank holds the same
// weights after every step; evaluation counts every sample once; checkpoints, stops and errors are
// agreed by all ranks.
#define BOOST_TEST_MODULE data_parallel
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <unistd.h>
#include <vector>

#include <typegrad/parallel/mpi.hpp>
#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

namespace {

struct mpi_for_the_tests {
    mpi_for_the_tests() { static tg::mpi::environment environment; }
};

tg::communicator& world() {
    static tg::mpi::communicator communicator;
    return communicator;
}

// 100 + N + 1 samples: no batch size of the tests divides them, and with 17 the last batch has one
// sample, so that some ranks' shares of it are empty.
std::size_t sample_count() { return 100 + world().size() + 1; }

template <class T = float>
tg::dataset<T, std::int32_t> blobs(std::size_t n) {
    tg::random_generator rng{11};
    tg::dataset<T, std::int32_t> data{2, 1, {}, {}};
    for (std::size_t i = 0; i < n; ++i) {
        const int label = int(i % 3);
        data.features.insert(data.features.end(), {T(label) - 1 + T(rng.normal()), T(label % 2) + T(rng.normal())});
        data.targets.push_back(label);
    }
    return data;
}

const auto points = tg::input<2>;
const auto classes = tg::labels<3>;
const auto scores = points | tg::dense<8> | tg::tanh | tg::dense<3>;

template <class T>
auto mlp(std::uint64_t seed) {
    auto net = tg::compile<T>(tg::cross_entropy(scores, classes), scores);
    net.initialize(seed);
    return net;
}

// Rank 0's values, on every rank, and whether this rank's are the same bit for bit.
template <class T>
bool same_on_every_rank(std::span<const T> values) {
    std::vector<T> first(values.begin(), values.end());
    world().broadcast(std::span<T>(first), 0);
    double differ = std::memcmp(first.data(), values.data(), values.size_bytes()) != 0 ? 1 : 0;
    world().sum(std::span<double>(&differ, 1));
    return differ == 0;
}

// |a - b| within `relative` of the larger magnitude (or of 0.01, for values near 0).
template <class T>
void check_close(std::span<const T> a, std::span<const T> b, double relative) {
    BOOST_TEST_REQUIRE(a.size() == b.size());
    double worst = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        worst = std::max(worst, std::abs(double(a[i]) - double(b[i])) / std::max({std::abs(double(a[i])), std::abs(double(b[i])), 0.01}));
    BOOST_TEST(worst <= relative);
}

void check_same_history(const std::vector<tg::epoch_report>& a, const std::vector<tg::epoch_report>& b, double relative) {
    BOOST_TEST_REQUIRE(a.size() == b.size());
    for (std::size_t e = 0; e < a.size(); ++e) {
        BOOST_TEST(a[e].batches == b[e].batches);
        BOOST_TEST(std::abs(a[e].loss - b[e].loss) <= relative * std::abs(b[e].loss));
        BOOST_TEST(a[e].accuracy == b[e].accuracy);
        BOOST_TEST(std::isnan(a[e].validation_loss) == std::isnan(b[e].validation_loss));
        if (std::isnan(b[e].validation_loss)) continue;  // no validation set
        BOOST_TEST(std::abs(a[e].validation_loss - b[e].validation_loss) <= relative * std::abs(b[e].validation_loss));
        BOOST_TEST(a[e].validation_accuracy == b[e].validation_accuracy);
    }
}

// A path every rank agrees on (rank 0's process id in it).
std::string shared_path(const std::string& name) {
    const std::string path = (std::filesystem::temp_directory_path() / ("typegrad_dp_" + std::to_string(::getpid()) + "_" + name)).string();
    return world().broadcast(path, 0);
}

// fit() on N ranks and on this process alone, from the same start (the ranks initialised apart: rank
// 0's weights must reach them all), compared step by step and at the end.
template <class T, class Data, class MakeNet>
void check_as_one_process(MakeNet make, const Data& train, const Data& validation, std::size_t batch, double relative) {
    auto alone = make(4);
    tg::adam<T> alone_opt{{.learning_rate = 0.01}};
    const auto alone_history = tg::fit(alone, alone_opt, tg::with_validation(train, validation), points, classes, scores,
                                       {.epochs = 2, .batch_size = batch, .seed = 5});

    auto together = make(4 + world().rank());
    tg::adam<T> opt{{.learning_rate = 0.01}};
    std::size_t steps = 0, steps_alike = 0;
    const auto history = tg::fit(together, opt, tg::with_validation(train, validation), points, classes, scores,
                                 {.epochs = 2, .batch_size = batch, .seed = 5, .on_batch = [&](const tg::batch_report&) {
                                      ++steps;
                                      steps_alike += same_on_every_rank<T>(together.parameters());
                                  },
                                  .ranks = &world()});
    BOOST_TEST(steps == 2 * ((train.size() + batch - 1) / batch));
    BOOST_TEST(steps_alike == steps);
    check_close<T>(together.parameters(), alone.parameters(), relative);
    check_same_history(history, alone_history, relative);
}

}  // namespace

BOOST_TEST_GLOBAL_FIXTURE(mpi_for_the_tests);

BOOST_AUTO_TEST_CASE(ranks_train_an_mlp_as_one_process_in_float_and_double) {
    BOOST_TEST_REQUIRE(world().size() > 1, "run by mpirun with two ranks or more");
    for (const std::size_t batch : {16u, 17u}) {
        BOOST_TEST_CONTEXT("batch " << batch << " of " << sample_count() << " samples on " << world().size() << " ranks") {
            check_as_one_process<float>([](std::uint64_t seed) { return mlp<float>(seed); }, blobs<float>(sample_count()), blobs<float>(37), batch, 1e-5);
            check_as_one_process<double>([](std::uint64_t seed) { return mlp<double>(seed); }, blobs<double>(sample_count()), blobs<double>(37), batch, 1e-12);
        }
    }
}

namespace {

// Images of 1x6x6: a bright row, column or diagonal, with noise.
tg::dataset<float, std::int32_t> strokes(std::size_t n) {
    tg::random_generator rng{13};
    tg::dataset<float, std::int32_t> data{36, 1, {}, {}};
    for (std::size_t i = 0; i < n; ++i) {
        const int label = int(i % 3);
        for (std::size_t y = 0; y < 6; ++y)
            for (std::size_t x = 0; x < 6; ++x) {
                const bool on = label == 0 ? y == 2 : label == 1 ? x == 3 : x == y;
                data.features.push_back((on ? 1.f : 0.f) + 0.3f * float(rng.normal()));
            }
        data.targets.push_back(label);
    }
    return data;
}

const auto image = tg::input<1, 6, 6>;
const auto image_scores = image | tg::conv2d<4, 3> | tg::relu | tg::max_pool<2> | tg::flatten | tg::dense<3>;

}  // namespace

BOOST_AUTO_TEST_CASE(ranks_train_a_small_cnn_as_one_process) {
    const auto train = strokes(sample_count()), validation = strokes(29);
    const auto make = [](std::uint64_t seed) {
        auto net = tg::compile<float>(tg::cross_entropy(image_scores, classes), image_scores);
        net.initialize(seed);
        return net;
    };
    auto alone = make(4);
    tg::sgd<float> alone_opt{{.learning_rate = 0.05, .momentum = 0.9}};
    const auto alone_history = tg::fit(alone, alone_opt, tg::with_validation(train, validation), image, classes, image_scores,
                                       {.epochs = 2, .batch_size = 16, .seed = 9});
    auto together = make(4 + 10 * world().rank());
    tg::sgd<float> opt{{.learning_rate = 0.05, .momentum = 0.9}};
    const auto history = tg::fit(together, opt, tg::with_validation(train, validation), image, classes, image_scores,
                                 {.epochs = 2, .batch_size = 16, .seed = 9, .ranks = &world()});
    BOOST_TEST(same_on_every_rank<float>(together.parameters()));
    check_close<float>(together.parameters(), alone.parameters(), 1e-5);
    check_same_history(history, alone_history, 1e-5);
}

// Each rank evaluates its share of the data set; the sums count every sample once (no padding).
BOOST_AUTO_TEST_CASE(evaluations_over_ranks_count_every_sample_once) {
    auto net = mlp<float>(7);
    const auto data = blobs(sample_count());
    const tg::evaluation_options alone{.batch_size = 8}, together{.batch_size = 8, .ranks = &world()};
    const tg::evaluation a = tg::evaluate(net, data, points, classes, scores, alone), b = tg::evaluate(net, data, points, classes, scores, together);
    BOOST_TEST(std::abs(a.loss - b.loss) <= 1e-6 * a.loss);
    BOOST_TEST(a.accuracy == b.accuracy);
    BOOST_TEST(tg::accuracy(net, data, points, scores, alone) == tg::accuracy(net, data, points, scores, together));
    const tg::confusion_matrix ca = tg::confusion_matrix_of(net, data, points, scores, alone), cb = tg::confusion_matrix_of(net, data, points, scores, together);
    std::size_t total = 0;
    for (std::size_t t = 0; t < 3; ++t)
        for (std::size_t p = 0; p < 3; ++p) {
            BOOST_TEST(ca.count(t, p) == cb.count(t, p));
            total += cb.count(t, p);
        }
    BOOST_TEST(total == data.size());
    // More ranks than samples: some shares are empty.
    const auto tiny = blobs(world().size() - 1);
    BOOST_TEST(tg::accuracy(net, tiny, points, scores, alone) == tg::accuracy(net, tiny, points, scores, together));
}

BOOST_AUTO_TEST_CASE(ranks_whose_networks_differ_are_refused_on_every_rank) {
    const auto data = blobs(sample_count());
    std::string message;
    try {
        if (world().rank() == 0) {
            auto net = mlp<float>(1);
            tg::sgd<float> opt{{.learning_rate = 0.1}};
            tg::fit(net, opt, data, points, classes, {.epochs = 1, .batch_size = 16, .ranks = &world()});
        } else {
            const auto wider = points | tg::dense<9> | tg::tanh | tg::dense<3>;
            auto net = tg::compile<float>(tg::cross_entropy(wider, classes), wider);
            tg::sgd<float> opt{{.learning_rate = 0.1}};
            tg::fit(net, opt, data, points, classes, {.epochs = 1, .batch_size = 16, .ranks = &world()});
        }
    } catch (const std::invalid_argument& e) {
        message = e.what();
    }
    BOOST_TEST(message.find("the ranks' networks differ: rank 0 has 0.weight [8, 2], 0.bias [8], 2.weight [3, 8], 2.bias [3]; rank 1 has 0.weight [9, 2]") !=
                   std::string::npos,
               message);
}

// 2 epochs straight and 1 epoch, a checkpoint, and 1 more from it end with the same weights, bit for bit.
BOOST_AUTO_TEST_CASE(a_run_resumed_from_a_checkpoint_ends_as_the_straight_run) {
    const auto data = blobs(sample_count());
    const std::string checkpoint = shared_path("resume.safetensors");
    auto straight = mlp<float>(3);
    tg::adam<float> straight_opt{{.learning_rate = 0.01}};
    tg::fit(straight, straight_opt, data, points, classes, {.epochs = 2, .batch_size = 16, .seed = 2, .ranks = &world()});

    auto first = mlp<float>(3);
    tg::adam<float> first_opt{{.learning_rate = 0.01}};
    tg::fit(first, first_opt, data, points, classes, {.epochs = 1, .batch_size = 16, .seed = 2, .checkpoint = checkpoint, .ranks = &world()});
    auto resumed = mlp<float>(99);
    tg::adam<float> resumed_opt{{.learning_rate = 0.01}};
    const auto history = tg::fit(resumed, resumed_opt, data, points, classes, {.epochs = 2, .batch_size = 16, .seed = 2, .resume = checkpoint, .ranks = &world()});
    BOOST_TEST(history.size() == 2u);
    BOOST_TEST(std::equal(resumed.parameters().begin(), resumed.parameters().end(), straight.parameters().begin()));
    BOOST_TEST(same_on_every_rank<float>(resumed.parameters()));
    // The same checkpoint resumed by one process: the same global batch, the same run.
    auto alone = mlp<float>(99);
    tg::adam<float> alone_opt{{.learning_rate = 0.01}};
    tg::fit(alone, alone_opt, data, points, classes, {.epochs = 2, .batch_size = 16, .seed = 2, .resume = checkpoint});
    check_close<float>(alone.parameters(), straight.parameters(), 1e-5);
    double read = 1;
    world().sum(std::span<double>(&read, 1));  // every rank has read it
    if (world().rank() == 0) std::filesystem::remove(checkpoint);
}

// A stop asked for on the last rank only (as when a signal reaches one process first) stops every rank
// at the same step: the next, whose exchange of figures tells them all.
BOOST_AUTO_TEST_CASE(a_stop_asked_for_on_one_rank_stops_all_at_the_same_step) {
    const auto data = blobs(sample_count());
    auto net = mlp<float>(3);
    tg::sgd<float> opt{{.learning_rate = 0.1}};
    std::atomic<bool> stop{false};
    const auto history = tg::fit(net, opt, data, points, classes,
                                 {.epochs = 3, .batch_size = 16, .on_batch = [&](const tg::batch_report& report) {
                                      if (world().rank() + 1 == world().size() && report.batch == 3) stop = true;
                                  },
                                  .stop = &stop, .ranks = &world()});
    BOOST_TEST_REQUIRE(history.size() == 1u);
    BOOST_TEST(history[0].interrupted);
    BOOST_TEST(history[0].batches == 4u);
    BOOST_TEST(same_on_every_rank<float>(net.parameters()));
}

// A value that is not finite in one rank's activations stops every rank at that step with the same
// error, naming the rank.
BOOST_AUTO_TEST_CASE(a_non_finite_activation_on_one_rank_stops_every_rank) {
    auto data = blobs(sample_count());
    const std::size_t last_rank = world().size() - 1, poisoned = tg::share_of(16, last_rank, world().size()).first;  // in the first batch, unshuffled
    data.features[2 * poisoned] = std::numeric_limits<float>::quiet_NaN();
    auto net = mlp<float>(3);
    tg::sgd<float> opt{{.learning_rate = 0.1}};
    std::string message;
    std::size_t batch = 99;
    try {
        tg::fit(net, opt, data, points, classes, {.epochs = 1, .batch_size = 16, .shuffle = false, .check_finite = true, .ranks = &world()});
    } catch (const tg::non_finite_error& e) {
        message = e.what();
        batch = e.batch();
    }
    BOOST_TEST(batch == 1u);
    BOOST_TEST(message.find("(on rank " + std::to_string(last_rank) + ")") != std::string::npos, message);
}

// The gradients are summed in buckets sent while backward runs; whatever their size, the same result.
BOOST_AUTO_TEST_CASE(the_bucket_size_does_not_change_the_result) {
    const auto train = strokes(sample_count());
    std::vector<std::vector<float>> results;
    for (const std::size_t bytes : {std::size_t(0), std::size_t(64), std::size_t(400), std::size_t(1) << 20}) {
        auto net = tg::compile<float>(tg::cross_entropy(image_scores, classes), image_scores);
        net.initialize(8);
        tg::adam<float> opt{{.learning_rate = 0.01}};
        tg::fit(net, opt, train, image, classes, {.epochs = 1, .batch_size = 17, .seed = 1, .ranks = &world(), .bucket_bytes = bytes});
        results.emplace_back(net.parameters().begin(), net.parameters().end());
    }
    for (std::size_t i = 1; i < results.size(); ++i) BOOST_TEST((results[i] == results[0]), "bucket size number " << i);
    // The buckets themselves: per layer at 0 bytes, one for all at 1 MiB.
    auto net = tg::compile<float>(tg::cross_entropy(image_scores, classes), image_scores);
    BOOST_TEST(tg::detail::gradient_exchange<float>(world(), net.gradient_ready_points(), net.gradients().size(), 1).buckets() == 2u);
    BOOST_TEST(tg::detail::gradient_exchange<float>(world(), net.gradient_ready_points(), net.gradients().size(), 1 << 18).buckets() == 1u);
}

// The sums themselves: sizes 0, 1, odd and powers of two, and more ranks than values; each value's sum
// taken in rank order.
BOOST_AUTO_TEST_CASE(sums_of_every_size_are_exact_and_alike) {
    for (const std::size_t n : {0u, 1u, 2u, 3u, 7u, 64u, 1000u, 4097u}) {
        std::vector<double> values(n);
        for (std::size_t i = 0; i < n; ++i) values[i] = double(i) + 1000.0 * double(world().rank());
        world().sum(std::span<double>(values));
        const double ranks = double(world().size());
        std::size_t wrong = 0;
        for (std::size_t i = 0; i < n; ++i) wrong += values[i] != ranks * double(i) + 1000.0 * ranks * (ranks - 1) / 2;
        BOOST_TEST(wrong == 0u, "n = " << n);
    }
    // Several under way at once, finished together.
    std::vector<float> a(5, 1.f), b(301, 2.f);
    world().start_sum(std::span<float>(a));
    world().start_sum(std::span<float>(b));
    world().finish_sums();
    BOOST_TEST(a[4] == float(world().size()));
    BOOST_TEST(b[300] == 2.f * float(world().size()));
}

// Dropout: each rank draws the whole batch's masks and keeps its rows', so N ranks train as one process
// does, dropout included; with batch 17 the last batch has one sample, and ranks with an empty share
// take the masks' generator from the last rank.
BOOST_AUTO_TEST_CASE(ranks_with_dropout_train_as_one_process) {
    const auto dropped = points | tg::dense<16> | tg::relu | tg::dropout(0.5) | tg::dense<3>;
    const auto make = [&] {
        auto net = tg::compile<float>(tg::cross_entropy(dropped, classes), dropped);
        net.initialize(6);
        return net;
    };
    const auto train = blobs(sample_count());
    auto alone = make();
    tg::adam<float> alone_opt{{.learning_rate = 0.01}};
    const auto alone_history = tg::fit(alone, alone_opt, train, points, classes, dropped, {.epochs = 2, .batch_size = 17, .seed = 4});
    auto together = make();
    tg::adam<float> opt{{.learning_rate = 0.01}};
    const auto history = tg::fit(together, opt, train, points, classes, dropped, {.epochs = 2, .batch_size = 17, .seed = 4, .ranks = &world()});
    BOOST_TEST(same_on_every_rank<float>(together.parameters()));
    BOOST_TEST(same_on_every_rank<std::uint64_t>(std::span<const std::uint64_t>(together.dropout_generator().state().words)));
    check_close<float>(together.parameters(), alone.parameters(), 1e-5);
    check_same_history(history, alone_history, 1e-5);
}
