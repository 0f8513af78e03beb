#pragma once
// Training progress for a human: on a terminal, a live line per epoch (batch, loss, accuracy,
// images/s, time left) redrawn a few times a second; elsewhere (a log file, CI), one plain line per
// epoch, so that logs stay readable.
#include <chrono>
#include <cstddef>
#include <cstdio>

#include <typegrad/train/history.hpp>

namespace typegrad::report {

class progress_bar {
public:
    // `live`: redraw within the epoch; by default when `out` is a terminal.
    progress_bar(std::size_t epochs, std::FILE* out = stdout);
    progress_bar(std::size_t epochs, std::FILE* out, bool live);

    void update(const batch_report& progress);
    void finish_epoch(const epoch_report& epoch);

private:
    std::size_t epochs_;
    std::FILE* out_;
    bool live_;
    double seconds_per_epoch_ = 0;  // mean of the epochs done, for the time left
    std::size_t epochs_done_ = 0;
    std::chrono::steady_clock::time_point last_drawn_{};
};

}  // namespace typegrad::report
