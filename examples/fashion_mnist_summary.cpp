#include "fashion_mnist_summary.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include <typegrad/io/io_error.hpp>

namespace {

// JSON has no NaN: a measurement not taken is null.
nlohmann::json measured(double value) { return std::isnan(value) ? nlohmann::json(nullptr) : nlohmann::json(value); }

constexpr double vanishing = 1e-7, exploding = 1e3;

}  // namespace

void print_gradient_health(const typegrad::epoch_report& epoch, bool every_layer) {
    if (every_layer) {
        std::printf("  %-12s %14s %14s\n", "layer", "weight norm", "gradient norm");
        for (const auto& n : epoch.norms) std::printf("  %-12s %14.4e %14.4e\n", n.name.c_str(), n.parameter_norm, n.gradient_norm);
    }
    for (const auto& n : epoch.norms) {
        if (n.gradient_norm < vanishing)
            std::fprintf(stderr, "warning: epoch %zu: the gradient norm of layer %s is %.3e, below %.0e: its gradients vanish\n", epoch.epoch,
                         n.name.c_str(), n.gradient_norm, vanishing);
        else if (n.gradient_norm > exploding)
            std::fprintf(stderr, "warning: epoch %zu: the gradient norm of layer %s is %.3e, above %.0e: its gradients explode\n", epoch.epoch,
                         n.name.c_str(), n.gradient_norm, exploding);
    }
    std::fflush(stdout);
}

void write_summary(const std::string& path, const run_summary& run, const fashion_mnist_options& options, const std::vector<std::string>& class_names) {
    nlohmann::ordered_json summary;
    summary["test_accuracy"] = run.test_accuracy;
    summary["epochs"] = run.history.size();
    summary["train_seconds"] = run.train_seconds;
    summary["model_file"] = run.model_file;
    summary["options"] = {{"epochs", options.epochs}, {"batch", options.batch},     {"lr", options.learning_rate},
                          {"threads", options.threads}, {"seed", options.seed},      {"validation", options.validation},
                          {"patience", options.patience}, {"limit", options.limit}, {"data", options.data_dir},
                          {"resume", options.resume}};
    summary["class_names"] = class_names;
    auto& matrix = summary["confusion_matrix"] = nlohmann::ordered_json::array();
    auto& per_class = summary["per_class"] = nlohmann::ordered_json::array();
    for (std::size_t t = 0; t < run.confusion.classes(); ++t) {
        auto row = nlohmann::ordered_json::array();
        for (std::size_t p = 0; p < run.confusion.classes(); ++p) row.push_back(run.confusion.count(t, p));
        matrix.push_back(row);
        per_class.push_back({{"class", class_names.at(t)},
                             {"precision", run.confusion.precision(t)},
                             {"recall", run.confusion.recall(t)},
                             {"f1", run.confusion.f1(t)},
                             {"support", run.confusion.support(t)}});
    }
    auto& history = summary["history"] = nlohmann::ordered_json::array();
    for (const auto& e : run.history) {
        auto norms = nlohmann::ordered_json::array();  // per parameter tensor: weight norm at the epoch's end, mean gradient norm over its steps
        for (const auto& n : e.norms)
            norms.push_back({{"tensor", n.name}, {"weight_norm", measured(n.parameter_norm)}, {"gradient_norm", measured(n.gradient_norm)}});
        history.push_back({{"epoch", e.epoch},
                           {"loss", measured(e.loss)},
                           {"accuracy", measured(e.accuracy)},
                           {"validation_loss", measured(e.validation_loss)},
                           {"validation_accuracy", measured(e.validation_accuracy)},
                           {"learning_rate", measured(e.learning_rate)},
                           {"seconds", e.seconds},
                           {"best", e.best},
                           {"norms", norms}});
    }
    std::ofstream out(path);
    out << summary.dump(2) << '\n';
    if (!out) throw typegrad::io::io_error(path + ": cannot write the summary");
}
