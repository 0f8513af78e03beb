#pragma once
// How far an implementation's steps are from typegrad's, taken from the same weights and data.
#include <string>
#include <vector>

#include "workload_runner.hpp"

namespace bench {

// The largest relative difference from typegrad's first two steps at which an implementation is still
// timed (bench/workloads, and bench/peers/pytorch_workloads.py through the exported setups).
constexpr double agreement_tolerance = 1e-4;

// The records of a runner's first two steps, as compared with typegrad's. W5 keeps only the loss of
// its second step (the loss after one Adam update): its real images give max-pooling windows whose
// two largest values differ by a few roundings (3e-7 relative, in one window of the second batch),
// so the winner, and where that window's gradient goes, depends on the implementation's rounding:
// there typegrad (float) picks one value, libtorch and typegrad in double the other, and the second
// step's convolution gradients then differ by up to 3e-3 of their largest entry.
std::vector<step_record> first_two_steps(workload_runner& runner, workload w);

struct agreement {
    double largest_relative_difference = 0;
    std::string where;    // the quantity that differs most: "loss of step 1", "gradient of 3.weight in step 2", ...
    std::string problem;  // set if the steps cannot be compared at all (a tensor missing, another shape)
};

// Compares step by step: the losses, and every tensor (gradients; W4: the output). A loss differs by
// |a - b| / |b|; a tensor by max |a_i - b_i| / max |b_i|, relative to its largest entry, since an
// entrywise relative difference means nothing for the many entries near zero.
agreement compare_steps(const std::vector<step_record>& reference, const std::vector<step_record>& other);

}  // namespace bench
