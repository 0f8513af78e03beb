#pragma once
// What fit() reports as it trains: a record per epoch (the history) and progress within an epoch.
#include <cstddef>
#include <limits>

namespace typegrad {

inline constexpr double not_measured = std::numeric_limits<double>::quiet_NaN();

struct epoch_report {
    std::size_t epoch = 0;  // from 1
    double loss = 0;        // batch losses weighted by batch size: the per-sample mean for a mean-reduced loss
    double accuracy = not_measured;  // on the training batches as they were trained (dropout on), when fit knows the logits
    double validation_loss = not_measured;
    double validation_accuracy = not_measured;
    double learning_rate = not_measured;  // when the optimiser has one
    double seconds = 0;                   // training and validation of this epoch
    bool best = false;                    // lowest validation loss so far: these are the weights early stopping keeps
};

// Progress within an epoch, after each step: running means over the batches done so far.
struct batch_report {
    std::size_t epoch = 0, batch = 0, batches = 0;  // batch from 1 of `batches`
    std::size_t samples = 0;                         // trained on in this epoch so far
    double loss = 0, accuracy = not_measured;
    double seconds = 0;  // since the epoch started
};

}  // namespace typegrad
