// Checks: predicting a value that is not per sample (here the loss, one number per batch) is rejected.
// EXPECT-ERROR: typegrad: predictions need an output with one value per sample
#include <vector>

#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
    const auto x = tg::input<4>;
    const auto y = tg::dense<3>(x);
    const auto loss = tg::cross_entropy(y, tg::labels<3>);
    auto g = tg::compile<float>(loss, y);
    const tg::dataset<float, std::int32_t> data{.feature_size = 4, .features = std::vector<float>(8), .targets = {0, 1}};
#ifdef TYPEGRAD_EXPECT_FAIL
    (void)tg::predict(g, data, x, loss);
#else
    (void)tg::predict(g, data, x, y);
#endif
}
