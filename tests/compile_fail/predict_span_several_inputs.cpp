// Checks: predict() from a span of features binds one input; several inputs need a dataset with other_inputs.
// EXPECT-ERROR: typegrad: predict\(graph, features, input, output\) takes one input; for several, give a tg::dataset with other_inputs
#include <vector>

#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
    const auto image = tg::named_input<"image", 4>;
    const auto size = tg::named_input<"size", 1>;
    const auto y = tg::concat(image, size) | tg::dense<3>;
    auto g = tg::compile<float>(y);
    const std::vector<float> features(8);
#ifdef TYPEGRAD_EXPECT_FAIL
    (void)tg::predict(g, std::span<const float>(features), tg::inputs(image, size), y);
#else
    const tg::dataset<float> data{.feature_size = 4, .features = features, .targets = std::vector<float>(2), .other_inputs = {{.name = "size", .size = 1, .values = {1, 2}}}};
    (void)tg::predict(g, data, tg::inputs(image, size), y);
#endif
}
