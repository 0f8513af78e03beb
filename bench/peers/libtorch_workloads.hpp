#pragma once
// The libtorch (PyTorch 1.13 C++ API) implementation of the workloads (libtorch_workloads.cpp).
#include "../workload_runner.hpp"

namespace bench {

// torch::set_num_threads(threads) (OpenMP, oneDNN) and OpenBLAS on `threads` threads.
std::unique_ptr<workload_runner> make_libtorch_runner(workload w, std::size_t threads);

}  // namespace bench
