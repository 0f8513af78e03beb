#pragma once
// Stopping a training run cleanly on Ctrl-C (SIGINT) or SIGTERM: the handler only sets a flag
// (async-signal-safe), which fit() reads after each step (fit_options::stop) to write a checkpoint
// and return. The handlers are installed once, with SA_RESETHAND: a second signal ends the process
// the usual way, for a run that does not stop soon enough.
#include <atomic>

namespace typegrad {

// Installs the handlers (the first call only) and returns the flag they set.
const std::atomic<bool>& stop_on_signals();

// The signal that set the flag (SIGINT, SIGTERM), or 0. Data-parallel, a rank that stopped because
// another rank was signalled has that rank's signal here (fit() tells it), so that every rank ends alike.
int stop_signal();

namespace detail {
// Records the signal another rank was stopped by, unless this process received one itself.
void note_stop_signal(int signal);
}  // namespace detail

}  // namespace typegrad
