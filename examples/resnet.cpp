// Lecture example: a residual network (He et al. 2016) on the real Fashion-MNIST.
//
// Skip connections let a deep network learn: each block adds a correction to its input, h + f(h),
// so the gradient reaches the first layers through the additions undiminished. A block here is the
// "basic block" of ResNet-18 (tg::basic_block, nn/residual.hpp): two 3x3 convolutions, each followed by batch normalisation, added to
// the block's input (or to its 1x1 projection when the block halves the size and doubles the
// channels), then relu. The network: a 3x3 stem of 16 channels, three stages of two blocks (16, 32
// and 64 channels on 28x28, 14x14 and 7x7), global average pooling and a dense layer of 10 logits.
// Every reused value (each block's input feeds both its branch and its shortcut) is one node of the
// graph, computed once; the network compiles in seconds.
//
// Usage: resnet [--data DIR] [--train N] [--test N] [--epochs E] [--min-accuracy A]
//   defaults: /usr/share/datasets/fashion-mnist, all 60,000 and 10,000 images, 3 epochs; with
//   --min-accuracy the program fails unless the test accuracy reaches A (the test suite runs it on
//   a few thousand images).
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>
#include <thread>

#include <typegrad/io/fashion_mnist.hpp>
#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

namespace {

struct options {
    std::string data = tg::io::fashion_mnist_directory;
    std::size_t train = 0, test = 0, epochs = 3;
    double min_accuracy = 0;
};

options parse(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (i + 1 >= argc) throw std::invalid_argument("option " + std::string(arg) + " needs a value");
        const std::string value = argv[++i];
        if (arg == "--data") o.data = value;
        else if (arg == "--train") o.train = std::stoul(value);
        else if (arg == "--test") o.test = std::stoul(value);
        else if (arg == "--epochs") o.epochs = std::stoul(value);
        else if (arg == "--min-accuracy") o.min_accuracy = std::stod(value);
        else throw std::invalid_argument("unknown option " + std::string(arg));
    }
    return o;
}

}  // namespace

int main(int argc, char** argv) try {
    const options o = parse(argc, argv);
    auto train = tg::io::read_fashion_mnist(o.data, "train", o.train);
    const auto test = tg::io::read_fashion_mnist(o.data, "t10k", o.test);

    const auto image = tg::named_input<"image", 1, 28, 28>;
    const auto labels = tg::named_labels<"label", 10>;
    const auto stem = image | tg::conv2d<16, 3, 1, tg::padding::same>.without_bias() | tg::batch_norm | tg::relu;
    const auto stage1 = tg::basic_block<16, 1>(tg::basic_block<16, 1>(stem));
    const auto stage2 = tg::basic_block<32, 1>(tg::basic_block<32, 2>(stage1));
    const auto stage3 = tg::basic_block<64, 1>(tg::basic_block<64, 2>(stage2));
    const auto logits = stage3 | tg::global_average_pool | tg::dense<10>;
    auto net = tg::compile<float>(tg::inputs(image, labels), tg::cross_entropy(logits, labels), logits);
    net.initialize(1);
    net.set_threads(std::max(1u, std::thread::hardware_concurrency()));
    std::printf("ResNet on Fashion-MNIST: %zu training and %zu test images; %zu layers, %zu parameters, %.1f MFLOPs per image\n", train.size(),
                test.size(), net.node_count(), net.parameter_count(), double(net.flops_per_sample()) / 1e6);

    tg::adam<float> optimiser{{.learning_rate = 2e-3}};
    const auto start = std::chrono::steady_clock::now();
    tg::fit(net, optimiser, train, image, labels, logits,
            {.epochs = o.epochs, .batch_size = 64, .seed = 1, .learning_rate_factor = tg::cosine_schedule{o.epochs, 0.05},
             .on_epoch = [](const tg::epoch_report& r) {
                 std::printf("epoch %zu  loss %.4f  training accuracy %.2f %%  %.1f s\n", r.epoch, r.loss, 100 * r.accuracy, r.seconds);
             }});
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double accuracy = tg::accuracy(net, test, image, logits, {.batch_size = 256});
    std::printf("trained in %.1f s; test accuracy %.2f %%\n", seconds, 100 * accuracy);
    if (accuracy < o.min_accuracy) {
        std::printf("FAILED: the test accuracy is below %.2f %%\n", 100 * o.min_accuracy);
        return 1;
    }
    return 0;
} catch (const std::exception& e) {
    std::cerr << "resnet: " << e.what() << "\n";
    return 2;
}
