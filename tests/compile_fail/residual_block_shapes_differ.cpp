// Checks: in the second of two residual blocks, h + dense<5>(relu(dense<4>(h))) adds a (5) to a (4); the error names the addition at
// its position among the distinct nodes (the input, four nodes a block: 8), as summary() numbers it, and both shapes.
// EXPECT-ERROR: typegrad: an elementwise operation needs operands of the same shape
// EXPECT-ERROR: operands_must_have_the_same_shape<typegrad::at_layer<8,\s*typegrad::ops::binary<typegrad::fn::add>\s*>
// EXPECT-ERROR: operands_must_have_the_same_shape<.*typegrad::left<typegrad::shape<4>\s*>,\s*typegrad::right<typegrad::shape<5>\s*>
#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
    const auto x = tg::input<4>;
    const auto h1 = x + tg::dense<4>(tg::relu(tg::dense<4>(x)));
#ifdef TYPEGRAD_EXPECT_FAIL
    [[maybe_unused]] const auto h2 = h1 + tg::dense<5>(tg::relu(tg::dense<4>(h1)));
#else
    [[maybe_unused]] const auto h2 = h1 + tg::dense<4>(tg::relu(tg::dense<4>(h1)));
#endif
}
