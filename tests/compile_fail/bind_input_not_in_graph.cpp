// Checks: bind() of an input leaf of shape (5) that the graph (built on an input of shape (4)) does not use is rejected, naming the leaf.
// EXPECT-ERROR: typegrad: this input is not part of the graph
// EXPECT-ERROR: leaf_position(?:<|\(\) \[with X = )typegrad::node<typegrad::ops::leaf<.*?typegrad::shape<5>
#include <typegrad/typegrad.hpp>

#include <span>
#include <vector>

namespace tg = typegrad;

int main() {
    auto x = tg::input<4>;
    auto g = tg::compile<float>(tg::dense<3>(x));
    std::vector<float> values(5);
#ifdef TYPEGRAD_EXPECT_FAIL
    g.bind(tg::input<5>, std::span<const float>(values));
#else
    g.bind(tg::input<4>, std::span<const float>(values));
#endif
}
