// A newcomer's program: scikit-learn's handwritten digits (8x8 images, 1797 samples; Debian's
// python3-sklearn ships them as sklearn/datasets/data/digits.csv.gz, a CSV without a header, 64 pixel
// columns then the label). Features standardised with the training set's statistics, a small CNN
// with batch normalisation, predictions with tg::predict, checked against tg::accuracy; then the
// model and the standardizer saved, loaded into an inference-only graph, and its predictions on the
// raw test features compared with the trained graph's.
//
// Usage: digits FILE.csv [--min-accuracy A] [--out DIR]   (FILE.csv: the digits table, uncompressed)
// Exits 1 if predictions and accuracy disagree, the reloaded model predicts otherwise, or the test
// accuracy is below A (default 0.95).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

namespace {

const auto pixels = tg::named_input<"pixels", 64>;
const auto logits = pixels | tg::reshape<1, 8, 8> | tg::conv2d<16, 3, 1, tg::padding::same> | tg::batch_norm | tg::relu | tg::flatten |
                    tg::dense<64> | tg::batch_norm | tg::relu | tg::dense<10>;

// The class of each sample from its ten scores.
std::vector<std::size_t> classes_of(std::span<const float> scores) {
    std::vector<std::size_t> classes;
    for (std::size_t i = 0; i < scores.size() / 10; ++i) classes.push_back(tg::predicted_class(scores.subspan(10 * i, 10)));
    return classes;
}

}  // namespace

int main(int argc, char** argv) try {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s FILE.csv [--min-accuracy A] [--out DIR]\n", argv[0]);
        return 2;
    }
    double min_accuracy = 0.95;
    std::filesystem::path out = std::filesystem::temp_directory_path() / "typegrad-digits";
    for (int i = 2; i + 1 < argc; i += 2) {
        const std::string option = argv[i];
        if (option == "--min-accuracy") min_accuracy = std::stod(argv[i + 1]);
        else if (option == "--out") out = argv[i + 1];
        else throw std::invalid_argument("unknown option " + option);
    }

    // ---- the table: no header, column 64 is the label ----
    const tg::io::csv_class_table table = tg::io::read_csv_classes(argv[1], {.header = false, .target = 64, .classes = 10});
    auto [train, test] = tg::split_validation(table.data, 0.25, 1);  // 25 % held out for the test
    const tg::dataset<float, std::int32_t> raw_test = test;
    std::printf("%zu training and %zu test images of %zu pixels\n", train.size(), test.size(), train.feature_size);

    // ---- preprocessing: the training set's mean and standard deviation, applied to both ----
    tg::standardizer<float> standardizer;
    standardizer.fit(train);
    standardizer.apply(train);
    standardizer.apply(test);

    // ---- training ----
    auto net = tg::compile<float>(tg::cross_entropy(logits, tg::labels<10>), logits);
    net.initialize(1);
    tg::adam<float> optimiser{{.learning_rate = 2e-3}};
    tg::fit(net, optimiser, train, pixels, tg::labels<10>, logits, {.epochs = 15, .batch_size = 32, .seed = 1, .on_epoch = [](const tg::epoch_report& r) {
                if (r.epoch % 5 == 0) std::printf("epoch %2zu  loss %.4f  training accuracy %.2f %%\n", r.epoch, r.loss, 100 * r.accuracy);
            }});

    // ---- predictions, and the accuracy they imply against tg::accuracy ----
    const std::vector<float> scores = tg::predict(net, test, pixels, logits);
    const std::vector<std::size_t> predicted = classes_of(scores);
    std::size_t correct = 0;
    for (std::size_t i = 0; i < test.size(); ++i) correct += predicted[i] == std::size_t(test.targets[i]);
    const double from_predictions = double(correct) / double(test.size());
    const double accuracy = tg::accuracy(net, test, pixels, logits);
    std::printf("test accuracy %.2f %% (from tg::predict: %.2f %%)\n", 100 * accuracy, 100 * from_predictions);

    // ---- deployment: the model and the training statistics saved, loaded by an inference-only graph ----
    std::filesystem::create_directories(out);
    tg::io::save_parameters(net, out / "digits.safetensors");
    standardizer.save(out / "standardizer.safetensors");
    auto inference = tg::compile<float>(logits);
    tg::io::load_parameters(inference, out / "digits.safetensors");
    const auto loaded = tg::standardizer<float>::load(out / "standardizer.safetensors");
    std::vector<float> features = raw_test.features;
    loaded.apply(std::span<float>(features));
    const std::vector<std::size_t> deployed = classes_of(tg::predict(inference, std::span<const float>(features), pixels, logits));
    std::printf("the reloaded model (%s) predicts %s\n", out.c_str(), deployed == predicted ? "the same classes" : "OTHER CLASSES");

    if (from_predictions != accuracy || deployed != predicted) {
        std::printf("FAILED: predictions disagree\n");
        return 1;
    }
    if (accuracy < min_accuracy) {
        std::printf("FAILED: the test accuracy is below %.2f %%\n", 100 * min_accuracy);
        return 1;
    }
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "digits: %s\n", e.what());
    return 1;
}
