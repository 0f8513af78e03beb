#pragma once
// The dlib (19.24 DNN toolkit) implementation of the workloads (dlib_workloads.cpp).
#include "../workload_runner.hpp"

namespace bench {

// dlib's CPU layers have no threads of their own; their matrix products go to OpenBLAS (through
// libblas.so.3), which runs on `threads` threads. W1-W4 only: W5 is not implemented for dlib.
std::unique_ptr<workload_runner> make_dlib_runner(workload w, std::size_t threads);

}  // namespace bench
