// Writes a synthetic Galaxy Zoo-like data set to an HDF5 file (see synthetic_galaxies.hpp), and on
// request a picture of its first galaxies with their morphology and Q1 fractions:
//   galaxy_generate --count 40000 --seed 1 --out galaxies.h5 --png galaxies.png
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include <typegrad/io/hdf5.hpp>

#include "synthetic_galaxies.hpp"

namespace gz = galaxy_zoo;

int main(int argc, char** argv) {
    gz::file_options options;
    std::string out = "galaxies.h5", png;
    std::size_t pictured = 32;
    bool quiet = false;
    CLI::App app{"Write synthetic Galaxy Zoo-like galaxies (3 x 64 x 64 images, 37 vote fractions, a morphology label) to an HDF5 file"};
    app.add_option("--count", options.count, "number of galaxies")->check(CLI::Range(std::size_t{1}, std::size_t{1} << 32))->capture_default_str();
    app.add_option("--seed", options.seed, "seed of the set: galaxy i depends only on the seed and i")->capture_default_str();
    app.add_option("--out", out, "HDF5 file to write (replaced if it exists)")->capture_default_str();
    app.add_flag("--float", options.float_images, "store float32 images (48 KiB each) rather than uint8 (12 KiB each)");
    app.add_option("--gzip", options.gzip_level, "gzip level of the stored chunks, 0 (none) to 9")->check(CLI::Range(0, 9))->capture_default_str();
    app.add_option("--batch", options.batch, "galaxies generated, then written, at a time (the memory used)")
        ->check(CLI::Range(std::size_t{1}, std::size_t{100000}))
        ->capture_default_str();
    app.add_option("--png", png, "also draw the first galaxies of the file, with their labels, in this PNG (gnuplot)");
    app.add_option("--png-count", pictured, "how many galaxies the picture shows")->check(CLI::Range(1, 200))->capture_default_str();
    app.add_flag("--quiet", quiet, "print only the summary line");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        return app.exit(error);
    }

    try {
        const auto start = std::chrono::steady_clock::now();
        std::size_t last_report = 0;
        const auto counts = gz::write_galaxy_file(out, options, [&](std::size_t done) {
            if (quiet || (done - last_report < 10000 && done != options.count)) return;
            last_report = done;
            std::printf("  %zu galaxies written\n", done);
            std::fflush(stdout);
        });
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const auto bytes = std::filesystem::file_size(out);
        std::printf("%s: %zu galaxies (", out.c_str(), options.count);
        for (std::size_t t = 0; t < gz::morphology_count; ++t)
            std::printf("%s%zu %s", t ? ", " : "", counts[t], std::string(gz::name_of(gz::morphology(t))).c_str());
        std::printf(") in %.2f s (%.0f galaxies/s), %.1f MB\n", seconds, double(options.count) / seconds, double(bytes) / 1e6);

        if (!png.empty()) {  // from the file, as a reader sees it
            typegrad::io::hdf5_reader_options read;
            read.features = "images";
            read.targets = "fractions";
            typegrad::io::hdf5_reader images(out, read);
            read.targets = "labels";
            read.classes = gz::morphology_count;
            typegrad::io::hdf5_reader labels(out, read);
            const std::size_t n = std::min(pictured, images.size());
            std::vector<float> pixels(n * gz::image_size), fractions(n * gz::answer_count);
            std::vector<std::int32_t> kinds(n);
            images.read_rows(0, n, pixels, fractions);
            labels.read_rows(0, n, std::span<float>{}, kinds);
            std::vector<std::string> captions;
            for (std::size_t i = 0; i < n; ++i)
                captions.push_back("#" + std::to_string(i) + " " +
                                   gz::caption_of(gz::morphology(kinds[i]), std::span<const float, gz::answer_count>(fractions.data() + i * gz::answer_count, gz::answer_count)));
            gz::plot_galaxies(pixels, captions, png, 8, "synthetic galaxies, seed " + std::to_string(options.seed) + " (bands g, r, i as blue, green, red)");
            std::printf("%s: the first %zu galaxies\n", png.c_str(), n);
        }
    } catch (const std::exception& error) {
        std::fprintf(stderr, "galaxy_generate: %s\n", error.what());
        return 1;
    }
    return 0;
}
