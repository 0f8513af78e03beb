// Checks: in a chain, a dense layer after a rank-3 input (1, 28, 28) without flatten is rejected, naming the layer and the shape.
// EXPECT-ERROR: typegrad: a dense layer needs a rank-1 input
// EXPECT-ERROR: dense_needs_a_rank1_input<typegrad::at_layer<1,\s*typegrad::ops::dense<64,
// EXPECT-ERROR: dense_needs_a_rank1_input<.*typegrad::got<typegrad::shape<1,\s*28,\s*28>\s*>
#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
#ifdef TYPEGRAD_EXPECT_FAIL
    [[maybe_unused]] auto y = tg::input<1, 28, 28> | tg::dense<64>;
#else
    [[maybe_unused]] auto y = tg::input<784> | tg::dense<64>;
#endif
}
