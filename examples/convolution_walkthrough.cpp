// Lecture example: the worked convolution example, stage by stage, with typegrad's own layers.
//
// A 5x5 image of -1 holds an X of +1 in its inner 3x3 (the four corners and the centre of that
// 3x3). A 3x3 kernel that is +1 on its diagonal and -1 elsewhere slides over it without padding
// (a "valid" convolution; like every deep-learning library, tg::conv2d computes the
// cross-correlation: the kernel is not flipped), giving a 3x3 feature map. ReLU clears its negative
// entries, and max-pooling with a 2x2 window and stride 1 keeps the largest of each window:
//
//   feature map [[7,-3,3],[-3,5,-3],[3,-3,7]]  ->  ReLU  ->  max-pool 2x2 stride 1  ->  [[7,5],[5,7]]
//
// The layers are tg::conv2d<1, 3> without bias (its nine weights set by hand through
// graph.parameters_of), tg::relu and tg::max_pool<2, 1>. Every stage is printed as a grid and
// compared with the lecture's numbers; the program fails if any differs.
#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <span>
#include <utility>
#include <vector>

#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

namespace {

constexpr std::size_t image_size = 5, kernel_size = 3, map_size = 3, pooled_size = 2;

// Prints a size x size grid read by `at(row, column)`, compares it with `expected` (row-major), and
// returns the number of entries that differ.
template <class At>
std::size_t print_and_check(const char* title, std::size_t size, At at, std::span<const double> expected) {
    std::printf("%s\n", title);
    std::size_t wrong = 0;
    for (std::size_t r = 0; r < size; ++r) {
        std::printf("   ");
        for (std::size_t c = 0; c < size; ++c) {
            const double value = at(r, c);
            const bool right = value == expected[r * size + c];
            wrong += !right;
            std::printf(" %c%3g", right ? ' ' : '!', value);
        }
        std::printf("\n");
    }
    if (wrong) std::printf("    %zu entries differ from the lecture (marked !)\n", wrong);
    std::printf("\n");
    return wrong;
}

}  // namespace

int main() {
    // ---- the image and the kernel ----
    std::vector<double> pixels(image_size * image_size, -1.0);
    for (auto [r, c] : {std::pair{1, 1}, {1, 3}, {2, 2}, {3, 1}, {3, 3}}) pixels[std::size_t(r) * image_size + std::size_t(c)] = 1.0;
    std::vector<double> kernel(kernel_size * kernel_size);
    for (std::size_t r = 0; r < kernel_size; ++r)
        for (std::size_t c = 0; c < kernel_size; ++c) kernel[r * kernel_size + c] = r == c ? 1.0 : -1.0;

    // ---- the network: conv 1 filter 3x3 (no bias), ReLU, max-pool 2x2 stride 1 ----
    const auto image = tg::named_input<"image", 1, image_size, image_size>;
    const auto feature_map = tg::conv2d<1, kernel_size>.without_bias()(image);
    const auto rectified = tg::relu(feature_map);
    const auto pooled = tg::max_pool<2, 1>(rectified);
    static_assert(decltype(feature_map)::output_shape == tg::shape<1, map_size, map_size>{});
    static_assert(decltype(pooled)::output_shape == tg::shape<1, pooled_size, pooled_size>{});
    auto g = tg::compile<double>(feature_map, rectified, pooled);
    const auto weights = g.parameters_of(feature_map);
    if (weights.size() != kernel.size()) {
        std::printf("FAILED: the convolution has %zu weights, expected the %zu of one 3x3 kernel\n", weights.size(), kernel.size());
        return 1;
    }
    std::copy(kernel.begin(), kernel.end(), weights.begin());
    g.bind(image, pixels);
    g.forward(1);

    // ---- each stage, checked against the lecture ----
    const double expected_map[] = {7, -3, 3, -3, 5, -3, 3, -3, 7};
    const double expected_relu[] = {7, 0, 3, 0, 5, 0, 3, 0, 7};
    const double expected_pool[] = {7, 5, 5, 7};
    std::size_t wrong = 0;
    wrong += print_and_check("image (5x5): -1 with an X of +1 in its inner 3x3", image_size,
                             [&](std::size_t r, std::size_t c) { return pixels[r * image_size + c]; }, pixels);
    wrong += print_and_check("kernel (3x3): +1 on the diagonal, -1 elsewhere", kernel_size,
                             [&](std::size_t r, std::size_t c) { return double(weights[r * kernel_size + c]); }, kernel);
    wrong += print_and_check("feature map = conv2d(image) (3x3, valid, stride 1)", map_size,
                             [&](std::size_t r, std::size_t c) { return g.value(feature_map)(0, 0, r, c); }, expected_map);

    // One entry by hand: the top-left window of the image times the kernel, summed.
    double top_left = 0;
    std::printf("  top-left by hand: sum of window * kernel =");
    for (std::size_t r = 0; r < kernel_size; ++r)
        for (std::size_t c = 0; c < kernel_size; ++c) {
            const double product = pixels[r * image_size + c] * kernel[r * kernel_size + c];
            top_left += product;
            std::printf(" %+g", product);
        }
    std::printf(" = %g\n\n", top_left);
    if (top_left != g.value(feature_map)(0, 0, 0, 0)) {
        std::printf("FAILED: the hand-computed top-left entry %g differs from conv2d's %g\n", top_left, g.value(feature_map)(0, 0, 0, 0));
        return 1;
    }

    wrong += print_and_check("ReLU(feature map): negative entries become 0", map_size,
                             [&](std::size_t r, std::size_t c) { return g.value(rectified)(0, 0, r, c); }, expected_relu);
    wrong += print_and_check("max-pool 2x2, stride 1: the largest of each window", pooled_size,
                             [&](std::size_t r, std::size_t c) { return g.value(pooled)(0, 0, r, c); }, expected_pool);

    if (wrong) {
        std::printf("FAILED: %zu entries differ from the lecture's worked example\n", wrong);
        return 1;
    }
    std::printf("OK: conv2d, ReLU and max-pooling reproduce the lecture's worked example\n");
    return 0;
}
