#pragma once
// The main job's JSON summary, written apart from the model's translation unit.
#include <string>
#include <vector>

#include <typegrad/train/confusion_matrix.hpp>
#include <typegrad/train/history.hpp>

#include "fashion_mnist_options.hpp"

struct run_summary {
    double test_accuracy = 0;
    double train_seconds = 0;
    std::string model_file;
    std::vector<typegrad::epoch_report> history;
    typegrad::confusion_matrix confusion{10};
};

// Warns (to stderr) of any layer whose mean gradient norm in the epoch is below 1e-7 (vanishing) or
// above 1e3 (exploding); with `every_layer`, prints each layer's weight and gradient norms first.
void print_gradient_health(const typegrad::epoch_report& epoch, bool every_layer);

void write_summary(const std::string& path, const run_summary& run, const fashion_mnist_options& options, const std::vector<std::string>& class_names);
