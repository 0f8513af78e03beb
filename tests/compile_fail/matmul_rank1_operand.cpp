// Checks: matmul of a rank-1 per-sample vector (3) by a [3, 4] matrix is rejected (both operands must be rank 2), with both shapes.
// EXPECT-ERROR: typegrad: matmul\(a, b\) needs rank-2 operands
// EXPECT-ERROR: matmul_inner_sizes_must_agree<typegrad::at_layer<2,\s*typegrad::ops::matmul>
// EXPECT-ERROR: matmul_inner_sizes_must_agree<.*typegrad::left<typegrad::shape<3>\s*>,\s*typegrad::right<typegrad::shape<3,\s*4>\s*>
#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
#ifdef TYPEGRAD_EXPECT_FAIL
    auto a = tg::named_input<"a", 3>;
#else
    auto a = tg::named_input<"a", 1, 3>;
#endif
    [[maybe_unused]] auto y = tg::matmul(a, tg::named_input<"b", 3, 4>);
}
