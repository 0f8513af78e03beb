#pragma once
// One implementation of one workload, ready to run: network built, starting weights and data in
// place, threads set. The harness checks two steps against typegrad's before it times step().
// Plain C++17 (see workload.hpp).
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <vector>

#include "workload.hpp"

namespace bench {

// What one step computed, in PyTorch names and layouts so that implementations can be compared.
struct step_record {
    double loss = 0;                      // the step's loss (W4, inference: 0)
    std::vector<named_tensor> tensors;    // the loss's gradients per parameter (W4: the output, "output")
};

class workload_runner {
public:
    virtual ~workload_runner() = default;
    // One training step from the current weights on the next batch (batch_order): forward, loss,
    // backward, update (W1-W3: SGD lr 0.01; W5: Adam lr 1e-3). W4: one forward pass of a single sample.
    virtual void step() = 0;
    // The record of the last step(); reading it may be slow (it copies), it is not timed.
    virtual step_record last_step() = 0;
    // W5: the fraction of the test images that the current weights classify right. Not timed.
    virtual double test_accuracy() { throw std::logic_error("this workload has no test set"); }
};

// Builds an implementation's runner for a workload on `threads` threads. Thread settings are
// process-wide (OpenBLAS, OpenMP), so a runner's constructor sets them, and the runner built last
// decides them.
using runner_factory = std::unique_ptr<workload_runner> (*)(workload w, std::size_t threads);

}  // namespace bench
