// Checks: concatenating per-sample shapes (2, 3) and (2, 4), which differ on the second axis, is rejected with both shapes.
// EXPECT-ERROR: typegrad: concatenate needs operands of the same rank whose sizes agree on every axis but the first
// EXPECT-ERROR: concatenated_shapes_must_agree_except_on_the_first_axis<typegrad::at_layer<2,\s*typegrad::ops::concat>
// EXPECT-ERROR: concatenated_shapes_must_agree_except_on_the_first_axis<.*typegrad::left<typegrad::shape<2,\s*3>\s*>,\s*typegrad::right<typegrad::shape<2,\s*4>\s*>
#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
    auto a = tg::named_input<"a", 2, 3>;
#ifdef TYPEGRAD_EXPECT_FAIL
    auto b = tg::named_input<"b", 2, 4>;
#else
    auto b = tg::named_input<"b", 5, 3>;
#endif
    [[maybe_unused]] auto y = tg::concat(a, b);
}
