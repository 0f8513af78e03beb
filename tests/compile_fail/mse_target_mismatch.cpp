// Checks: mse_loss with a target of shape (4) for an output of shape (3) is rejected, naming the loss and both shapes.
// EXPECT-ERROR: typegrad: a loss needs a target of the same shape as the output
// EXPECT-ERROR: loss_target_must_match_the_output_shape<typegrad::at_layer<3,\s*typegrad::ops::pointwise_loss<typegrad::loss_fn::squared_error>\s*>
// EXPECT-ERROR: loss_target_must_match_the_output_shape<.*typegrad::expected<typegrad::shape<3>\s*>,\s*typegrad::got<typegrad::shape<4>\s*>
#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
    auto x = tg::input<8>;
    auto y = tg::dense<3>(x);
#ifdef TYPEGRAD_EXPECT_FAIL
    [[maybe_unused]] auto loss = tg::mse_loss(y, tg::target<4>);
#else
    [[maybe_unused]] auto loss = tg::mse_loss(y, tg::target<3>);
#endif
}
