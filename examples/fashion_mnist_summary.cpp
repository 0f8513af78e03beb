#include "fashion_mnist_summary.hpp"

#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include <typegrad/io/io_error.hpp>

namespace {

// JSON has no NaN: a measurement not taken is null.
nlohmann::json measured(double value) { return std::isnan(value) ? nlohmann::json(nullptr) : nlohmann::json(value); }

}  // namespace

void write_summary(const std::string& path, const run_summary& run, const fashion_mnist_options& options, const std::vector<std::string>& class_names) {
    nlohmann::ordered_json summary;
    summary["test_accuracy"] = run.test_accuracy;
    summary["epochs"] = run.history.size();
    summary["train_seconds"] = run.train_seconds;
    summary["model_file"] = run.model_file;
    summary["options"] = {{"epochs", options.epochs}, {"batch", options.batch},     {"lr", options.learning_rate},
                          {"threads", options.threads}, {"seed", options.seed},      {"validation", options.validation},
                          {"patience", options.patience}, {"limit", options.limit}, {"data", options.data_dir}};
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
    for (const auto& e : run.history)
        history.push_back({{"epoch", e.epoch},
                           {"loss", measured(e.loss)},
                           {"accuracy", measured(e.accuracy)},
                           {"validation_loss", measured(e.validation_loss)},
                           {"validation_accuracy", measured(e.validation_accuracy)},
                           {"learning_rate", measured(e.learning_rate)},
                           {"seconds", e.seconds},
                           {"best", e.best}});
    std::ofstream out(path);
    out << summary.dump(2) << '\n';
    if (!out) throw typegrad::io::io_error(path + ": cannot write the summary");
}
