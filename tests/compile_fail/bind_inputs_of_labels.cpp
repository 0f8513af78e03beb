// Checks: data is bound to inputs of values; tg::inputs(x, labels) given to fit is refused.
// EXPECT-ERROR: typegrad: the inputs that data is bound to are inputs of values \(tg::input, tg::named_input\), not labels
#include <cstdint>
#include <vector>

#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
    const auto x = tg::input<4>;
    const auto y = x | tg::dense<3>;
    auto g = tg::compile<float>(tg::cross_entropy(y, tg::labels<3>), y);
    tg::sgd<float> opt;
    const tg::dataset<float, std::int32_t> data{.feature_size = 4, .features = std::vector<float>(8), .targets = {0, 1}};
#ifdef TYPEGRAD_EXPECT_FAIL
    (void)tg::fit(g, opt, data, tg::inputs(x, tg::labels<3>), tg::labels<3>, {.epochs = 1});
#else
    (void)tg::fit(g, opt, data, tg::inputs(x), tg::labels<3>, {.epochs = 1});
#endif
}
