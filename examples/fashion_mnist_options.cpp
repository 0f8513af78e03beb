#include "fashion_mnist_options.hpp"

#include <CLI/CLI.hpp>

std::optional<fashion_mnist_options> parse_options(int argc, char** argv, int& exit_status) {
    fashion_mnist_options o;
    CLI::App app{"Train the W2 MLP on Fashion-MNIST with typegrad"};
    app.add_option("--epochs", o.epochs, "passes over the training set")->check(CLI::Range(1, 1000))->capture_default_str();
    app.add_option("--batch", o.batch, "minibatch size")->check(CLI::Range(1, 60000))->capture_default_str();
    app.add_option("--lr", o.learning_rate, "SGD learning rate")->check(CLI::Range(1e-6, 10.0))->capture_default_str();
    app.add_option("--momentum", o.momentum, "SGD momentum")->check(CLI::Range(0.0, 0.999))->capture_default_str();
    app.add_option("--seed", o.seed, "seed of the initial weights and of the shuffling")->capture_default_str();
    app.add_option("--data", o.data_dir, "directory of the Fashion-MNIST IDX files")->capture_default_str();
    app.add_option("--limit", o.limit, "use only the first N training images (0: all)")->capture_default_str();
    app.add_option("--min-accuracy", o.min_accuracy, "exit with status 3 if the final test accuracy is below this")
        ->check(CLI::Range(0.0, 1.0));
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        exit_status = app.exit(error);
        return std::nullopt;
    }
    return o;
}
