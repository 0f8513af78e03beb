// A graph on several threads (graph::set_threads): one thread is exact and deterministic, more
// give the losses, outputs and gradients of one thread to 1e-5, step after step of training.
#define BOOST_TEST_MODULE threads
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <utility>
#include <vector>

#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

namespace {

// A small CNN whose every layer is large enough at `batch` samples to be split between threads
// (checked below): conv 8 3x3, relu, max-pool 2, conv 8 3x3, relu, average pool 2, flatten to
// 200, dense 32, relu, dense 10, softmax cross-entropy.
constexpr std::size_t batch = 96;
const auto image = tg::named_input<"image", 1, 28, 28>;
const auto logits = image | tg::conv2d<8, 3> | tg::relu | tg::max_pool<2> | tg::conv2d<8, 3> | tg::relu | tg::avg_pool<2> |
                    tg::flatten | tg::dense<32> | tg::relu | tg::dense<10>;
const auto loss = tg::cross_entropy(logits, tg::labels<10>);

struct samples {
    std::vector<float> pixels;
    std::vector<std::int32_t> labels;
};
samples make_samples(std::uint64_t seed) {
    tg::random_generator rng{seed};
    samples s{std::vector<float>(batch * 28 * 28), std::vector<std::int32_t>(batch)};
    for (auto& p : s.pixels) p = float(rng.normal());
    for (auto& l : s.labels) l = std::int32_t(rng.below(10));
    return s;
}

auto make_graph(std::size_t threads, const samples& data) {
    auto net = tg::compile<float>(loss, logits);
    net.set_threads(threads);
    net.initialize(11);
    net.track_gradient(image);
    net.bind(image, data.pixels);
    net.bind(tg::labels<10>, data.labels);
    return net;
}

// What one forward and backward gives: the loss, the logits, the parameters' and the input's gradients.
struct step_result {
    float loss;
    std::vector<float> logits, gradients, input_gradient;
};
template <class Graph>
step_result forward_backward(Graph& net) {
    net.forward(batch);
    net.backward();
    const auto y = net.value(logits);
    const auto gx = net.gradient(image);
    return {net.loss(), {y.data(), y.data() + y.size()}, {net.gradients().begin(), net.gradients().end()},
            {gx.data(), gx.data() + gx.size()}};
}

// Largest difference between a and b relative to the largest magnitude in a: elements that are
// sums of many terms and nearly cancel keep an absolute, not a relative, rounding error.
double relative_difference(std::span<const float> a, std::span<const float> b) {
    BOOST_TEST_REQUIRE(a.size() == b.size());
    double largest = 0, difference = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        largest = std::max(largest, std::abs(double(a[i])));
        difference = std::max(difference, std::abs(double(a[i]) - double(b[i])));
    }
    return largest > 0 ? difference / largest : difference;
}

constexpr double tolerance = 1e-5;

}  // namespace

// The test is only worth something if each layer is split: the counts of work items of each
// layer at `batch` samples against the grains of kernels/parallel.hpp, on two threads.
BOOST_AUTO_TEST_CASE(every_layer_of_the_test_network_is_split) {
    namespace k = tg::kernels;
    BOOST_TEST(k::chunk_count(batch, 2, 1) == 2u);                                   // convolutions, by samples
    BOOST_TEST(k::chunk_count(8, 2, 1) == 2u);                                       // convolutions' weights, by filters
    BOOST_TEST(k::chunk_count(batch * 8 * 26 * 26, 2, k::elementwise_grain) == 2u);  // first relu
    BOOST_TEST(k::chunk_count(batch * 8 * 11 * 11, 2, k::elementwise_grain) == 2u);  // second relu
    BOOST_TEST(k::chunk_count(batch * 8, 2, k::elementwise_grain / (26 * 26)) == 2u);  // max pool, by planes
    BOOST_TEST(k::chunk_count(batch * 8, 2, k::elementwise_grain / (11 * 11)) == 2u);  // average pool
    BOOST_TEST(k::chunk_count(batch, 2, k::gemm_grain / (32 * 200)) == 2u);           // dense 32, by samples
    BOOST_TEST(k::chunk_count(32, 2, k::gemm_grain / (batch * 200)) == 2u);           // its weights, by units
}

