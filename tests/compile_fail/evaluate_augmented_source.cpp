// Checks: evaluation reads data as it is; an augmented training source (random flips) is refused.
// EXPECT-ERROR: typegrad: evaluation and predictions read data as it is: pass them the data the augmentation wraps
#include <cstdint>
#include <vector>

#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
    const auto x = tg::input<1, 4, 4>;
    const auto y = x | tg::flatten | tg::dense<3>;
    auto g = tg::compile<float>(tg::cross_entropy(y, tg::labels<3>), y);
    const tg::dataset<float, std::int32_t> data{.feature_size = 16, .features = std::vector<float>(32), .targets = {0, 1}};
    const auto flipped = tg::augmented(data, tg::augment::compose(tg::shape<1, 4, 4>{}, tg::augment::flip_horizontal{}), 1);
#ifdef TYPEGRAD_EXPECT_FAIL
    (void)tg::evaluate(g, flipped, x, tg::labels<3>);
#else
    (void)tg::evaluate(g, data, x, tg::labels<3>);
    (void)flipped;
#endif
}
