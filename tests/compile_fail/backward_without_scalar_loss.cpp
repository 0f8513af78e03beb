// Checks: backward() on a graph whose first root is a per-sample output of shape (3), not a scalar loss, is rejected with that shape.
// EXPECT-ERROR: typegrad: backward\(\) needs the graph's first root to be a scalar loss
// EXPECT-ERROR: backward_needs_a_scalar_loss<typegrad::shape<3>\s*>
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
    g.backward();
}
