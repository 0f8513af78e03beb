// Checks: indexing the value of a rank-1 node (shape (3)) with a sample and two indices is rejected (one index per axis).
// EXPECT-ERROR: typegrad: a tensor_view is indexed by the sample and one index per axis
// EXPECT-ERROR: (?:tensor_view<const float,\s*|T = const float; Shape = )typegrad::shape<3>
#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
    auto x = tg::input<4>;
    auto y = tg::dense<3>(x);
    auto g = tg::compile<float>(y);
#ifdef TYPEGRAD_EXPECT_FAIL
    const float v = g.value(y)(0, 1, 2);
#else
    const float v = g.value(y)(0, 1);
#endif
    return static_cast<int>(v);
}