BOOST_AUTO_TEST_CASE(one_thread_is_deterministic) {
    const samples data = make_samples(1);
    auto first = make_graph(1, data);
    auto second = make_graph(1, data);
    BOOST_TEST(first.threads() == 1u);
    const step_result a = forward_backward(first), b = forward_backward(second);
    BOOST_TEST(a.loss == b.loss);
    BOOST_TEST(a.logits == b.logits, boost::test_tools::per_element());
    BOOST_TEST(a.gradients == b.gradients, boost::test_tools::per_element());
    BOOST_TEST(a.input_gradient == b.input_gradient, boost::test_tools::per_element());
    // Back from several threads to one: the same bits again.
    second.set_threads(3);
    second.set_threads(1);
    BOOST_TEST(second.threads() == 1u);
    const step_result c = forward_backward(second);
    BOOST_TEST(a.loss == c.loss);
    BOOST_TEST(a.gradients == c.gradients, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(several_threads_match_one) {
    const samples data = make_samples(2);
    auto reference_net = make_graph(1, data);
    const step_result reference = forward_backward(reference_net);
    BOOST_TEST_REQUIRE(std::isfinite(reference.loss));
    for (std::size_t threads : {2u, 3u}) {
        BOOST_TEST_CONTEXT("threads " << threads) {
            auto net = make_graph(threads, data);
            BOOST_TEST(net.threads() == threads);
            const step_result r = forward_backward(net);
            BOOST_TEST(std::abs(r.loss - reference.loss) <= tolerance * std::abs(reference.loss));
            BOOST_TEST(relative_difference(reference.logits, r.logits) <= tolerance);
            BOOST_TEST(relative_difference(reference.gradients, r.gradients) <= tolerance);
            BOOST_TEST(relative_difference(reference.input_gradient, r.input_gradient) <= tolerance);
            // Each parameter block (weight, bias) on its own: the small ones are not hidden by the
            // large ones.
            tg::visit_dag(logits, [&]<class Layer>(const Layer& layer) {
                constexpr auto blocks = tg::tape::blocks_of<Layer>;
                if constexpr (blocks.size() > 0) {
                    std::size_t offset = std::size_t(net.parameters_of(layer).data() - net.parameters().data());
                    for (const tg::param_block& block : blocks) {
                        BOOST_TEST(relative_difference(std::span(reference.gradients).subspan(offset, block.size),
                                                       std::span(r.gradients).subspan(offset, block.size)) <= tolerance,
                                   Layer::op_type::kind << " " << block.name);
                        offset += block.size;
                    }
                }
            });
        }
    }
}

BOOST_AUTO_TEST_CASE(training_on_two_threads_follows_one) {
    std::vector<samples> batches;
    for (std::uint64_t seed = 10; seed < 15; ++seed) batches.push_back(make_samples(seed));
    auto one = make_graph(1, batches[0]);
    auto two = make_graph(2, batches[0]);
    tg::sgd<float> opt_one{{.learning_rate = 0.05, .momentum = 0.9}}, opt_two{{.learning_rate = 0.05, .momentum = 0.9}};
    for (std::size_t step = 0; step < batches.size(); ++step) {
        for (auto* net : {&one, &two}) {
            net->bind(image, batches[step].pixels);
            net->bind(tg::labels<10>, batches[step].labels);
        }
        one.forward(batch);
        one.backward();
        tg::step(opt_one, one);
        two.forward(batch);
        two.backward();
        tg::step(opt_two, two);
        BOOST_TEST(std::abs(one.loss() - two.loss()) <= tolerance * std::abs(one.loss()), "step " << step);
        BOOST_TEST(relative_difference(one.parameters(), two.parameters()) <= tolerance, "step " << step);
    }
}

BOOST_AUTO_TEST_CASE(a_graph_with_threads_can_be_moved) {
    const samples data = make_samples(4);
    auto reference_net = make_graph(1, data);
    const step_result reference = forward_backward(reference_net);
    auto net = make_graph(2, data);
    auto moved = std::move(net);
    BOOST_TEST(moved.threads() == 2u);
    const step_result r = forward_backward(moved);
    BOOST_TEST(relative_difference(reference.gradients, r.gradients) <= tolerance);
}

BOOST_AUTO_TEST_CASE(zero_threads_is_refused) {
    auto net = tg::compile<float>(loss);
    BOOST_CHECK_EXCEPTION(net.set_threads(0), std::invalid_argument,
                          [](const std::invalid_argument& e) { return std::string(e.what()).find("set_threads(0)") != std::string::npos; });
    BOOST_TEST(net.threads() == 1u);
}
