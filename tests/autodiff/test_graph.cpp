// The compiled graph: node identity and sharing, parameters, the arena, run-time errors, summary,
// and reproducibility.
#define BOOST_TEST_MODULE graph
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

namespace {

template <class Exception>
auto message_contains(std::string text) {
    return [text](const Exception& e) {
        const bool found = std::string(e.what()).find(text) != std::string::npos;
        if (!found) BOOST_TEST_MESSAGE("message was: " << e.what());
        return found;
    };
}

std::vector<double> normal_values(std::size_t n, std::uint64_t seed) {
    tg::random_generator rng{seed};
    std::vector<double> v(n);
    for (auto& x : v) x = rng.normal();
    return v;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_reused_value_is_one_node_with_one_set_of_weights) {
    const auto x = tg::input<4>;
    const auto h = tg::tanh(tg::dense<3>(x));  // used twice below
    const auto y = tg::sum(h * h + h);
    auto g = tg::compile<double>(y);
    BOOST_TEST(g.parameter_count() == 15u);            // h's dense once
    static_assert(decltype(y)::parameter_count == 15, "the expression's type counts h once too");
    static_assert(decltype(g)::position_count == 6, "x, dense, tanh, *, +, sum: one position each");
    BOOST_TEST(g.node_count() == 6u);
    const auto xs = normal_values(8, 1);
    g.bind(x, xs);
    BOOST_TEST(tg::gradient_check(g, 2).max_relative_error <= 1e-6);
}

// Two layers of one type on one input are one position of the tape holding two nodes, each with its
// own weights; the type alone cannot tell them from one layer used twice, so it counts one.
BOOST_AUTO_TEST_CASE(separately_created_layers_have_their_own_weights) {
    const auto x = tg::input<4>;
    const auto a = tg::dense<3>(x), b = tg::dense<3>(x);
    const auto y = tg::sum(a + tg::tanh(b));
    auto g = tg::compile<double>(y);
    BOOST_TEST(g.parameter_count() == 30u);
    BOOST_TEST(g.node_count() == 6u);  // x, a, b, tanh, +, sum
    static_assert(decltype(g)::position_count == 5);
    static_assert(decltype(y)::parameter_count == 15);
    BOOST_TEST(g.parameters_of(a).data() != g.parameters_of(b).data());
    std::ostringstream table;
    g.summary(table);
    BOOST_TEST(table.str().find("parameters: 30, FLOPs per sample: " + std::to_string(2 * (2 * 4 * 3 + 3) + 3 + 3 + 3)) != std::string::npos,
               table.str());
    const auto xs = normal_values(8, 2);
    g.bind(x, xs);
    BOOST_TEST(tg::gradient_check(g, 2).max_relative_error <= 1e-6);
    g.forward(2);
    g.backward();
    // The two layers' gradients differ: a's sees the sum directly, b's through tanh.
    const auto grads = g.gradients();
    const std::size_t offset_b = std::size_t(g.parameters_of(b).data() - g.parameters().data());
    const std::size_t offset_a = std::size_t(g.parameters_of(a).data() - g.parameters().data());
    BOOST_TEST(grads[offset_a + 12] == 2.0);  // d sum / d bias of a: one per sample
    BOOST_TEST(grads[offset_b + 12] < 2.0);
}

BOOST_AUTO_TEST_CASE(a_named_layer_shares_weights_across_uses) {
    const auto encoder = tg::dense<3>.named<"encoder">();
    const auto a = tg::named_input<"a", 4>;
    const auto b = tg::named_input<"b", 4>;
    const auto loss = tg::mse_loss(encoder(a), encoder(b));  // a siamese pair
    auto g = tg::compile<double>(loss);
    BOOST_TEST(g.parameter_count() == 15u);
    const auto as = normal_values(8, 2), bs = normal_values(8, 3);
    g.bind(a, as);
    g.bind(b, bs);
    BOOST_TEST(tg::gradient_check(g, 2).max_relative_error <= 1e-6);
    std::ostringstream table;
    g.summary(table);
    BOOST_TEST(table.str().find("shared") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_named_layer_on_inputs_of_different_sizes_is_refused) {
    const auto shared = tg::dense<3>.named<"shared">();
    const auto loss = tg::sum(shared(tg::input<4>)) + tg::sum(shared(tg::named_input<"b", 5>));
    BOOST_CHECK_EXCEPTION(tg::compile<double>(loss), std::invalid_argument, message_contains<std::invalid_argument>(
                              "layer 'shared' is used as dense with parameters weight 3x4 bias 3 and as dense with parameters weight 3x5 bias 3"));
}

BOOST_AUTO_TEST_CASE(several_inputs_outputs_and_weighted_losses) {
    const auto image = tg::named_input<"image", 6>;
    const auto meta = tg::named_input<"meta", 2>;
    const auto features = tg::relu(tg::dense<5>(tg::concat(image, meta)));
    const auto classes = tg::dense<3>(features);
    const auto value = tg::dense<1>(features);
    const auto loss = 0.7 * tg::cross_entropy(classes, tg::labels<3>) + 0.3 * tg::mse_loss(value, tg::target<1>);
    auto g = tg::compile<double>(tg::inputs(image, meta, tg::labels<3>, tg::target<1>), loss, classes, value);
    const auto is = normal_values(18, 4), ms = normal_values(6, 5), ts = normal_values(3, 6);
    const std::vector<std::int32_t> ls{0, 2, 1};
    g.bind(image, is);
    g.bind(meta, ms);
    g.bind(tg::labels<3>, ls);
    g.bind(tg::target<1>, ts);
    BOOST_TEST(tg::gradient_check(g, 3).max_relative_error <= 1e-6);
    BOOST_TEST(g.value(classes).batch() == 3u);
    BOOST_TEST(g.value(value).size() == 3u);
}

BOOST_AUTO_TEST_CASE(input_gradients_on_request) {
    const auto x = tg::input<3>;
    const auto loss = tg::sum(tg::square(x));
    auto g = tg::compile<double>(loss);
    const std::vector<double> xs{1, -2, 3};
    g.bind(x, xs);
    g.forward(1);
    g.backward();
    BOOST_CHECK_THROW(g.gradient(x), std::logic_error);
    g.track_gradient(x);
    g.forward(1);
    g.backward();
    BOOST_TEST(g.gradient(x)(0, 1) == -4.0);
}

BOOST_AUTO_TEST_CASE(activations_run_in_place_when_their_input_has_no_other_user) {
    const auto x = tg::input<1, 8, 8>;
    const auto conv = x | tg::conv2d<4, 3>;
    const auto rectified = conv | tg::relu;
    const auto hidden = rectified | tg::max_pool<2> | tg::flatten | tg::dense<3>;
    const auto squashed = tg::tanh(hidden) + hidden;  // hidden has two users: its tanh cannot overwrite it
    const auto out = tg::sigmoid(tg::dense<2>(squashed));
    const auto loss = tg::mse_loss(out, tg::target<2>);
    auto lean = tg::compile<double>(loss);
    auto kept = tg::compile<double>(loss);
    kept.keep_intermediates();
    const auto xs = normal_values(5 * 64, 7), ts = normal_values(5 * 2, 8);
    for (auto* g : {&lean, &kept}) {
        g->initialize(3);
        g->bind(x, xs);
        g->bind(tg::target<2>, ts);
        g->forward(5);
        g->backward();
    }
    BOOST_TEST(lean.loss() == kept.loss());
    BOOST_TEST(std::ranges::equal(lean.gradients(), kept.gradients()));  // bit for bit: the same arithmetic
    // conv (value and gradient, 144 a sample) and the last dense (2 a sample, rounded up to 8 of a batch)
    // are shared; so are gradients of disjoint lives (next test).
    BOOST_TEST(kept.arena_size() - lean.arena_size() >= 2 * (5 * 144) + 2 * 16);
    BOOST_TEST(lean.value(hidden)(4, 2) == kept.value(hidden)(4, 2));
    BOOST_TEST(lean.value(rectified)(1, 3, 2, 2) == std::max(0.0, kept.value(conv)(1, 3, 2, 2)));
    BOOST_CHECK_EXCEPTION(lean.value(conv), std::logic_error,
                          message_contains<std::logic_error>("conv2d node's values were overwritten by the relu after it"));
    BOOST_CHECK_EXCEPTION(lean.gradient(rectified), std::logic_error, message_contains<std::logic_error>("call keep_intermediates()"));
    BOOST_TEST(lean.gradient(conv)(1, 3, 2, 2) == kept.gradient(conv)(1, 3, 2, 2));
    BOOST_TEST(tg::gradient_check(lean, 5).max_relative_error <= 1e-6);
    // for_each_value visits what is still there, named as summary() names it: conv's values are relu's
    // now, the last dense's sigmoid's.
    std::vector<std::string> layers;
    std::size_t values = 0;
    lean.for_each_value([&](const std::string& layer, std::span<const double> v) { layers.push_back(layer), values += v.size(); });
    const std::vector<std::string> expected{"relu at #2", "max_pool at #3", "flatten at #4", "dense at #5", "tanh at #6", "add at #7",
                                            "sigmoid at #9", "mse_loss at #11"};
    BOOST_TEST(layers == expected, boost::test_tools::per_element());
    BOOST_TEST(values == 5 * (144 + 36 + 36 + 3 + 3 + 3 + 2) + 1);
}

BOOST_AUTO_TEST_CASE(gradients_whose_lives_do_not_overlap_share_memory) {
    const auto x = tg::input<64>;
    const auto first = x | tg::dense<64>;
    const auto last = first | tg::dense<64> | tg::dense<64> | tg::dense<64> | tg::dense<64> | tg::dense<64>;
    const auto loss = tg::sum(last);
    auto lean = tg::compile<double>(loss);
    auto kept = tg::compile<double>(loss);
    kept.keep_intermediates();
    const auto xs = normal_values(5 * 64, 9);
    for (auto* g : {&lean, &kept}) {
        g->initialize(4);
        g->bind(x, xs);
        g->forward(5);
        g->backward();
    }
    BOOST_TEST(std::ranges::equal(lean.gradients(), kept.gradients()));
    // Six gradients of 5 x 64 values and the loss's (8 with padding); along a chain only two are live
    // at once, and the loss's is dead before the first dense's starts.
    BOOST_TEST(kept.arena_size() - lean.arena_size() == 4 * (5 * 64) + 8);
    BOOST_TEST(lean.gradient(first)(2, 7) == kept.gradient(first)(2, 7));  // the last one backward() writes is kept
    BOOST_CHECK_EXCEPTION(lean.gradient(last), std::logic_error, message_contains<std::logic_error>("dense node's gradient is not kept"));
    BOOST_TEST(kept.gradient(last)(0, 0) == 1.0);
    // A second step with a smaller batch: buffers are zeroed before reuse, so nothing of the first leaks.
    lean.forward(3);
    lean.backward();
    kept.forward(3);
    kept.backward();
    BOOST_TEST(std::ranges::equal(lean.gradients(), kept.gradients()));
}

BOOST_AUTO_TEST_CASE(run_time_errors_name_what_is_wrong) {
    const auto x = tg::named_input<"pixels", 4>;
    auto g = tg::compile<float>(tg::cross_entropy(tg::dense<3>(x), tg::labels<3>));
    const std::vector<float> xs(8, 0.5f);
    const std::vector<std::int32_t> ls{0, 7};
    BOOST_CHECK_EXCEPTION(g.forward(2), std::logic_error, message_contains<std::logic_error>("input 'pixels' of shape (4) is not bound"));
    g.bind(x, std::span<const float>(xs).first(4));
    g.bind(tg::labels<3>, ls);
    BOOST_CHECK_EXCEPTION(g.forward(2), std::invalid_argument, message_contains<std::invalid_argument>("bound to 4 values; a batch of 2 needs 8"));
    g.bind(x, xs);
    BOOST_CHECK_EXCEPTION(g.forward(2), std::out_of_range, message_contains<std::out_of_range>("label 7 of sample 1 is outside [0, 3)"));
    BOOST_CHECK_THROW(g.forward(0), std::invalid_argument);
    auto fresh = tg::compile<float>(tg::sum(tg::dense<3>(x)));
    BOOST_CHECK_EXCEPTION(fresh.backward(), std::logic_error, message_contains<std::logic_error>("needs a forward() first"));
    BOOST_CHECK_EXCEPTION(tg::cross_entropy(tg::dense<3>(x), tg::labels<3>, {.class_weights = {1, 2}}), std::invalid_argument,
                          message_contains<std::invalid_argument>("2 class weights given for 3 classes"));
}

BOOST_AUTO_TEST_CASE(weights_of_an_expression_outside_the_graph_is_refused) {
    const auto x = tg::input<4>;
    const auto elsewhere = tg::dense<2>(x);
    const auto loss = tg::sum(tg::dense<2>(x)) + tg::l2_penalty(tg::weights_of(elsewhere));
    BOOST_CHECK_EXCEPTION(tg::compile<double>(loss), std::invalid_argument, message_contains<std::invalid_argument>("weights_of(): layer dense of the penalised expression is not part of this graph"));
}

BOOST_AUTO_TEST_CASE(the_penalty_counts_weights_not_biases) {
    const auto x = tg::input<2>;
    const auto y = tg::dense<1>(x);
    auto g = tg::compile<double>(tg::l2_penalty(tg::weights_of(y)), tg::l1_penalty(tg::weights_of(y)), y);
    auto p = g.parameters_of(y);
    p[0] = 3;
    p[1] = -4;
    p[2] = 100;  // the bias
    const std::vector<double> xs{0, 0};
    g.bind(x, xs);
    g.forward(1);
    BOOST_TEST(g.loss() == 25.0);
    g.backward();
    BOOST_TEST(g.gradients()[0] == 6.0);
    BOOST_TEST(g.gradients()[2] == 0.0);
}

BOOST_AUTO_TEST_CASE(summary_lists_layers_shapes_and_parameters) {
    const auto mlp = tg::named_input<"x", 16> | tg::dense<64> | tg::tanh | tg::dense<1>;
    auto g = tg::compile<float>(mlp);
    std::ostringstream out;
    g.summary(out);
    const std::string table = out.str();
    BOOST_TEST_MESSAGE(table);
    BOOST_TEST(table.find("input 'x'") != std::string::npos);
    BOOST_TEST(table.find("(B, 64)") != std::string::npos);
    BOOST_TEST(table.find("1088") != std::string::npos);
    BOOST_TEST(table.find("parameters: 1153") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(same_seed_same_bits_different_seed_different_weights) {
    auto make = [] { return tg::compile<float>(tg::input<8> | tg::dense<16>.with_init(tg::init_scheme::he_normal) | tg::relu | tg::dense<2>); };
    auto a = make(), b = make(), c = make();
    a.initialize(42);
    b.initialize(42);
    c.initialize(43);
    BOOST_TEST(std::equal(a.parameters().begin(), a.parameters().end(), b.parameters().begin()));
    BOOST_TEST(!std::equal(a.parameters().begin(), a.parameters().end(), c.parameters().begin()));
}

BOOST_AUTO_TEST_CASE(initialisers_have_the_documented_spread) {
    const auto x = tg::input<400>;
    const auto glorot = tg::dense<200>(x);
    const auto he = tg::dense<200>.with_init(tg::init_scheme::he_normal)(x);
    auto g = tg::compile<double>(glorot, he);
    auto spread = [](std::span<const double> w, std::size_t n) {
        double sum = 0, squares = 0, largest = 0;
        for (std::size_t i = 0; i < n; ++i) {
            sum += w[i];
            squares += w[i] * w[i];
            largest = std::max(largest, std::abs(w[i]));
        }
        return std::pair{std::sqrt(squares / double(n) - (sum / double(n)) * (sum / double(n))), largest};
    };
    const auto [glorot_sd, glorot_max] = spread(g.parameters_of(glorot), 80000);
    const auto [he_sd, he_max] = spread(g.parameters_of(he), 80000);
    const double limit = std::sqrt(6.0 / 600);
    BOOST_TEST(glorot_max <= limit);
    BOOST_TEST(std::abs(glorot_sd - limit / std::sqrt(3.0)) < 0.01 * limit);
    BOOST_TEST(std::abs(he_sd - std::sqrt(2.0 / 400)) < 0.01 * std::sqrt(2.0 / 400));
    BOOST_TEST(g.parameters_of(glorot)[80000] == 0.0);  // biases start at zero
}

BOOST_AUTO_TEST_CASE(float_and_double_agree) {
    const auto net = tg::input<5> | tg::dense<7> | tg::sigmoid | tg::dense<3>;
    const auto loss = tg::cross_entropy(net, tg::labels<3>);
    auto gf = tg::compile<float>(loss);
    auto gd = tg::compile<double>(loss);
    gf.initialize(3);
    gd.initialize(3);
    const auto xd = normal_values(20, 9);
    const std::vector<float> xf(xd.begin(), xd.end());
    const std::vector<std::int32_t> ls{0, 1, 2, 1};
    gf.bind(tg::input<5>, xf);
    gd.bind(tg::input<5>, xd);
    gf.bind(tg::labels<3>, ls);
    gd.bind(tg::labels<3>, ls);
    gf.forward(4);
    gd.forward(4);
    gf.backward();
    gd.backward();
    BOOST_TEST(std::abs(double(gf.loss()) - gd.loss()) < 1e-5);
    for (std::size_t i = 0; i < gd.gradients().size(); ++i) BOOST_TEST(std::abs(double(gf.gradients()[i]) - gd.gradients()[i]) < 1e-5);
}
