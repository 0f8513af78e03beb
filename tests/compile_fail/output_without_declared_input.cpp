// Checks: compile<float>(inputs(x), dense<3>(z)) is rejected: the output does not depend on the declared input x (shape (4)).
// EXPECT-ERROR: typegrad: a network output does not depend on the declared input
// EXPECT-ERROR: output_does_not_depend_on_the_declared_input<typegrad::output<0>,\s*typegrad::declared<typegrad::node<typegrad::ops::leaf<(?:typegrad::fixed_string<2>\{"x"\}|\{\{120,\s*0\}\}),\s*typegrad::shape<4>
#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
    auto x = tg::named_input<"x", 4>;
    auto z = tg::named_input<"z", 6>;
#ifdef TYPEGRAD_EXPECT_FAIL
    auto g = tg::compile<float>(tg::inputs(x), tg::dense<3>(z));
#else
    auto g = tg::compile<float>(tg::inputs(z), tg::dense<3>(z));
#endif
    (void)x;
    return static_cast<int>(g.parameter_count() == 0);
}
