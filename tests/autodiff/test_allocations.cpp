// A training step (forward, loss, backward, optimiser update) allocates nothing once the graph's
// arena is planned: the global operator new is replaced by a counting one.
#define BOOST_TEST_MODULE allocations
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cstdlib>
#include <new>

#include <typegrad/typegrad.hpp>

namespace {
std::atomic<std::size_t> allocations{0};
}

// g++ cannot see that the replaced operator new below is the malloc it is paired with.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(std::size_t size) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size ? size : 1)) return p;
    throw std::bad_alloc{};
}
void* operator new[](std::size_t size) { return ::operator new(size); }
// The nothrow forms too (std::stable_sort's temporary buffer uses them): all pair with the deletes below.
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    allocations.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(size ? size : 1);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept { return ::operator new(size, tag); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace tg = typegrad;

namespace {

// A graph with every kind of node a step touches: dense, activations, a skip connection, a reused
// value, concatenation, softmax cross-entropy with class weights, and a weight penalty.
auto make_loss() {
    const auto x = tg::named_input<"x", 32>;
    const auto h = tg::relu(tg::dense<64>(x));
    const auto skip = tg::tanh(tg::dense<64>(h) + h);
    const auto y = tg::dense<10>(tg::concat(skip, tg::sigmoid(tg::dense<16>(x))));
    return tg::cross_entropy(y, tg::labels<10>, {.class_weights = {1, 2, 1, 1, 1, 1, 1, 1, 1, 3}}) + 1e-3 * tg::l2_penalty(tg::weights_of(y));
}

tg::dataset<float, std::int32_t> make_data(std::size_t n) {
    tg::random_generator rng{5};
    tg::dataset<float, std::int32_t> data{32, 1, std::vector<float>(n * 32), std::vector<std::int32_t>(n)};
    for (auto& v : data.features) v = float(rng.normal());
    for (auto& l : data.targets) l = std::int32_t(rng.below(10));
    return data;
}

}  // namespace

BOOST_AUTO_TEST_CASE(training_steps_allocate_nothing_after_the_first) {
    const auto data = make_data(200);  // 200 = 3 batches of 64 and a partial batch of 8
    auto net = tg::compile<float>(make_loss());
    tg::sgd<float> opt{{.learning_rate = 0.05, .momentum = 0.9, .nesterov = true}};
    tg::minibatches<tg::dataset<float, std::int32_t>> batches{data, 64, 7};
    auto train_epoch = [&] {
        batches.start_epoch();
        while (batches.next()) {
            net.bind(tg::named_input<"x", 32>, batches.features());
            net.bind(tg::labels<10>, batches.targets());
            net.forward(batches.size());
            net.backward();
            tg::step(opt, net);
        }
    };
    train_epoch();  // plans the arena, creates the optimiser's state
    const std::size_t before = allocations.load();
    for (int epoch = 0; epoch < 5; ++epoch) train_epoch();  // includes partial batches
    BOOST_TEST(allocations.load() - before == 0u);
    BOOST_TEST(std::isfinite(net.loss()));
}

// The counter works: growing past the planned batch must allocate (the arena is re-planned).
BOOST_AUTO_TEST_CASE(the_counter_sees_a_replanned_arena) {
    const auto data = make_data(128);
    auto net = tg::compile<float>(make_loss());
    net.bind(tg::named_input<"x", 32>, data.features_of(0, 64));
    net.bind(tg::labels<10>, data.targets_of(0, 64));
    net.forward(64);
    const std::size_t before = allocations.load();
    net.bind(tg::named_input<"x", 32>, data.features_of(0, 128));
    net.bind(tg::labels<10>, data.targets_of(0, 128));
    net.forward(128);
    BOOST_TEST(allocations.load() - before > 0u);
    BOOST_TEST(net.capacity() == 128u);
}

// On two threads too: the pool's workers are started by set_threads, and each step only hands
// them work. (At these sizes the convolution, relu and pooling are split between the threads.)
BOOST_AUTO_TEST_CASE(training_steps_on_two_threads_allocate_nothing_after_the_first) {
    const auto image = tg::named_input<"image", 1, 28, 28>;
    const auto logits = image | tg::conv2d<8, 3> | tg::relu | tg::max_pool<2> | tg::flatten | tg::dense<10>;
    auto net = tg::compile<float>(tg::cross_entropy(logits, tg::labels<10>));
    net.set_threads(2);
    tg::random_generator rng{6};
    std::vector<float> pixels(32 * 28 * 28);
    for (auto& p : pixels) p = float(rng.normal());
    std::vector<std::int32_t> labels(32);
    for (auto& l : labels) l = std::int32_t(rng.below(10));
    net.bind(image, pixels);
    net.bind(tg::labels<10>, labels);
    tg::sgd<float> opt{{.learning_rate = 0.01}};
    auto train_step = [&] {
        net.forward(32);
        net.backward();
        tg::step(opt, net);
    };
    train_step();
    const std::size_t before = allocations.load();
    for (int i = 0; i < 10; ++i) train_step();
    BOOST_TEST(allocations.load() - before == 0u);
    BOOST_TEST(std::isfinite(net.loss()));
}
