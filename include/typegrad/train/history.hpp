#pragma once
// What fit() reports as it trains: a record per epoch (the history) and progress within an epoch.
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

namespace typegrad {

inline constexpr double not_measured = std::numeric_limits<double>::quiet_NaN();

// The Euclidean norms of one parameter tensor and of its gradient (train/parameter_norms.hpp).
struct tensor_norms {
    std::string name;  // as in graph::parameter_tensors(), e.g. "0.weight"
    double parameter_norm, gradient_norm;
};

struct epoch_report {
    std::size_t epoch = 0;  // from 1
    double loss = 0;        // batch losses weighted by batch size: the per-sample mean for a mean-reduced loss
    double accuracy = not_measured;  // on the training batches as they were trained (dropout on), when fit knows the logits
    double validation_loss = not_measured;
    double validation_accuracy = not_measured;
    double learning_rate = not_measured;  // when the optimiser has one
    double seconds = 0;                   // training and validation of this epoch
    bool best = false;                    // lowest validation loss so far: these are the weights early stopping keeps
    std::size_t batches = 0;              // steps trained in this epoch
    // Per parameter tensor, in parameter order: the weight norm at the epoch's end and the mean over
    // the epoch's steps of the gradient norm, as backward() computed it (before any clipping).
    std::vector<tensor_norms> norms{};
    // fit() was stopped (fit_options::stop) in or right after this epoch and wrote a checkpoint to
    // resume from. Stopped within the epoch, the report covers only its first `batches` steps and has
    // no validation figures.
    bool interrupted = false;
};

// Progress within an epoch, after each step: running means over the batches done so far.
struct batch_report {
    std::size_t epoch = 0, batch = 0, batches = 0;  // batch from 1 of `batches`
    std::size_t samples = 0;                         // trained on in this epoch so far
    double loss = 0, accuracy = not_measured;
    double seconds = 0;  // since the epoch started
};

}  // namespace typegrad
