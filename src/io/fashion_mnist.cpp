#include <typegrad/io/fashion_mnist.hpp>

#include <algorithm>
#include <filesystem>

#include <typegrad/io/idx.hpp>

namespace typegrad::io {

const std::vector<std::string>& fashion_mnist_class_names() {
    static const std::vector<std::string> names{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
    return names;
}

dataset<float, std::int32_t> read_fashion_mnist(const std::string& directory, const std::string& part, std::size_t limit) {
    if (!std::filesystem::is_directory(directory))
        throw io_error(directory + ": no such directory (install the Debian package dataset-fashion-mnist, or give another directory)");
    const std::string images_path = directory + "/" + part + "-images-idx3-ubyte.gz", labels_path = directory + "/" + part + "-labels-idx1-ubyte.gz";
    auto images = read_idx_images(images_path, labels_path);
    if (images.rows != 28 || images.cols != 28)
        throw io_error(images_path + ": images are " + std::to_string(images.rows) + "x" + std::to_string(images.cols) + ", Fashion-MNIST's are 28x28");
    for (std::size_t i = 0; i < images.count; ++i)
        if (images.labels[i] < 0 || images.labels[i] > 9)
            throw io_error(labels_path + ": label " + std::to_string(images.labels[i]) + " of image " + std::to_string(i) + " is not a class 0..9");
    const std::size_t count = limit ? std::min(limit, images.count) : images.count;
    images.pixels.resize(count * 784);
    images.labels.resize(count);
    return {784, 1, std::move(images.pixels), std::move(images.labels)};
}

}  // namespace typegrad::io
