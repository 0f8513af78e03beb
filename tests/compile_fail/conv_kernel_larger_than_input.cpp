// Checks: a convolution kernel larger than its (valid-padded) input is rejected.
// EXPECT-ERROR: typegrad: a convolution kernel \(or pooling window\) is larger than its input
// EXPECT-ERROR: kernel_must_fit_in_the_input<typegrad::at_layer<1,\s*typegrad::ops::conv2d<4,\s*5,
// EXPECT-ERROR: got<typegrad::shape<1,\s*3,\s*3>\s*>
#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
#ifdef TYPEGRAD_EXPECT_FAIL
    auto y = tg::input<1, 3, 3> | tg::conv2d<4, 5>;
#else
    auto y = tg::input<1, 3, 3> | tg::conv2d<4, 3>;
#endif
    (void)y;
}
