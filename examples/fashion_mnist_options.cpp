#include "fashion_mnist_options.hpp"

#include <thread>

#include <CLI/CLI.hpp>

std::optional<fashion_mnist_options> parse_options(int argc, char** argv, int& exit_status) {
    fashion_mnist_options o;
    o.threads = std::max(1u, std::thread::hardware_concurrency());
    CLI::App app{"Train the W3 convolutional network on Fashion-MNIST with typegrad (Adam, dropout, early stopping)"};
    app.add_option("--epochs", o.epochs, "passes over the training set")->check(CLI::Range(1, 1000))->capture_default_str();
    app.add_option("--batch", o.batch, "minibatch size")->check(CLI::Range(1, 60000))->capture_default_str();
    app.add_option("--lr", o.learning_rate, "Adam's learning rate at the first epoch")->check(CLI::Range(1e-6, 1.0))->capture_default_str();
    app.add_option("--validation", o.validation, "fraction of the training images held out for validation")
        ->check(CLI::Range(0.01, 0.5))
        ->capture_default_str();
    app.add_option("--patience", o.patience, "stop after this many epochs without a lower validation loss (0: never)")->capture_default_str();
    app.add_option("--threads", o.threads, "compute threads (1 is exact and deterministic)")->check(CLI::Range(1, 256))->capture_default_str();
    app.add_option("--seed", o.seed, "seed of the initial weights, the validation split, the shuffling and dropout")->capture_default_str();
    app.add_option("--data", o.data_dir, "directory of the Fashion-MNIST IDX files")->capture_default_str();
    app.add_option("--out", o.out_dir, "directory for the summary, the model and the pictures")->capture_default_str();
    app.add_option("--json", o.json, "summary file (default: <out>/summary.json)");
    app.add_option("--save", o.save, "model file to write, safetensors (default: <out>/model.safetensors)");
    auto* load = app.add_option("--load", o.load, "model file to start from, safetensors");
    auto* evaluate = app.add_flag("--evaluate", o.evaluate, "only evaluate the --load model on the test set")->needs(load);
    app.add_option("--checkpoint", o.checkpoint,
                   "checkpoint written after each epoch and on SIGINT/SIGTERM, safetensors (default: <out>/checkpoint.safetensors)");
    app.add_option("--resume", o.resume, "continue the run saved in this checkpoint (give the options of the run that wrote it)")
        ->excludes(load)
        ->excludes(evaluate);
    app.add_flag("--grad-report", o.grad_report, "print each layer's weight and mean gradient norms after each epoch");
    app.add_flag("--check-finite", o.check_finite,
                 "stop at the first NaN or infinity in an activation, a gradient or a weight, naming it; the last checkpoint is kept");
    app.add_option("--limit", o.limit, "use only the first N training images (0: all)")->capture_default_str();
    app.add_option("--min-accuracy", o.min_accuracy, "exit with status 3 if the test accuracy is below this")->check(CLI::Range(0.0, 1.0));
    app.add_flag("!--no-plots", o.plots, "do not draw the PNG pictures");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        exit_status = app.exit(error);
        return std::nullopt;
    }
    if (o.json.empty()) o.json = o.out_dir + "/summary.json";
    if (o.save.empty()) o.save = o.out_dir + "/model.safetensors";
    if (o.checkpoint.empty()) o.checkpoint = o.out_dir + "/checkpoint.safetensors";
    return o;
}
