// Checks: cross_entropy of 10 logits against tg::labels<5> is rejected, naming the layer, the output shape and the 5-class labels.
// EXPECT-ERROR: typegrad: cross-entropy needs labels whose class count equals the size of the rank-1 output
// EXPECT-ERROR: labels_must_have_as_many_classes_as_the_output<typegrad::at_layer<3,\s*typegrad::ops::cross_entropy>
// EXPECT-ERROR: labels_must_have_as_many_classes_as_the_output<.*typegrad::got<typegrad::shape<10>\s*>,\s*typegrad::node<typegrad::ops::leaf<.*?typegrad::shape<>,\s*typegrad::feed_kind::labels,\s*5>
#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
    auto x = tg::input<8>;
    auto logits = tg::dense<10>(x);
#ifdef TYPEGRAD_EXPECT_FAIL
    [[maybe_unused]] auto loss = tg::cross_entropy(logits, tg::labels<5>);
#else
    [[maybe_unused]] auto loss = tg::cross_entropy(logits, tg::labels<10>);
#endif
}
