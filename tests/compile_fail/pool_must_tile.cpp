// Checks: a pool asked to tile its input exactly rejects windows that would leave a row out (W3's 11x11).
// EXPECT-ERROR: typegrad: the pooling windows do not tile the input: a last row or column would be left out
// EXPECT-ERROR: pooling_windows_must_tile_the_input<typegrad::at_layer<3,\s*typegrad::ops::pool<true,\s*2,\s*2,\s*true>\s*>,\s*typegrad::got<typegrad::shape<4,\s*11,\s*11>\s*>
#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
#ifdef TYPEGRAD_EXPECT_FAIL
    auto y = tg::input<1, 13, 13> | tg::conv2d<4, 3> | tg::relu | tg::max_pool<2>.must_tile();
#else
    auto y = tg::input<1, 14, 14> | tg::conv2d<4, 3> | tg::relu | tg::max_pool<2>.must_tile();
#endif
    (void)y;
}
