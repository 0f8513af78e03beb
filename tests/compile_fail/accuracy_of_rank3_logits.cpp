// Checks: a classifier's logits must be one score per class (rank 1), for accuracy and the confusion matrix.
// EXPECT-ERROR: typegrad: a classifier's logits must be a rank-1 node \(one score per class\)
#include <vector>

#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
    const auto x = tg::input<1, 4, 4>;
    const auto maps = x | tg::conv2d<2, 3>;
    const auto logits = maps | tg::flatten | tg::dense<3>;
    auto g = tg::compile<float>(tg::cross_entropy(logits, tg::labels<3>), logits, maps);
    const tg::dataset<float, std::int32_t> data{.feature_size = 16, .features = std::vector<float>(32), .targets = {0, 1}};
#ifdef TYPEGRAD_EXPECT_FAIL
    (void)tg::accuracy(g, data, x, maps);
#else
    (void)tg::accuracy(g, data, x, logits);
#endif
}
