// tg::stop_on_signals(): a real SIGTERM during fit() stops it after the current step, with the
// history marked interrupted; the handler is then reset, so a second signal would end the process.
#define BOOST_TEST_MODULE stop_signals
#include <boost/test/unit_test.hpp>

#include <csignal>

#include <typegrad/train/stop_signals.hpp>
#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

BOOST_AUTO_TEST_CASE(a_signal_during_fit_stops_it_after_the_step) {
    const std::atomic<bool>& stop = tg::stop_on_signals();
    BOOST_TEST(!stop.load());
    BOOST_TEST(tg::stop_signal() == 0);

    tg::dataset<float, float> data{1, 1, {}, {}};
    for (int i = 0; i < 64; ++i) {
        data.features.push_back(float(i) / 64);
        data.targets.push_back(2 * float(i) / 64);
    }
    auto net = tg::compile<float>(tg::mse_loss(tg::input<1> | tg::dense<1>, tg::target<1>));
    tg::sgd<float> opt{{.learning_rate = 0.1}};
    const auto history = tg::fit(net, opt, data, tg::input<1>, tg::target<1>,
                                 {.epochs = 5, .batch_size = 8, .on_batch = [](const tg::batch_report& b) {
                                      if (b.epoch == 2 && b.batch == 3) std::raise(SIGTERM);
                                  },
                                  .stop = &stop});
    BOOST_TEST(stop.load());
    BOOST_TEST(tg::stop_signal() == SIGTERM);
    BOOST_REQUIRE_EQUAL(history.size(), 2u);
    BOOST_TEST(history[1].interrupted);
    BOOST_TEST(history[1].batches == 3u);
    BOOST_TEST(opt.steps() == 8u + 3u);
    struct sigaction now{};
    sigaction(SIGTERM, nullptr, &now);
    BOOST_TEST((now.sa_handler == SIG_DFL));  // SA_RESETHAND: a second SIGTERM is not caught
}
