// Checks: tg::input<28, 0> is rejected because of its zero-sized dimension, naming the shape.
// EXPECT-ERROR: typegrad: every dimension of a shape must be positive
// EXPECT-ERROR: every_dimension_must_be_positive<typegrad::shape<28,\s*0>\s*>
#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
#ifdef TYPEGRAD_EXPECT_FAIL
    [[maybe_unused]] auto x = tg::input<28, 0>;
#else
    [[maybe_unused]] auto x = tg::input<28, 28>;
#endif
}
