// The Galaxy Zoo-like job: a CNN (workload W6: three 3x3 convolutions of 32, 64 and 128 channels with
// max pooling, global average pooling, 37 sigmoid outputs) learns the 37 vote fractions of synthetic
// galaxies (synthetic_galaxies.hpp) from 3 x 64 x 64 images, streamed from an HDF5 file that need not
// fit in memory: batches are read, and augmented, ahead of the training on a thread of their own.
// The loss is the mean squared error of the fractions, whose root is the Kaggle challenge's score
// (RMSE); it is reported against the baseline that predicts the training set's mean fractions, with
// the accuracy of the most-voted answer to Q1 (smooth / features or disc / star or artefact), its
// confusion matrix and a picture of test galaxies with their true and predicted Q1 fractions.
//
//   galaxy_zoo --data galaxies.h5 --images 40000 --epochs 1 --threads 2
//
// The file is generated first if it does not exist (streamed too: galaxy_generate's --batch).
// The last 10 % of the file's images are the test set, the 5 % before them the validation set.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <typegrad/report/progress_bar.hpp>
#include <typegrad/typegrad.hpp>

#include "synthetic_galaxies.hpp"

namespace tg = typegrad;
namespace gz = galaxy_zoo;
namespace fs = std::filesystem;

namespace {

struct job_options {
    std::string data = "galaxies.h5";
    std::size_t images = 60000, epochs = 3, batch = 4, threads = 0, limit = 0, prefetch = 4;
    double lr = 2e-3;
    std::uint64_t seed = 1;
    bool augment = false, plots = true;
    std::string out = "out/galaxy_zoo", json;
};

const auto image = tg::named_input<"image", gz::bands, gz::side, gz::side>;
const auto fractions = tg::named_target<"fractions", gz::answer_count>;
// W6 of the reference workloads.
const auto votes = image | tg::conv2d<32, 3, 1, tg::padding::same> | tg::relu | tg::max_pool<2>  //
                   | tg::conv2d<64, 3, 1, tg::padding::same> | tg::relu | tg::max_pool<2>          //
                   | tg::conv2d<128, 3, 1, tg::padding::same> | tg::relu | tg::global_average_pool  //
                   | tg::dense<gz::answer_count> | tg::sigmoid;

double peak_rss_mib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_maxrss) / 1024.0;  // KiB on Linux
}

// Q1's most-voted answer: 0 smooth, 1 features or disc, 2 star or artefact.
std::size_t q1_class(const float* f) { return std::size_t(std::max_element(f, f + 3) - f); }

// The fractions of rows [first, first + count) of the file, read without the images.
std::vector<float> read_fractions(const tg::hdf5_dataset<float>& data) {
    tg::io::hdf5_reader reader{data.path(), data.file().options()};
    std::vector<float> all(data.size() * gz::answer_count);
    constexpr std::size_t block = 4096;
    for (std::size_t i = 0; i < data.size(); i += block) {
        const std::size_t n = std::min(block, data.size() - i);
        reader.read_rows(data.first_row() + i, n, std::span<float>{}, std::span<float>(all.data() + i * gz::answer_count, n * gz::answer_count));
    }
    return all;
}

// A reading of the file whose pixels have mean 0 and variance 1 over (up to) the first 1,000 training
// images, through the reader's scale and offset: standardised inputs, without a pass over the data or
// a layer of its own. The statistics are the training set's only.
tg::hdf5_dataset<float> standardised(const std::string& path, std::size_t training_images) {
    tg::io::hdf5_reader_options options{.features = "images", .targets = "fractions"};
    tg::io::hdf5_reader reader{path, options};
    const std::size_t n = std::min<std::size_t>(1000, training_images);
    std::vector<float> pixels(n * reader.feature_size());
    reader.read_rows(0, n, std::span<float>(pixels), std::span<float>{});
    double sum = 0, squares = 0;
    for (float p : pixels) sum += p, squares += double(p) * p;
    const double mean = sum / double(pixels.size()), sd = std::sqrt(std::max(squares / double(pixels.size()) - mean * mean, 1e-12));
    options.scale = reader.scale() / sd;
    options.offset = (reader.offset() - mean) / sd;
    return tg::hdf5_dataset<float>{path, options};
}

