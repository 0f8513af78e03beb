// Checks: batch normalisation of a rank-2 value (a matrix per sample), which has neither features nor channels, is rejected with its shape.
// EXPECT-ERROR: typegrad: batch_norm needs a batched rank-1 value \(features\) or rank-3 value \(channels, height, width\) per sample
// EXPECT-ERROR: batch_norm_needs_a_batch_of_features_or_channels<typegrad::at_layer<2,\s*typegrad::ops::batch_norm<.*>\s*>,\s*typegrad::got<typegrad::shape<4,\s*4>\s*>
#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
#ifdef TYPEGRAD_EXPECT_FAIL
    [[maybe_unused]] auto y = tg::input<16> | tg::reshape<4, 4> | tg::batch_norm;
#else
    [[maybe_unused]] auto y = tg::input<16> | tg::reshape<1, 4, 4> | tg::batch_norm;
#endif
}
