// Checks: track_gradient() of integer labels (which have no gradient) is rejected.
// EXPECT-ERROR: typegrad: track_gradient\(\) takes an input leaf
// EXPECT-ERROR: track_gradient(?:<|\(const X&\) \[with X = )typegrad::node<typegrad::ops::leaf<.*?typegrad::feed_kind::labels,\s*3>
#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
    auto x = tg::input<4>;
    auto g = tg::compile<float>(tg::cross_entropy(tg::dense<3>(x), tg::labels<3>));
#ifdef TYPEGRAD_EXPECT_FAIL
    g.track_gradient(tg::labels<3>);
#else
    g.track_gradient(x);
#endif
}
