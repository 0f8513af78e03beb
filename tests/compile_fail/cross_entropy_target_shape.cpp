// Checks: cross_entropy of 10 logits against probability targets of shape (5) is rejected, naming the layer and both shapes.
// EXPECT-ERROR: typegrad: a loss needs a target of the same shape as the output
// EXPECT-ERROR: loss_target_must_match_the_output_shape<typegrad::at_layer<3,\s*typegrad::ops::cross_entropy>
// EXPECT-ERROR: loss_target_must_match_the_output_shape<.*typegrad::expected<typegrad::shape<10>\s*>,\s*typegrad::got<typegrad::shape<5>\s*>
#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
    auto x = tg::input<8>;
    auto logits = tg::dense<10>(x);
#ifdef TYPEGRAD_EXPECT_FAIL
    [[maybe_unused]] auto loss = tg::cross_entropy(logits, tg::target<5>);
#else
    [[maybe_unused]] auto loss = tg::cross_entropy(logits, tg::target<10>);
#endif
}
