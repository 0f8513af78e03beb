// Checks: other inputs are bound by name, so tg::inputs(...) given to fit may not name two inputs alike.
// EXPECT-ERROR: typegrad: tg::inputs\(\.\.\.\) given to bind data names two inputs alike, and other inputs are bound by name
#include <cstdint>
#include <vector>

#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
    const auto image = tg::named_input<"image", 4>;
    const auto size = tg::named_input<"size", 1>;
    const auto also_size = tg::named_input<"size", 2>;
    const auto y = tg::concat(tg::concat(image, size), also_size) | tg::dense<3>;
    auto g = tg::compile<float>(tg::cross_entropy(y, tg::labels<3>), y);
    tg::sgd<float> opt;
    const tg::dataset<float, std::int32_t> data{.feature_size = 4, .features = std::vector<float>(8), .targets = {0, 1},
                                                .other_inputs = {{.name = "size", .size = 1, .values = {1, 2}}}};
#ifdef TYPEGRAD_EXPECT_FAIL
    (void)tg::fit(g, opt, data, tg::inputs(image, size, also_size), tg::labels<3>, {.epochs = 1});
#else
    (void)tg::fit(g, opt, data, tg::inputs(image, size), tg::labels<3>, {.epochs = 1});
#endif
}
