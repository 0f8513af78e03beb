// Checks a file written by galaxy_generate through typegrad's HDF5 reader: the shapes the W6 network
// expects, the count, value ranges, the decision tree's sum rules for every galaxy, and that the vote
// fractions follow the morphologies (smooth for ellipticals, star for stars, odd for mergers, ...).
//   galaxy_check galaxies.h5 [expected count]
// Prints a summary; exits with status 1 and the failed checks otherwise.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <typegrad/io/hdf5.hpp>

#include "synthetic_galaxies.hpp"

namespace gz = galaxy_zoo;

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: galaxy_check FILE [EXPECTED_COUNT]\n");
        return 2;
    }
    std::vector<std::string> failures;
    const auto require = [&](bool ok, const std::string& what) {
        if (!ok) failures.push_back(what);
    };
    try {
        typegrad::io::hdf5_reader_options read;
        read.features = "images";
        read.targets = "fractions";
        typegrad::io::hdf5_reader images(argv[1], read);
        read.targets = "labels";
        read.classes = gz::morphology_count;
        typegrad::io::hdf5_reader labels(argv[1], read);
        images.check_feature_shape(typegrad::shape<3, 64, 64>{});
        images.check_target_shape(typegrad::shape<37>{});
        const std::size_t n = images.size();
        if (argc > 2) require(n == std::stoul(argv[2]), "the file holds " + std::to_string(n) + " galaxies, expected " + argv[2]);

        constexpr std::size_t batch = 256, area = gz::side * gz::side;
        std::vector<float> pixels(batch * gz::image_size), fractions(batch * gz::answer_count);
        std::vector<std::int32_t> kinds(batch);
        std::array<std::size_t, gz::morphology_count> count{};
        std::array<std::array<double, gz::answer_count>, gz::morphology_count> mean{};
        double worst_sum_rule = 0, centre = 0, edge = 0;
        float lowest = 1, highest = 0, lowest_fraction = 1, highest_fraction = 0;
        for (std::size_t first = 0; first < n; first += batch) {
            const std::size_t m = std::min(batch, n - first);
            images.read_rows(first, m, pixels, fractions);
            labels.read_rows(first, m, std::span<float>{}, kinds);
            for (std::size_t i = 0; i < m; ++i) {
                const float* image = pixels.data() + i * gz::image_size;
                const float* f = fractions.data() + i * gz::answer_count;
                for (std::size_t k = 0; k < gz::image_size; ++k) {
                    lowest = std::min(lowest, image[k]);
                    highest = std::max(highest, image[k]);
                    require(std::isfinite(image[k]), "galaxy " + std::to_string(first + i) + ": a pixel is not finite");
                }
                for (std::size_t b = 0; b < gz::bands; ++b) {  // the central 8 x 8 against the outer rows
                    for (std::size_t y = 28; y < 36; ++y)
                        for (std::size_t x = 28; x < 36; ++x) centre += image[b * area + y * gz::side + x] / 64.0;
                    for (std::size_t x = 0; x < gz::side; ++x) edge += (image[b * area + x] + image[b * area + 63 * gz::side + x]) / 128.0;
                }
                for (std::size_t a = 0; a < gz::answer_count; ++a) {
                    lowest_fraction = std::min(lowest_fraction, f[a]);
                    highest_fraction = std::max(highest_fraction, f[a]);
                    mean[std::size_t(kinds[i])][a] += f[a];
                }
                worst_sum_rule = std::max(worst_sum_rule, gz::sum_rule_violation(std::span<const float, gz::answer_count>(f, gz::answer_count)));
                ++count[std::size_t(kinds[i])];
            }
        }
        for (std::size_t t = 0; t < gz::morphology_count; ++t)
            for (auto& m : mean[t]) m /= double(std::max<std::size_t>(count[t], 1));
        std::printf("%s: %zu galaxies of shape (3, 64, 64) with 37 fractions; pixels in [%.3f, %.3f], fractions in [%.3f, %.3f]; "
                    "largest sum-rule error %.2g; mean pixel in the centre %.3f, on the edges %.3f\n",
                    argv[1], n, double(lowest), double(highest), double(lowest_fraction), double(highest_fraction), worst_sum_rule,
                    centre / double(3 * n), edge / double(3 * n));
        std::printf("%-14s %6s %8s %8s %8s %8s %8s %8s\n", "morphology", "count", "smooth", "features", "star", "edge-on", "spiral", "odd");
        for (std::size_t t = 0; t < gz::morphology_count; ++t)
            std::printf("%-14s %6zu %8.3f %8.3f %8.3f %8.3f %8.3f %8.3f\n", std::string(gz::name_of(gz::morphology(t))).c_str(), count[t], mean[t][0],
                        mean[t][1], mean[t][2], mean[t][3], mean[t][7], mean[t][13]);

        require(n > 0, "the file is empty");
        require(lowest >= 0 && highest <= 1, "pixels outside [0, 1]");
        require(highest > 0.5, "no pixel above 0.5: the images are nearly black");
        require(lowest_fraction >= 0 && highest_fraction <= 1, "fractions outside [0, 1]");
        require(worst_sum_rule < 1e-5, "a question's answers do not sum to the fraction that reached it");
        require(centre > 2 * edge, "the centres are not brighter than the edges: no galaxy in the middle");
        for (std::size_t t = 0; t < gz::morphology_count; ++t)
            require(n < 100 || count[t] > 0, "no " + std::string(gz::name_of(gz::morphology(t))) + " among " + std::to_string(n) + " galaxies");
        const auto& e = mean[0];
        const auto& s = mean[1];
        const auto& d = mean[2];
        const auto& m = mean[3];
        const auto& a = mean[4];
        if (n >= 100) {
            require(e[0] > 0.6, "ellipticals are not voted smooth");
            require(e[0] > s[0] + 0.2, "spirals are voted as smooth as ellipticals");
            require(s[7] > 0.25, "spirals get few spiral-arm votes");
            require(d[3] > 0.5 * d[1] && d[3] > 0.3, "edge-on discs are not voted edge-on");
            require(m[13] > 0.5, "mergers are not voted odd");
            require(m[23] > 0.2, "mergers are not voted mergers among the odd features");
            require(a[2] > 0.5, "stars and artefacts are not voted star/artefact");
        }
    } catch (const std::exception& error) {
        std::fprintf(stderr, "galaxy_check: %s\n", error.what());
        return 1;
    }
    for (const auto& f : failures) std::fprintf(stderr, "galaxy_check: FAILED: %s\n", f.c_str());
    return failures.empty() ? 0 : 1;
}
