#pragma once
// typegrad's implementation of the workloads (bench/typegrad_runner.cpp).
#include "workload_runner.hpp"

namespace bench {

// typegrad's own threads split each batch (graph::set_threads); OpenBLAS stays on one thread.
std::unique_ptr<workload_runner> make_typegrad_runner(workload w, std::size_t threads);

}  // namespace bench
