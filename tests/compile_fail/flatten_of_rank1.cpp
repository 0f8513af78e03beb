// Checks: flatten of a rank-1 input (already flat) is rejected.
// EXPECT-ERROR: typegrad: flatten needs an input of rank 2 or more
// EXPECT-ERROR: flatten_needs_an_input_of_rank_2_or_more<typegrad::at_layer<1,\s*typegrad::ops::flatten>,\s*typegrad::got<typegrad::shape<784>\s*>
#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
#ifdef TYPEGRAD_EXPECT_FAIL
    auto y = tg::input<784> | tg::flatten | tg::dense<10>;
#else
    auto y = tg::input<1, 28, 28> | tg::flatten | tg::dense<10>;
#endif
    (void)y;
}
