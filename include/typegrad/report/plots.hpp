#pragma once
// Pictures of a training run and of its data, drawn by gnuplot (Debian package gnuplot-nox). Each PNG comes with its
// data (.dat) and gnuplot script (.gp) beside it, so a user can restyle it. Failures (no gnuplot,
// an unwritable directory) throw io::io_error naming the file.
#include <cstddef>
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

struct image_grid_options {
    std::size_t channels = 1;  // 1: grey; 3: red, green, blue (reorder before, e.g. astronomical g, r, i as i, r, g)
    std::size_t height = 0, width = 0;
    std::size_t columns = 8;
    std::size_t zoom = 3;  // screen pixels per image pixel
    std::string title{};
};

// Images in a grid, each with its caption under it (several lines if it holds '\n'): the samples of a
// data set with their labels, or a model's predictions beside the truth. `images` holds whole images of
// (channels, height, width) values, row-major as a network sees them, drawn from [0, 1] (clamped);
// `captions` one per image, or none. The data beside the PNG is the grid as raw RGB bytes (.rgb).
// std::invalid_argument for images that are not whole or captions that do not match them.
void plot_image_grid(std::span<const float> images, std::span<const std::string> captions, const image_grid_options& options,
                     const std::filesystem::path& png);

}  // namespace typegrad::report
