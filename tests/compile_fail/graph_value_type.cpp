// Checks: a graph computing in int (tg::compile<int>) is rejected: graphs compute in float or double.
// EXPECT-ERROR: typegrad: a graph computes in float or double
// EXPECT-ERROR: graph<int,\s*typegrad::node<typegrad::ops::dense<3,
#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
    auto x = tg::input<4>;
#ifdef TYPEGRAD_EXPECT_FAIL
    auto g = tg::compile<int>(tg::dense<3>(x));
#else
    auto g = tg::compile<double>(tg::dense<3>(x));
#endif
    return static_cast<int>(g.parameter_count() == 0);
}
