// Checks: compile<float>(inputs(x), dense<3>(x) + dense<3>(z)) is rejected: the output depends on z (shape (6)), which is not declared.
// EXPECT-ERROR: typegrad: a network output depends on an input that is not among the declared inputs
// EXPECT-ERROR: output_depends_on_an_undeclared_input<typegrad::output<0>,\s*typegrad::node<typegrad::ops::leaf<(?:typegrad::fixed_string<2>\{"z"\}|\{\{122,\s*0\}\}),\s*typegrad::shape<6>
#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
    auto x = tg::named_input<"x", 4>;
    auto z = tg::named_input<"z", 6>;
#ifdef TYPEGRAD_EXPECT_FAIL
    auto g = tg::compile<float>(tg::inputs(x), tg::dense<3>(x) + tg::dense<3>(z));
#else
    auto g = tg::compile<float>(tg::inputs(x, z), tg::dense<3>(x) + tg::dense<3>(z));
#endif
    return static_cast<int>(g.parameter_count() == 0);
}
