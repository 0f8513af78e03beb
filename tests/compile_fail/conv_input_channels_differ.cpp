// Checks: a conv2d declared for a channel count rejects an input with another.
// EXPECT-ERROR: typegrad: the input's channel count differs from the one this conv2d layer was declared with
// EXPECT-ERROR: input_channels_must_match_the_declared_count<typegrad::at_layer<2,\s*typegrad::ops::conv2d<64,\s*3,.*>\s*>,\s*typegrad::declared_channels<16>,\s*typegrad::got<typegrad::shape<32,\s*26,\s*26>\s*>
#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
#ifdef TYPEGRAD_EXPECT_FAIL
    auto y = tg::input<1, 28, 28> | tg::conv2d<32, 3>.expects_channels<1>() | tg::conv2d<64, 3>.expects_channels<16>();
#else
    auto y = tg::input<1, 28, 28> | tg::conv2d<32, 3>.expects_channels<1>() | tg::conv2d<64, 3>.expects_channels<32>();
#endif
    (void)y;
}
