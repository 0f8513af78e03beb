#include "peak_memory.hpp"

#include <sys/resource.h>

#include <cstdio>

namespace bench {

long peak_resident_kib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;  // KiB on Linux
}

void report_peak_memory(const std::string& name, runner_factory make, workload w, std::size_t steps, long baseline_kib) {
    auto runner = make(w, 1);
    for (std::size_t i = 0; i < steps; ++i) runner->step();
    std::printf("{\"name\": \"%s\", \"threads\": 1, \"steps\": %zu, \"peak_rss_kib\": %ld, \"baseline_rss_kib\": %ld}\n", name.c_str(), steps,
                peak_resident_kib(), baseline_kib);
}

}  // namespace bench
