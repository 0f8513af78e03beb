// Checks: bind() of a tg::labels leaf to floating-point values (instead of std::int32_t labels) is rejected.
// EXPECT-ERROR: typegrad: bind\(input, values\) needs an input or target leaf
// EXPECT-ERROR: bind(?:<|\(const X&, std::span<const T>\) \[with X = )typegrad::node<typegrad::ops::leaf<.*?typegrad::feed_kind::labels,\s*3>
#include <typegrad/typegrad.hpp>

#include <cstdint>
#include <span>
#include <vector>

namespace tg = typegrad;

int main() {
    auto x = tg::input<4>;
    auto g = tg::compile<float>(tg::cross_entropy(tg::dense<3>(x), tg::labels<3>));
#ifdef TYPEGRAD_EXPECT_FAIL
    std::vector<float> labels(2);
    g.bind(tg::labels<3>, std::span<const float>(labels));
#else
    std::vector<std::int32_t> labels(2);
    g.bind(tg::labels<3>, std::span<const std::int32_t>(labels));
#endif
}
