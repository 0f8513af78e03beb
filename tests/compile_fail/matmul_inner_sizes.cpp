// Checks: matmul of per-sample [2, 3] by [4, 5] (inner sizes 3 and 4) is rejected, naming the operation and both shapes.
// EXPECT-ERROR: typegrad: matmul\(a, b\) needs rank-2 operands with a's column count equal to b's row count
// EXPECT-ERROR: matmul_inner_sizes_must_agree<typegrad::at_layer<2,\s*typegrad::ops::matmul>
// EXPECT-ERROR: matmul_inner_sizes_must_agree<.*typegrad::left<typegrad::shape<2,\s*3>\s*>,\s*typegrad::right<typegrad::shape<4,\s*5>\s*>
#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
    auto a = tg::named_input<"a", 2, 3>;
#ifdef TYPEGRAD_EXPECT_FAIL
    auto b = tg::named_input<"b", 4, 5>;
#else
    auto b = tg::named_input<"b", 3, 5>;
#endif
    [[maybe_unused]] auto y = tg::matmul(a, b);
}
