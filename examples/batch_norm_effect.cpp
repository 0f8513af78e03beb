// What batch normalisation does to the main job's network: the W3 CNN of scripts/demo as it is, and
// the same with tg::batch_norm after each convolution, trained alike (Adam with the demo's cosine
// schedule, the same seed, split, batches and learning rate) on the real Fashion-MNIST. Prints, per epoch, each network's training
// loss and validation accuracy, then the epochs each needs to reach a validation accuracy and the test
// accuracies; --json writes them. Exits 1 if either network does not reach the target accuracy.
//
// Usage: batch_norm_effect [--epochs 5] [--limit N] [--lr 1e-3] [--threads 2] [--target 0.88]
//                          [--data /usr/share/datasets/fashion-mnist] [--json FILE]
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

namespace {

struct options {
    std::size_t epochs = 5, limit = 0, threads = 2;
    double learning_rate = 1e-3, target = 0.88;
    std::string data = "/usr/share/datasets/fashion-mnist", json;
};

struct result {
    std::string name{};
    std::vector<tg::epoch_report> history{};
    double test_accuracy = 0, seconds = 0;
    std::size_t epochs_to_target = 0;  // 0: not reached
};

const auto pixels = tg::named_input<"pixels", 1, 28, 28>;
const auto labels = tg::named_labels<"label", 10>;

template <class Logits>
result train(const std::string& name, const Logits& logits, const options& o, const tg::train_validation<float, std::int32_t>& split,
             const tg::dataset<float, std::int32_t>& test) {
    auto net = tg::compile<float>(tg::cross_entropy(logits, labels), logits);
    net.set_threads(o.threads);
    net.initialize(1);
    tg::adam<float> optimiser{{.learning_rate = o.learning_rate}};
    result r{name};
    const auto start = std::chrono::steady_clock::now();
    r.history = tg::fit(net, optimiser, tg::with_validation(split.train, split.validation), pixels, labels, logits,
                        {.epochs = o.epochs,
                         .batch_size = 64,
                         .seed = 1,
                         .learning_rate_factor = tg::cosine_schedule{.epochs = o.epochs, .minimum = 0.1},
                         .restore_best = false,
                         .on_epoch = [&](const tg::epoch_report& e) {
                             std::printf("%-22s epoch %zu  loss %.4f  validation accuracy %.2f %%  (%.1f s)\n", name.c_str(), e.epoch, e.loss,
                                         100 * e.validation_accuracy, e.seconds);
                         }});
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    r.test_accuracy = tg::accuracy(net, test, pixels, logits);
    for (const tg::epoch_report& e : r.history)
        if (e.validation_accuracy >= o.target) {
            r.epochs_to_target = e.epoch;
            break;
        }
    return r;
}

}  // namespace

int main(int argc, char** argv) try {
    options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string option = argv[i], value = argv[i + 1];
        if (option == "--epochs") o.epochs = std::stoul(value);
        else if (option == "--limit") o.limit = std::stoul(value);
        else if (option == "--threads") o.threads = std::stoul(value);
        else if (option == "--lr") o.learning_rate = std::stod(value);
        else if (option == "--target") o.target = std::stod(value);
        else if (option == "--data") o.data = value;
        else if (option == "--json") o.json = value;
        else throw std::invalid_argument("unknown option " + option + " (see the comment at the top of examples/batch_norm_effect.cpp)");
    }
    const auto split = tg::split_validation(tg::io::read_fashion_mnist(o.data, "train", o.limit), 0.1, 1);
    const auto test = tg::io::read_fashion_mnist(o.data, "t10k");
    std::printf("%zu training, %zu validation, %zu test images; %zu epochs, Adam %g, batch 64, %zu thread(s)\n", split.train.size(),
                split.validation.size(), test.size(), o.epochs, o.learning_rate, o.threads);

    const auto head = [](auto features) {
        return features | tg::flatten | tg::dense<128>.with_init(tg::init_scheme::he_uniform) | tg::relu | tg::dropout(0.3) | tg::dense<10>;
    };
    const auto plain = head(pixels | tg::conv2d<32, 3> | tg::relu | tg::max_pool<2> | tg::conv2d<64, 3> | tg::relu | tg::max_pool<2>);
    const auto normalised = head(pixels | tg::conv2d<32, 3> | tg::batch_norm | tg::relu | tg::max_pool<2> | tg::conv2d<64, 3> | tg::batch_norm |
                                 tg::relu | tg::max_pool<2>);
    const std::vector<result> results{train("W3 (the demo's)", plain, o, split, test), train("W3 + batch_norm", normalised, o, split, test)};

    nlohmann::json out = {{"epochs", o.epochs}, {"learning_rate", o.learning_rate}, {"target", o.target}, {"train_images", split.train.size()}};
    std::printf("\n%-22s %14s %18s %10s  epochs to %.1f %% validation accuracy\n", "network", "test accuracy", "last val. accuracy", "seconds",
                100 * o.target);
    for (const result& r : results) {
        std::printf("%-22s %13.2f %% %17.2f %% %10.1f  %s\n", r.name.c_str(), 100 * r.test_accuracy, 100 * r.history.back().validation_accuracy,
                    r.seconds, r.epochs_to_target ? std::to_string(r.epochs_to_target).c_str() : "not reached");
        nlohmann::json validation = nlohmann::json::array();
        for (const tg::epoch_report& e : r.history) validation.push_back(e.validation_accuracy);
        out["networks"].push_back({{"name", r.name},
                                   {"test_accuracy", r.test_accuracy},
                                   {"validation_accuracy", validation},
                                   {"seconds", r.seconds},
                                   {"epochs_to_target", r.epochs_to_target}});
    }
    if (!o.json.empty()) std::ofstream(o.json) << out.dump(1) << '\n';
    for (const result& r : results)
        if (!r.epochs_to_target) {
            std::printf("FAILED: %s did not reach the target validation accuracy\n", r.name.c_str());
            return 1;
        }
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "batch_norm_effect: %s\n", e.what());
    return 1;
}
