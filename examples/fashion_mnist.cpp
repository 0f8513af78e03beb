// The main job (first version): the W2 multilayer perceptron (784 -> 256 relu -> 128 relu -> 10)
// trained with softmax cross-entropy and SGD on the real Fashion-MNIST, reporting per-epoch loss and
// test accuracy. Run through scripts/demo; --help lists the options.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include <typegrad/io/idx.hpp>
#include <typegrad/typegrad.hpp>

#include "fashion_mnist_options.hpp"

namespace tg = typegrad;

namespace {

tg::dataset<float, std::int32_t> load(const std::string& dir, const std::string& prefix, std::size_t limit) {
    auto images = tg::io::read_idx_images(dir + "/" + prefix + "-images-idx3-ubyte.gz", dir + "/" + prefix + "-labels-idx1-ubyte.gz");
    if (images.rows * images.cols != 784)
        throw tg::io::io_error(dir + "/" + prefix + "-images-idx3-ubyte.gz: images are " + std::to_string(images.rows) + "x" +
                               std::to_string(images.cols) + ", the network expects 28x28");
    for (std::int32_t label : images.labels)
        if (label < 0 || label > 9) throw tg::io::io_error(dir + "/" + prefix + "-labels-idx1-ubyte.gz: label " + std::to_string(label) + " is not a class 0..9");
    const std::size_t count = limit ? std::min(limit, images.count) : images.count;
    images.pixels.resize(count * 784);
    images.labels.resize(count);
    return {784, 1, std::move(images.pixels), std::move(images.labels)};
}

}  // namespace

int main(int argc, char** argv) {
    int exit_status = 0;
    const auto options = parse_options(argc, argv, exit_status);
    if (!options) return exit_status;
    const auto& [epochs, batch, limit, learning_rate, momentum, min_accuracy, seed, data_dir] = *options;

    try {
        if (!std::filesystem::is_directory(data_dir))
            throw tg::io::io_error(data_dir + ": no such directory (install the Debian package dataset-fashion-mnist, or pass --data DIR)");
        const auto train = load(data_dir, "train", limit);
        const auto test = load(data_dir, "t10k", 0);
        std::cout << "Fashion-MNIST: " << train.size() << " training and " << test.size() << " test images from " << data_dir << "\n";

        const auto pixels = tg::named_input<"pixels", 784>;
        const auto labels = tg::named_labels<"label", 10>;
        const auto logits = pixels | tg::dense<256>.with_init(tg::init_scheme::he_uniform) | tg::relu |
                            tg::dense<128>.with_init(tg::init_scheme::he_uniform) | tg::relu | tg::dense<10>;
        auto net = tg::compile<float>(tg::inputs(pixels, labels), tg::cross_entropy(logits, labels), logits);
        net.initialize(seed);
        net.summary(std::cout);

        tg::sgd<float> optimiser{{.learning_rate = learning_rate, .momentum = momentum}};
        const auto start = std::chrono::steady_clock::now();
        double accuracy = 0;
        tg::fit(net, optimiser, train, pixels, labels,
                {.epochs = epochs, .batch_size = batch, .seed = seed, .on_epoch = [&](const tg::epoch_report& report) {
                     accuracy = tg::accuracy(net, test, pixels, labels, logits, 1000);
                     std::printf("epoch %3zu  loss %.4f  test accuracy %.2f %%  (%.1f s)\n", report.epoch, report.loss, 100 * accuracy,
                                 report.seconds);
                     std::fflush(stdout);
                 }});
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::printf("test accuracy %.2f %% after %zu epochs, %.1f s of training\n", 100 * accuracy, epochs, seconds);
        if (accuracy < min_accuracy) {
            std::printf("FAILED: test accuracy %.4f is below --min-accuracy %.4f\n", accuracy, min_accuracy);
            return 3;
        }
    } catch (const std::exception& error) {
        std::cerr << "error: " << error.what() << "\n";
        return 1;
    }
    return 0;
}
