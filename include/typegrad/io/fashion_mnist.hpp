#pragma once
// Fashion-MNIST (Zalando's 28x28 grey images of 10 kinds of clothing) from the IDX files of the
// Debian package dataset-fashion-mnist, as a typegrad dataset: 784 pixels in [0, 1] and one label
// in 0..9 per image.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <typegrad/io/io_error.hpp>
#include <typegrad/train/dataset.hpp>

namespace typegrad::io {

inline constexpr const char* fashion_mnist_directory = "/usr/share/datasets/fashion-mnist";

// Class names in label order, "T-shirt/top" (0) to "Ankle boot" (9).
const std::vector<std::string>& fashion_mnist_class_names();

// Reads `part` ("train": 60,000 images, "t10k": 10,000) from `directory`; `limit` > 0 keeps only the
// first `limit` images. Throws io_error naming the directory or file at fault: a missing directory,
// damaged IDX files, images that are not 28x28, a label outside 0..9.
dataset<float, std::int32_t> read_fashion_mnist(const std::string& directory, const std::string& part, std::size_t limit = 0);

}  // namespace typegrad::io
