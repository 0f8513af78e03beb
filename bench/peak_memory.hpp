#pragma once
// Peak resident memory of a workload's training in this process (workloads --peak-memory).
#include <cstddef>
#include <string>

#include "workload_runner.hpp"

namespace bench {

// The process's peak resident set so far (getrusage ru_maxrss), in KiB.
long peak_resident_kib();

// Builds the runner on one thread, runs `steps` steps and prints one JSON line: the process's peak
// resident memory, and its peak before the runner was built (`baseline_kib`, taken at the start of
// main: the program with every implementation's libraries loaded, which all runs share).
void report_peak_memory(const std::string& name, runner_factory make, workload w, std::size_t steps, long baseline_kib);

}  // namespace bench
