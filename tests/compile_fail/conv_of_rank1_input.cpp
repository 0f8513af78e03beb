// Checks: conv2d needs (channels, height, width) samples; a flat rank-1 input is rejected.
// EXPECT-ERROR: typegrad: convolution and pooling layers need a rank-3 input \(channels, height, width\) per sample
// EXPECT-ERROR: layer_needs_a_rank3_input_channels_height_width<typegrad::at_layer<1,\s*typegrad::ops::conv2d<8,\s*3,
// EXPECT-ERROR: got<typegrad::shape<784>\s*>
#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
#ifdef TYPEGRAD_EXPECT_FAIL
    auto y = tg::input<784> | tg::conv2d<8, 3>;
#else
    auto y = tg::input<1, 28, 28> | tg::conv2d<8, 3>;
#endif
    (void)y;
}
