// Checks: compiling a graph with no expression at all is rejected.
// EXPECT-ERROR: typegrad: a graph needs at least one output
#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
#ifdef TYPEGRAD_EXPECT_FAIL
    auto g = tg::compile<float>();
#else
    auto g = tg::compile<float>(tg::sum(tg::dense<3>(tg::input<4>)));
#endif
    (void)g;
}
