#include <typegrad/train/stop_signals.hpp>

#include <csignal>
#include <cstring>
#include <mutex>

namespace typegrad {

namespace {

// A handler may only touch lock-free atomics (std::atomic<bool> is, on every target typegrad builds
// for) and volatile sig_atomic_t.
std::atomic<bool> stop_requested{false};
volatile std::sig_atomic_t received = 0;

extern "C" void request_stop(int signal) {
    received = signal;
    stop_requested.store(true);
}

}  // namespace

const std::atomic<bool>& stop_on_signals() {
    static std::once_flag installed;
    std::call_once(installed, [] {
        struct sigaction action;
        std::memset(&action, 0, sizeof action);
        action.sa_handler = request_stop;
        action.sa_flags = SA_RESETHAND;  // a second signal is not caught
        sigemptyset(&action.sa_mask);
        sigaction(SIGINT, &action, nullptr);
        sigaction(SIGTERM, &action, nullptr);
    });
    return stop_requested;
}

int stop_signal() { return received; }

void detail::note_stop_signal(int signal) {
    if (received == 0) received = signal;
}

}  // namespace typegrad
