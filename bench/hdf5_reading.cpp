// Throughput of io::hdf5_reader on minibatches of a file of a few hundred MB: 64 consecutive samples
// at a random place (read_rows), and 64 random samples, sorted (read_sorted: a shuffled epoch's batch).
// Not one of the reference workloads; run it by hand:
//   build/bench/hdf5_reading [--file F --features images --targets fractions] [Google Benchmark flags]
// Without --file it writes its own file first (30,000 samples of 3 x 64 x 64 uint8 and 37 float32
// values, 371 MB, in the system's temporary directory, removed at the end), once with the writer's
// default chunks (one sample each, for these samples) and once with 16 samples per chunk. The file is read from the page cache after the
// first pass: this measures the reader, not the disk.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <typegrad/io/hdf5.hpp>
#include <typegrad/io/hdf5_writer.hpp>
#include <typegrad/kernels/random.hpp>

namespace io = typegrad::io;

namespace {

constexpr std::size_t batch = 64;

struct file_to_read {
    std::string path, features = "features", targets = "targets";
};

std::string write_file(const std::string& path, std::size_t count, std::size_t chunk_samples) {
    io::hdf5_writer_options o;
    o.feature_shape = {3, 64, 64};
    o.feature_type = io::hdf5_feature_type::uint8;
    o.target_values = 37;
    o.chunk_samples = chunk_samples;
    io::hdf5_writer w(path, o);
    typegrad::random_generator rng{1};
    std::vector<std::uint8_t> images(256 * 3 * 64 * 64);
    std::vector<float> values(256 * 37);
    for (std::size_t first = 0; first < count; first += 256) {
        const std::size_t n = std::min<std::size_t>(256, count - first);
        for (auto& b : images) b = static_cast<std::uint8_t>(rng.next());
        for (auto& v : values) v = static_cast<float>(rng.uniform());
        w.append(std::span<const std::uint8_t>(images.data(), n * 3 * 64 * 64), std::span<const float>(values.data(), n * 37));
    }
    w.close();
    return path;
}

void read_rows(benchmark::State& state, const file_to_read* file) {
    io::hdf5_reader_options o;
    o.features = file->features;
    o.targets = file->targets;
    io::hdf5_reader reader(file->path, o);
    std::vector<float> features(batch * reader.feature_size()), targets(batch * reader.target_size());
    typegrad::random_generator rng{2};
    for (auto _ : state) {
        reader.read_rows(rng.below(reader.size() - batch + 1), batch, features, targets);
        benchmark::DoNotOptimize(features.data());
    }
    state.SetItemsProcessed(std::int64_t(state.iterations() * batch));
    state.SetBytesProcessed(std::int64_t(state.iterations() * batch * reader.feature_size()));  // stored bytes of uint8 images
}

void read_sorted(benchmark::State& state, const file_to_read* file) {
    io::hdf5_reader_options o;
    o.features = file->features;
    o.targets = file->targets;
    io::hdf5_reader reader(file->path, o);
    std::vector<float> features(batch * reader.feature_size()), targets(batch * reader.target_size());
    // Batches of a shuffled epoch, each sorted, as a loader reads them.
    std::vector<std::size_t> order(reader.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    typegrad::random_generator rng{3};
    rng.shuffle(order.begin(), order.end());
    std::size_t next = 0;
    std::vector<std::size_t> indices(batch);
    for (auto _ : state) {
        if (next + batch > order.size()) next = 0;
        std::copy_n(order.begin() + std::ptrdiff_t(next), batch, indices.begin());
        std::sort(indices.begin(), indices.end());
        next += batch;
        reader.read_sorted(indices, features, targets);
        benchmark::DoNotOptimize(features.data());
    }
    state.SetItemsProcessed(std::int64_t(state.iterations() * batch));
    state.SetBytesProcessed(std::int64_t(state.iterations() * batch * reader.feature_size()));
}

}  // namespace

int main(int argc, char** argv) {
    file_to_read given;
    std::vector<char*> rest{argv[0]};
    for (int i = 1; i < argc; ++i) {
        const auto value = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
        if (!std::strcmp(argv[i], "--file")) given.path = value();
        else if (!std::strcmp(argv[i], "--features")) given.features = value();
        else if (!std::strcmp(argv[i], "--targets")) given.targets = value();
        else rest.push_back(argv[i]);
    }
    int rest_count = static_cast<int>(rest.size());
    benchmark::Initialize(&rest_count, rest.data());

    std::vector<file_to_read> files;
    std::vector<std::string> names;
    std::vector<std::string> written;
    if (!given.path.empty()) {
        files.push_back(given);
        names.push_back(std::filesystem::path(given.path).filename().string());
    } else {
        const auto base = (std::filesystem::temp_directory_path() / ("typegrad-hdf5-bench-" + std::to_string(::getpid()))).string();
        std::printf("writing two files of 30000 samples (3 x 64 x 64 uint8, 37 float32) in %s ...\n", std::filesystem::temp_directory_path().c_str());
        written.push_back(write_file(base + "-default.h5", 30000, 0));
        written.push_back(write_file(base + "-16.h5", 30000, 16));
        files.push_back({written[0]});
        files.push_back({written[1]});
        names = {"default_chunks", "16_samples_per_chunk"};
    }
    for (std::size_t i = 0; i < files.size(); ++i) {
        benchmark::RegisterBenchmark(("read_rows/" + names[i]).c_str(), read_rows, &files[i])->Unit(benchmark::kMicrosecond);
        benchmark::RegisterBenchmark(("read_sorted/" + names[i]).c_str(), read_sorted, &files[i])->Unit(benchmark::kMicrosecond);
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    for (const auto& path : written) std::filesystem::remove(path);
    return 0;
}
