#pragma once
// Pictures of a training run, drawn by gnuplot (Debian package gnuplot-nox). Each PNG comes with its
// data (.dat) and gnuplot script (.gp) beside it, so a user can restyle it. Failures (no gnuplot,
// an unwritable directory) throw io::io_error naming the file.
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include <typegrad/train/confusion_matrix.hpp>
#include <typegrad/train/history.hpp>

namespace typegrad::report {

// Loss (left) and accuracy (right) per epoch, training and validation.
void plot_learning_curve(std::span<const epoch_report> history, const std::filesystem::path& png);

// Rows: true class, columns: predicted class; each cell shows its count, shaded by recall share.
void plot_confusion_matrix(const confusion_matrix& matrix, const std::vector<std::string>& class_names, const std::filesystem::path& png);

}  // namespace typegrad::report
