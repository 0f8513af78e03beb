// Lecture example: imbalanced classes, and what accuracy does not show.
//
// The real Fashion-MNIST training set is made imbalanced on purpose: every image of nine classes
// is kept, but only 2 % of the shirts (1 in 50). A small MLP, 784 -> 64 relu -> 10, is trained
// twice from the same seed: once with the plain softmax cross-entropy, and once with each class
// weighted by n_samples / (classes * count_c) (tg::class_weights_from_frequencies, scikit-learn's
// "balanced"), so that the 120 shirts weigh as much in the loss as the 6000 images of any other
// class. Both are measured on the balanced test set (1000 images per class) with a confusion
// matrix and per-class precision, recall and F1. Unweighted, the network has learned that shirts
// are rare and never predicts one, yet its accuracy looks fine (a tenth of the test set is shirts,
// and it gets most of the rest right); weighted, it finds many of them, at the price of more
// T-shirts, pullovers and coats taken for shirts (a lower shirt precision). The overall accuracy
// barely moves: only the per-class figures show the difference.
//
// Usage: class_imbalance [DATA_DIR]   (default /usr/share/datasets/fashion-mnist)
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <typegrad/io/fashion_mnist.hpp>
#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

namespace {

const std::vector<std::string>& class_names = tg::io::fashion_mnist_class_names();
constexpr std::size_t classes = 10, pixel_count = 784;
constexpr std::int32_t minority = 6;        // Shirt: the class most easily mistaken for others
constexpr std::size_t minority_keep_one_in = 50;  // 2 %

// Every sample of the other classes, and one in `keep_one_in` of the minority class, in file order.
tg::dataset<float, std::int32_t> make_imbalanced(const tg::dataset<float, std::int32_t>& full) {
    tg::dataset<float, std::int32_t> kept{pixel_count, 1, {}, {}};
    std::size_t minority_seen = 0;
    for (std::size_t i = 0; i < full.size(); ++i) {
        const std::int32_t label = full.targets[i];
        if (label == minority && minority_seen++ % minority_keep_one_in != 0) continue;
        const auto pixels = full.features_of(i, 1);
        kept.features.insert(kept.features.end(), pixels.begin(), pixels.end());
        kept.targets.push_back(label);
    }
    return kept;
}

// Trains the MLP from a fixed seed (same initial weights, same batches) and returns its confusion
// matrix on the test set. Empty `class_weights` means every class weighs 1.
tg::confusion_matrix train_and_evaluate(const tg::dataset<float, std::int32_t>& train, const tg::dataset<float, std::int32_t>& test,
                                        std::vector<double> class_weights) {
    constexpr std::uint64_t seed = 1;
    const auto pixels = tg::named_input<"pixels", pixel_count>;
    const auto labels = tg::named_labels<"label", classes>;
    const auto logits = pixels | tg::dense<64>.with_init(tg::init_scheme::he_uniform) | tg::relu | tg::dense<classes>;
    auto net = tg::compile<float>(tg::inputs(pixels, labels), tg::cross_entropy(logits, labels, {.class_weights = std::move(class_weights)}),
                                  logits);
    net.initialize(seed);
    // A smaller learning rate than fashion_mnist's 0.05: a batch holding one shirt of weight ~45 gives
    // a gradient spike that momentum carries on, and at 0.05 the weighted run does not settle.
    tg::sgd<float> optimiser{{.learning_rate = 0.01, .momentum = 0.9}};
    tg::fit(net, optimiser, train, pixels, labels,
            {.epochs = 5, .batch_size = 128, .seed = seed, .on_epoch = [](const tg::epoch_report& report) {
                 std::printf("  epoch %zu  loss %.4f  (%.2f s)\n", report.epoch, report.loss, report.seconds);
             }});
    return tg::confusion_matrix_of(net, test, pixels, logits, {.batch_size = 1000});
}

void report(const char* title, const tg::confusion_matrix& result) {
    std::printf("\n%s: test accuracy %.2f %%, %s recall %.3f\n", title, 100 * result.accuracy(), class_names[minority].c_str(),
                result.recall(minority));
    std::cout << "\n";
    tg::print_confusion_matrix(std::cout, result, class_names);
    std::cout << "\n";
    tg::print_classification_report(std::cout, result, class_names);
}

}  // namespace

int main(int argc, char** argv) {
    const std::string data_dir = argc > 1 ? argv[1] : tg::io::fashion_mnist_directory;
    try {
        const auto start = std::chrono::steady_clock::now();
        const auto train = make_imbalanced(tg::io::read_fashion_mnist(data_dir, "train"));
        const auto test = tg::io::read_fashion_mnist(data_dir, "t10k");
        const auto weights = tg::class_weights_from_frequencies(train.targets, classes);
        const auto minority_in = [](const tg::dataset<float, std::int32_t>& data) {
            return std::size_t(std::count(data.targets.begin(), data.targets.end(), minority));
        };
        std::printf("training set: %zu images, %zu of them %s (1 in %zu kept); test set: %zu images, %zu %s\n", train.size(),
                    minority_in(train), class_names[minority].c_str(), minority_keep_one_in, test.size(), minority_in(test),
                    class_names[minority].c_str());
        std::printf("balanced class weights:");
        for (std::size_t c = 0; c < classes; ++c) std::printf(" %s %.2f%s", class_names[c].c_str(), weights[c], c + 1 < classes ? "," : "\n");

        std::printf("\ntraining without class weights\n");
        const auto unweighted = train_and_evaluate(train, test, {});
        std::printf("\ntraining with balanced class weights\n");
        const auto weighted = train_and_evaluate(train, test, weights);

        report("without class weights", unweighted);
        report("with balanced class weights", weighted);

        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const double before = unweighted.recall(minority), after = weighted.recall(minority);
        std::printf("\n%s recall %.3f -> %.3f with class weights; accuracy %.2f %% -> %.2f %% (%.1f s in all)\n",
                    class_names[minority].c_str(), before, after, 100 * unweighted.accuracy(), 100 * weighted.accuracy(), seconds);
        if (!(after > before)) {
            std::printf("FAILED: class weights did not raise the recall of the minority class %s\n", class_names[minority].c_str());
            return 1;
        }
        std::printf("OK: weighting the classes by their frequency finds more of the rare class\n");
    } catch (const std::exception& error) {
        std::cerr << "error: " << error.what() << "\n";
        return 1;
    }
    return 0;
}
