// Residual networks: a small ResNet (batch normalisation, identity and 1x1-projection shortcuts,
// global average pooling) gradient-checked in double, and the structure of a deep residual MLP: one
// tape position per distinct node, counts that see each layer once, and a step that matches the
// same network written without reuse.
#define BOOST_TEST_MODULE residual_networks
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <span>
#include <vector>

#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

namespace {

std::vector<double> normal_values(std::size_t n, std::uint64_t seed) {
    tg::random_generator rng{seed};
    std::vector<double> v(n);
    for (auto& x : v) x = rng.normal();
    return v;
}

}  // namespace

BOOST_AUTO_TEST_CASE(small_resnet_gradients) {
    const auto image = tg::named_input<"image", 2, 6, 6>;
    const auto stem = image | tg::conv2d<3, 3, 1, tg::padding::same> | tg::batch_norm | tg::relu;
    const auto h1 = tg::basic_block<3, 1>(stem);  // identity shortcut
    const auto h2 = tg::basic_block<4, 2>(h1);    // projection: 4 channels of 3x3
    const auto logits = h2 | tg::global_average_pool | tg::dense<3>;
    auto g = tg::compile<double>(tg::cross_entropy(logits, tg::labels<3>), logits);
    // The type counts each layer once, as the graph does.
    static_assert(decltype(logits)::parameter_count == (2 * 9 * 3 + 3) + 2 * 3 + (3 * 9 * 3 + 2 * 3) * 2 + (3 * 9 * 4 + 2 * 4) +
                                                           (4 * 9 * 4 + 2 * 4) + (3 * 4 + 2 * 4) + (4 * 3 + 3));
    BOOST_TEST(g.parameter_count() == decltype(logits)::parameter_count);
    BOOST_TEST(g.node_count() == std::size_t(decltype(g)::position_count));

    g.initialize(11);
    for (auto& p : g.parameters()) p += 0.05;
    auto xs = normal_values(5 * 72, 12);
    const std::vector<std::int32_t> ls{0, 1, 2, 1, 0};
    g.bind(image, std::span<const double>(xs));
    g.bind(tg::labels<3>, ls);
    const auto check = tg::gradient_check(g, 5);
    BOOST_TEST(check.checked == g.parameter_count());
    BOOST_TEST(check.max_relative_error <= 1e-6);
    // Steps of 1e-5 (the default 1e-6 leaves a rounding error of 2e-10, which the smallest input
    // gradients here, 1e-3 of the largest, feel).
    const auto input_check = tg::input_gradient_check(g, image, std::span<double>(xs), 5, 1e-5);
    BOOST_TEST_INFO("worst input value " << input_check.worst_index << ": analytic " << input_check.analytic << ", numeric " << input_check.numeric);
    BOOST_TEST(input_check.max_relative_error <= 1e-6);
}

// 32 residual blocks: its tree would hold 2^32 uses of the input; the tape holds 4 positions a block.
BOOST_AUTO_TEST_CASE(deep_residual_mlp_is_laid_out_over_its_distinct_nodes) {
    const auto x = tg::named_input<"x", 4>;
    const auto block = [](const auto& h) { return h + 0.5 * tg::tanh(tg::dense<4>(h)); };
    const auto h8 = block(block(block(block(block(block(block(block(x))))))));
    const auto h16 = block(block(block(block(block(block(block(block(h8))))))));
    const auto h24 = block(block(block(block(block(block(block(block(h16))))))));
    const auto h32 = block(block(block(block(block(block(block(block(h24))))))));
    const auto loss = tg::mse_loss(tg::dense<1>(h32), tg::target<1>);
    auto g = tg::compile<double>(loss);
    // x; per block dense, tanh, *0.5, +; then dense, target, loss
    static_assert(decltype(g)::position_count == 1 + 4 * 32 + 3);
    static_assert(decltype(loss)::parameter_count == 32 * 20 + 5);
    BOOST_TEST(g.parameter_count() == 32u * 20 + 5);

    // The same network with every use of h written out is impossible (2^32 uses); check the step
    // against finite differences instead, on the first and last blocks.
    g.initialize(3);
    const auto xs = normal_values(3 * 4, 4), ts = normal_values(3, 5);
    g.bind(x, xs);
    g.bind(tg::target<1>, ts);
    BOOST_TEST(tg::gradient_check(g, 3).max_relative_error <= 1e-6);
}
