// A whole epoch streamed from an HDF5 file far larger than the batches: how long reading a shuffled
// epoch takes alone, how long a training epoch of the W6 network takes with reading on the training
// thread (--prefetch 0) and read ahead on a thread of its own, how long the training thread waited for
// data in each (minibatches::seconds_waiting: the reading time reading ahead did not hide), and the
// process's peak memory. Each pass starts with the file out of the page cache when the process may
// drop it (root: /proc/sys/vm/drop_caches), so reading is from the disk, as for a file larger than
// memory. Not a Google Benchmark: one pass is minutes, and the figure is a whole job's. Run by hand:
//   build/bench/streaming_epoch --file galaxies.h5 [--limit N] [--prefetch 4] [--batch 16] [--threads 2] [--json F]
// (a 2 GB file: galaxy_generate --count 170000 --out galaxies.h5).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <typegrad/typegrad.hpp>

#include "peak_memory.hpp"
#include "typegrad_networks.hpp"

namespace tg = typegrad;

namespace {

using bench::typegrad_networks::galaxy_fractions;
using bench::typegrad_networks::galaxy_image;

double peak_rss_mib() { return double(bench::peak_resident_kib()) / 1024.0; }

// True when the page cache could be emptied (the file is then read from the disk).
bool drop_page_cache() {
    ::sync();
    std::ofstream control{"/proc/sys/vm/drop_caches"};
    control << "1\n";
    control.flush();
    return bool(control);
}

double seconds_since(std::chrono::steady_clock::time_point start) { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); }

}  // namespace

int main(int argc, char** argv) {
    std::string file, json;
    std::size_t prefetch = 4, batch = 16, threads = 2, limit = 0;
    CLI::App app{"One epoch streamed from an HDF5 file: reading alone, training with and without reading ahead, peak memory"};
    app.add_option("--file", file, "HDF5 file of galaxies (galaxy_generate)")->required();
    app.add_option("--prefetch", prefetch, "batches read ahead in the second training epoch")->capture_default_str();
    app.add_option("--batch", batch, "images per batch")->capture_default_str();
    app.add_option("--threads", threads, "training threads")->capture_default_str();
    app.add_option("--limit", limit, "use the file's first N images (0: all)")->capture_default_str();
    app.add_option("--json", json, "also write the figures as JSON to this file");
    CLI11_PARSE(app, argc, argv);

    try {
        const tg::hdf5_dataset<float> whole{file, {.features = "images", .targets = "fractions"}};
        const auto data = limit ? whole.rows(0, std::min(limit, whole.size())) : whole;
        const double gigabytes = double(std::filesystem::file_size(file)) / 1e9;
        std::printf("%s: %.2f GB, %zu of its images; batch %zu, %zu threads\n", file.c_str(), gigabytes, data.size(), batch, threads);

        // Reading alone: the epoch's batches in the file's order, then shuffled as training reads them
        // (a new permutation, each batch's rows read in ascending runs).
        bool cold = true;
        const auto read_epoch = [&](bool shuffle) {
            cold = drop_page_cache() && cold;
            tg::minibatches reading{data, batch, 1, shuffle};
            const auto start = std::chrono::steady_clock::now();
            reading.start_epoch();
            double checksum = 0;
            while (reading.next()) checksum += double(reading.features()[0]);
            const double seconds = seconds_since(start);
            std::printf("reading alone, %s: %7.1f s  %7.0f images/s  %6.0f MB/s (checksum %.3f)\n", shuffle ? "shuffled" : "in order", seconds,
                        double(data.size()) / seconds, double(data.size() * data.feature_size) / 1e6 / seconds, checksum);
            return seconds;
        };
        const double sequential_seconds = read_epoch(false);
        const double read_seconds = read_epoch(true);

        auto net = bench::typegrad_networks::w6_graph();
        net.set_threads(threads);
        net.reserve(batch);
        struct pass {
            double seconds, waiting;
        };
        // One training epoch, written out as fit() runs it (bind, forward, backward, step).
        const auto epoch = [&](std::size_t depth) {
            net.initialize(1);
            tg::adam<float> opt{{.learning_rate = 2e-3}};
            tg::minibatches batches{data, batch, 1, true, depth};
            cold = drop_page_cache() && cold;
            const auto begin = std::chrono::steady_clock::now();
            batches.start_epoch();
            while (batches.next()) {
                net.bind(galaxy_image, batches.features());
                net.bind(galaxy_fractions, batches.targets());
                net.forward(batches.size());
                net.backward();
                tg::step(opt, net);
            }
            net.unbind_all();
            return pass{seconds_since(begin), batches.seconds_waiting()};
        };
        const pass off = epoch(0);
        std::printf("training, prefetch 0: %7.1f s  %7.0f images/s  waiting for data %6.2f s\n", off.seconds, double(data.size()) / off.seconds, off.waiting);
        const pass on = epoch(prefetch);
        std::printf("training, prefetch %zu: %7.1f s  %7.0f images/s  waiting for data %6.2f s\n", prefetch, on.seconds, double(data.size()) / on.seconds, on.waiting);
        const double hidden = 1 - on.waiting / off.waiting;
        std::printf("reading ahead hides %.1f %% of the reading time; page cache %s; peak memory %.0f MiB\n", 100.0 * hidden,
                    cold ? "dropped before each pass" : "not dropped (not root): reads may come from memory", peak_rss_mib());
        if (!json.empty())
            std::ofstream{json} << nlohmann::json{{"file", file},
                                                  {"gigabytes", gigabytes},
                                                  {"images", data.size()},
                                                  {"batch", batch},
                                                  {"threads", threads},
                                                  {"prefetch", prefetch},
                                                  {"cold_cache", cold},
                                                  {"read_seconds_in_order", sequential_seconds},
                                                  {"read_seconds", read_seconds},
                                                  {"train_seconds_prefetch_off", off.seconds},
                                                  {"train_seconds_prefetch_on", on.seconds},
                                                  {"waiting_seconds_prefetch_off", off.waiting},
                                                  {"waiting_seconds_prefetch_on", on.waiting},
                                                  {"hidden_fraction", hidden},
                                                  {"peak_rss_mib", peak_rss_mib()}}
                                       .dump(2)
                                << "\n";
    } catch (const std::exception& error) {
        std::fprintf(stderr, "streaming_epoch: %s\n", error.what());
        return 1;
    }
    return 0;
}
