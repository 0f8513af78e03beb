// Checks: softmax of a rank-0 (scalar) expression, tg::sum(x), is rejected, naming the layer and the scalar shape.
// EXPECT-ERROR: typegrad: softmax and log-softmax need an input of rank 1 or more
// EXPECT-ERROR: softmax_needs_a_rank1_or_higher_input<typegrad::at_layer<2,\s*typegrad::ops::softmax<false>\s*>
// EXPECT-ERROR: softmax_needs_a_rank1_or_higher_input<.*typegrad::got<typegrad::shape<>\s*>
#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
    auto x = tg::input<8>;
#ifdef TYPEGRAD_EXPECT_FAIL
    [[maybe_unused]] auto y = tg::softmax(tg::sum(x));
#else
    [[maybe_unused]] auto y = tg::softmax(tg::dense<4>(x));
#endif
}
