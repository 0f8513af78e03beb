// Checks: compile<float>(inputs(h), ...) with h = dense<3>(x), a computed node rather than an input leaf, is rejected.
// EXPECT-ERROR: typegrad: inputs\(\.\.\.\) lists input, target and labels leaves only
// EXPECT-ERROR: is_leaf<typegrad::node<typegrad::ops::dense<3,
#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
    auto x = tg::input<4>;
    auto h = tg::dense<3>(x);
#ifdef TYPEGRAD_EXPECT_FAIL
    auto g = tg::compile<float>(tg::inputs(h), tg::dense<2>(h));
#else
    auto g = tg::compile<float>(tg::inputs(x), tg::dense<2>(h));
#endif
    return static_cast<int>(g.parameter_count() == 0);
}
