#pragma once
// How far an implementation's steps are from typegrad's, taken from the same weights and data.
#include <string>
#include <vector>

#include "workload_runner.hpp"

namespace bench {

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
