// Checks: an input of per-sample rank 5 is rejected (ranks 0 to 4 only), naming the shape.
// EXPECT-ERROR: typegrad: a per-sample shape has rank 0 to 4
// EXPECT-ERROR: typegrad::shape<2,\s*3,\s*4,\s*5,\s*6>
#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
#ifdef TYPEGRAD_EXPECT_FAIL
    [[maybe_unused]] auto x = tg::input<2, 3, 4, 5, 6>;
#else
    [[maybe_unused]] auto x = tg::input<2, 3, 4, 5>;
#endif
}
