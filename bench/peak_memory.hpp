#pragma once
// Peak resident memory of a workload's training in this process (bench/peak_memory_main.cpp).
#include <cstddef>
#include <string>

#include "workload_runner.hpp"

namespace bench {

// The process's peak resident set so far (getrusage ru_maxrss), in KiB.
long peak_resident_kib();

// Builds the runner on one thread, runs `steps` steps and prints one JSON line: the process's peak
// resident memory, and its peak before the runner was built (`baseline_kib`, taken at the start of
// main: the program with its libraries loaded).
void report_peak_memory(const std::string& name, runner_factory make, workload w, std::size_t steps, long baseline_kib);

}  // namespace bench
