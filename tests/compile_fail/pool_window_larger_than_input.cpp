// Checks: a pooling window larger than the plane it pools is rejected.
// EXPECT-ERROR: typegrad: a convolution kernel \(or pooling window\) is larger than its input
// EXPECT-ERROR: kernel_must_fit_in_the_input<typegrad::at_layer<2,\s*typegrad::ops::pool<true,\s*4(?:,\s*4)?(?:,\s*false)?>\s*>,\s*typegrad::got<typegrad::shape<2,\s*3,\s*3>\s*>
#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
#ifdef TYPEGRAD_EXPECT_FAIL
    auto y = tg::input<1, 5, 5> | tg::conv2d<2, 3> | tg::max_pool<4>;
#else
    auto y = tg::input<1, 5, 5> | tg::conv2d<2, 3> | tg::max_pool<3>;
#endif
    (void)y;
}
