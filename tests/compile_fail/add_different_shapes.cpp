// Checks: adding expressions of shapes (5) and (3) is rejected, naming the operation, its position (x, the two dense layers, then the sum: 3) and both shapes.
// EXPECT-ERROR: typegrad: an elementwise operation needs operands of the same shape
// EXPECT-ERROR: operands_must_have_the_same_shape<typegrad::at_layer<3,\s*typegrad::ops::binary<typegrad::fn::add>\s*>
// EXPECT-ERROR: operands_must_have_the_same_shape<.*typegrad::left<typegrad::shape<5>\s*>,\s*typegrad::right<typegrad::shape<3>\s*>
#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
    auto x = tg::input<8>;
#ifdef TYPEGRAD_EXPECT_FAIL
    [[maybe_unused]] auto y = tg::dense<5>(x) + tg::dense<3>(x);
#else
    [[maybe_unused]] auto y = tg::dense<3>(x) + tg::dense<3>(x);
#endif
}