// The output layer starts at the training set's mean fractions (its bias their logits): the first steps
// refine the baseline instead of first unlearning 0.5 for every answer.
template <class Net>
void start_at_mean(Net& net, std::span<const float> mean) {
    const auto tensors = net.parameter_tensors();
    const tg::parameter_tensor& bias = tensors.back();
    if (bias.size != mean.size() || !bias.name.ends_with("bias"))
        throw std::logic_error("the network's last parameter tensor is " + bias.name + ", not the output layer's bias");
    for (std::size_t i = 0; i < mean.size(); ++i) {
        const double m = std::clamp(double(mean[i]), 1e-3, 1 - 1e-3);
        net.parameters()[bias.offset + i] = float(std::log(m / (1 - m)));
    }
}

double rmse(std::span<const float> predicted, std::span<const float> truth, std::span<const float> per_answer_baseline = {}) {
    double sum = 0;
    for (std::size_t i = 0; i < truth.size(); ++i) {
        const double p = per_answer_baseline.empty() ? predicted[i] : per_answer_baseline[i % gz::answer_count];
        sum += (p - truth[i]) * (p - truth[i]);
    }
    return std::sqrt(sum / double(truth.size()));
}

}  // namespace

int main(int argc, char** argv) {
    job_options o;
    CLI::App app{"Train the W6 CNN on synthetic Galaxy Zoo-like galaxies streamed from an HDF5 file"};
    app.add_option("--data", o.data, "HDF5 file of galaxies (generated there if missing)")->capture_default_str();
    app.add_option("--images", o.images, "galaxies to generate when the file is missing")->check(CLI::Range(std::size_t{100}, std::size_t{1} << 32))->capture_default_str();
    app.add_option("--epochs", o.epochs, "passes over the training set")->check(CLI::Range(1, 10000))->capture_default_str();
    app.add_option("--batch", o.batch, "images per step")->check(CLI::Range(1, 65536))->capture_default_str();
    app.add_option("--lr", o.lr, "Adam's learning rate")->check(CLI::PositiveNumber)->capture_default_str();
    app.add_option("--threads", o.threads, "threads of the training (0: all cores)")->capture_default_str();
    app.add_option("--seed", o.seed, "seed of the weights, the shuffling and the augmentation (and of a generated file)")->capture_default_str();
    app.add_option("--limit", o.limit, "use only the file's first N images (0: all)")->capture_default_str();
    app.add_option("--prefetch", o.prefetch, "batches read ahead on a thread of their own (0: read on the training thread)")->capture_default_str();
    app.add_flag("--augment", o.augment, "random flips and quarter turns of the training images, on the reading thread");
    app.add_option("--out", o.out, "directory for the model and the picture")->capture_default_str();
    app.add_option("--json", o.json, "also write the results as JSON to this file");
    app.add_flag("!--no-plots", o.plots, "do not draw the picture of test galaxies");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        return app.exit(error);
    }

    try {
        if (!fs::exists(o.data)) {
            std::printf("%s does not exist: generating %zu galaxies (seed %llu)\n", o.data.c_str(), o.images, static_cast<unsigned long long>(o.seed));
            const auto start = std::chrono::steady_clock::now();
            gz::write_galaxy_file(o.data, {.count = o.images, .seed = o.seed});
            std::printf("  written in %.1f s, %.1f MB\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
                        double(fs::file_size(o.data)) / 1e6);
        }
        const std::size_t stored = tg::hdf5_dataset<float>{o.data, {.features = "images", .targets = "fractions"}}.size();
        const std::size_t n = o.limit ? std::min(o.limit, stored) : stored;
        const std::size_t tests = n / 10, validations = n / 20, trains = n - tests - validations;
        if (trains == 0 || tests == 0) throw std::invalid_argument(o.data + ": " + std::to_string(n) + " images are too few to split into training, validation and test sets");
        const auto file = standardised(o.data, trains);
        const auto train = file.rows(0, trains), validation = file.rows(trains, validations), test = file.rows(trains + validations, tests);

        const std::vector<float> training_truth = read_fractions(train);
        std::vector<float> mean(gz::answer_count, 0.0f);
        for (std::size_t i = 0; i < training_truth.size(); ++i) mean[i % gz::answer_count] += training_truth[i] / float(trains);
        auto net = tg::compile<float>(tg::mse_loss(votes, fractions), votes);
        net.initialize(o.seed);
        start_at_mean(net, mean);
        if (o.threads) net.set_threads(o.threads);
        std::printf("Galaxy Zoo-like job: %s, %zu training, %zu validation and %zu test images; %zu parameters, %.1f MFLOPs per image\n", o.data.c_str(),
                    trains, validations, tests, net.parameter_count(), double(net.flops_per_sample()) / 1e6);

        // A run of a few epochs: the rate warms up over its first 2 % and decays linearly to 0 at its
        // last step, and Adam's second moment forgets faster than its default (0.999) over a few
        // thousand steps.
        tg::adam<float> optimiser{{.learning_rate = o.lr, .beta2 = 0.99}};
        tg::report::progress_bar progress{o.epochs};
        tg::fit_options fit{.epochs = o.epochs, .batch_size = o.batch, .seed = o.seed, .learning_rate_by_step = tg::warmup_linear_decay{.warmup = 0.02},
                            .on_batch = [&](const tg::batch_report& r) { progress.update(r); },
                            .on_epoch = [&](const tg::epoch_report& r) { progress.finish_epoch(r); }};
        fit.prefetch = o.prefetch;
        const auto start = std::chrono::steady_clock::now();
        std::vector<tg::epoch_report> history;
        if (o.augment) {
            const auto augmented = tg::augmented(train, tg::augment::compose(tg::shape<gz::bands, gz::side, gz::side>{}, tg::augment::flip_horizontal{0.5}, tg::augment::rotate_90{}), o.seed);
            history = tg::fit(net, optimiser, tg::with_validation(augmented, validation), image, fractions, fit);
        } else {
            history = tg::fit(net, optimiser, tg::with_validation(train, validation), image, fractions, fit);
        }
        const double train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

        // Test: the network against the training mean.
        const tg::evaluation_options evaluation{.batch_size = o.batch, .prefetch = o.prefetch};  // the training batch: no larger arena
        const std::vector<float> predicted = tg::predict(net, test, image, votes, evaluation);
        const std::vector<float> truth = read_fractions(test);
        const double test_rmse = rmse(predicted, truth), baseline_rmse = rmse({}, truth, mean);
        tg::confusion_matrix q1{3};
        for (std::size_t i = 0; i < tests; ++i) q1.add(q1_class(&truth[i * gz::answer_count]), q1_class(&predicted[i * gz::answer_count]));
        const double images_per_second = double(trains * history.size()) / train_seconds;

        std::printf("test RMSE %.4f, baseline (the training mean) %.4f: %.2f of it\n", test_rmse, baseline_rmse, test_rmse / baseline_rmse);
        std::printf("Q1's most-voted answer: accuracy %.2f%% on %zu test galaxies\n", 100.0 * q1.accuracy(), tests);
        tg::print_confusion_matrix(std::cout, q1, {"smooth", "features/disc", "star/artefact"});
        std::printf("training: %.1f s, %.0f images/s; peak memory %.0f MiB\n", train_seconds, images_per_second, peak_rss_mib());

        fs::create_directories(o.out);
        tg::io::save_parameters(net, fs::path(o.out) / "model.safetensors");
        if (o.plots) {
            constexpr std::size_t shown = 24;
            const std::size_t count = std::min(shown, tests);
            std::vector<float> pixels(count * gz::image_size);
            tg::io::hdf5_reader reader{test.path(), test.file().options()};
            reader.read_rows(test.first_row(), count, std::span<float>(pixels), std::span<float>{});
            std::vector<std::string> captions;
            for (std::size_t i = 0; i < count; ++i) {
                char text[96];
                const float* t = &truth[i * gz::answer_count];
                const float* p = &predicted[i * gz::answer_count];
                std::snprintf(text, sizeof text, "smooth %.2f/%.2f\nfeat %.2f/%.2f\nstar %.2f/%.2f", t[0], p[0], t[1], p[1], t[2], p[2]);
                captions.emplace_back(text);
            }
            const fs::path png = fs::path(o.out) / "test_galaxies.png";
            gz::plot_galaxies(pixels, captions, png, 8, "test galaxies: Q1 fractions true/predicted");
            std::printf("%s: test galaxies with their true and predicted Q1 fractions\n", png.c_str());
        }
        if (!o.json.empty()) {
            nlohmann::json j{{"test_rmse", test_rmse},         {"baseline_rmse", baseline_rmse}, {"test_accuracy", q1.accuracy()},
                             {"train_seconds", train_seconds}, {"images_per_second", images_per_second},
                             {"peak_rss_mib", peak_rss_mib()}, {"images", n}, {"history", nlohmann::json::array()}};
            for (const auto& e : history)
                j["history"].push_back({{"epoch", e.epoch}, {"loss", e.loss}, {"validation_loss", e.validation_loss}, {"seconds", e.seconds}});
            std::ofstream{o.json} << j.dump(2) << "\n";
        }
    } catch (const std::exception& error) {
        std::fprintf(stderr, "galaxy_zoo: %s\n", error.what());
        return 1;
    }
    return 0;
}
