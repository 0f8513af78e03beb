// Checks: reshape to a shape with a different number of values per sample is rejected.
// EXPECT-ERROR: typegrad: reshape needs a shape with as many values per sample as its input
// EXPECT-ERROR: reshape_must_keep_the_number_of_values<typegrad::at_layer<2,\s*typegrad::ops::reshape<typegrad::shape<3,\s*3>\s*>\s*>,\s*typegrad::got<typegrad::shape<8>\s*>,\s*typegrad::expected<typegrad::shape<3,\s*3>\s*>\s*>
#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
#ifdef TYPEGRAD_EXPECT_FAIL
    auto y = tg::input<4> | tg::dense<8> | tg::reshape<3, 3>;
#else
    auto y = tg::input<4> | tg::dense<8> | tg::reshape<2, 4>;
#endif
    (void)y;
}
