// Checks: loss() on a graph whose first root is a per-sample output of shape (3), not a scalar loss, is rejected.
// EXPECT-ERROR: typegrad: loss\(\) needs the first root to be a scalar loss
// EXPECT-ERROR: (?:graph<float,\s*|\[with T = float; Roots = \{)typegrad::node<typegrad::ops::dense<3,
#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
    auto x = tg::input<8>;
    auto y = tg::dense<3>(x);
#ifdef TYPEGRAD_EXPECT_FAIL
    auto g = tg::compile<float>(y);
#else
    auto g = tg::compile<float>(tg::mse_loss(y, tg::target<3>), y);
#endif
    return static_cast<int>(g.loss());
}
