// Lecture example: regression from a CSV file, with standardised features.
//
// The example first writes its own measurements: the pressure of an ideal gas, p = n R T / V, for
// random amounts n (mol), temperatures T (K) and volumes V (L), with Gaussian noise of 5 kPa on p.
// It reads the file back with tg::io::read_csv, choosing the column "p_kPa" as the target, and splits
// off a test set and then a validation set (seeded). The features span very different scales
// (n about 1, T about 300, V about 20), so each is standardised to mean 0 and standard deviation 1
// with the mean and standard deviation of the training split only: statistics taken from the
// validation or test samples would leak them into training. The target is standardised the same
// way, and predictions are scaled back to kPa. An MLP 3 -> 32 tanh -> 32 tanh -> 1 is trained with
// the mean squared error (L2 loss) by Adam, keeping the weights of the best validation epoch. The
// test RMSE cannot fall below the noise (5 kPa) and should come close to it; the example fails if it
// exceeds 1.3 times the noise.
//
// Usage: csv_regression [FILE]  (FILE: where to write the measurements, and keep them; by default a file in
// the temporary directory, removed after reading)
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <typegrad/io/csv.hpp>
#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

namespace {

constexpr double gas_constant = 8.314;  // J / (mol K); J / L = kPa, so p [kPa] = n R T / V [L]
constexpr double noise_kpa = 5.0;

void write_measurements(const std::filesystem::path& path, std::size_t rows, std::uint64_t seed) {
    tg::random_generator rng{seed};
    std::ofstream out(path);
    out << "n_mol,T_K,V_L,p_kPa\n";  // the target is a column like the others; read_csv picks it by name
    for (std::size_t i = 0; i < rows; ++i) {
        const double n = rng.uniform(0.5, 2.0), t = rng.uniform(250.0, 400.0), v = rng.uniform(10.0, 30.0);
        const double p = n * gas_constant * t / v + rng.normal(0.0, noise_kpa);
        out << n << ',' << t << ',' << v << ',' << p << '\n';
    }
    if (!out) throw tg::io::io_error(path.string() + ": cannot write the measurements");
}

// Mean and standard deviation of each of `width` interleaved columns.
struct column_statistics {
    std::vector<double> mean, deviation;
};

column_statistics statistics_of(const std::vector<float>& values, std::size_t width) {
    const std::size_t rows = values.size() / width;
    column_statistics s{std::vector<double>(width, 0.0), std::vector<double>(width, 0.0)};
    for (std::size_t i = 0; i < values.size(); ++i) s.mean[i % width] += values[i];
    for (auto& m : s.mean) m /= double(rows);
    for (std::size_t i = 0; i < values.size(); ++i) s.deviation[i % width] += std::pow(values[i] - s.mean[i % width], 2);
    for (auto& d : s.deviation) d = std::sqrt(d / double(rows));
    return s;
}

void standardise(std::vector<float>& values, const column_statistics& s) {
    const std::size_t width = s.mean.size();
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = float((values[i] - s.mean[i % width]) / s.deviation[i % width]);
}

}  // namespace

int main(int argc, char** argv) {
    const bool own_file = argc < 2;
    const std::filesystem::path path =
        own_file ? std::filesystem::temp_directory_path() / ("typegrad-ideal-gas-" + std::to_string(::getpid()) + ".csv") : std::filesystem::path(argv[1]);
    try {
        write_measurements(path, 2000, 42);
        const tg::io::csv_table table = tg::io::read_csv(path, "p_kPa");
        if (own_file) std::filesystem::remove(path);
        std::printf("%s: %zu rows; features", path.c_str(), table.rows());
        for (const auto& name : table.feature_names) std::printf(" %s", name.c_str());
        std::printf("; target %s (p = n R T / V + N(0, %.0f^2) kPa)\n", table.target_name.c_str(), noise_kpa);

        // ---- train / validation / test, then statistics of the training split only ----
        auto [rest, test] = tg::split_validation(table.data, 0.2, 1);
        auto [train, validation] = tg::split_validation(rest, 0.2, 2);
        const column_statistics features = statistics_of(train.features, train.feature_size);
        const column_statistics target = statistics_of(train.targets, 1);
        for (auto* part : {&train, &validation, &test}) {
            standardise(part->features, features);
            standardise(part->targets, target);
        }
        std::printf("split: %zu training, %zu validation, %zu test rows\n", train.size(), validation.size(), test.size());
        for (std::size_t c = 0; c < features.mean.size(); ++c)
            std::printf("  %-6s mean %8.3f  sd %7.3f (training split)\n", table.feature_names[c].c_str(), features.mean[c], features.deviation[c]);

        // ---- the model: an MLP with the L2 loss ----
        const auto x = tg::input<3>;
        auto prediction = x | tg::dense<32> | tg::tanh | tg::dense<32> | tg::tanh | tg::dense<1>;
        auto loss = tg::mse_loss(prediction, tg::target<1>);
        auto net = tg::compile<float>(loss, prediction);
        net.initialize(7);
        tg::adam<float> optimiser{{.learning_rate = 3e-3}};
        constexpr std::size_t epochs = 150;
        const auto rmse_kpa = [&](double mse) { return std::sqrt(mse) * target.deviation[0]; };
        const auto report = [&](const tg::epoch_report& r) {
            if (r.epoch == 1 || r.epoch % 25 == 0)
                std::printf("epoch %3zu  training RMSE %6.2f kPa  validation RMSE %6.2f kPa\n", r.epoch, rmse_kpa(r.loss), rmse_kpa(r.validation_loss));
        };
        tg::fit(net, optimiser, tg::with_validation(train, validation), x, tg::target<1>,
                {.epochs = epochs, .batch_size = 32, .seed = 3, .learning_rate_factor = tg::cosine_schedule{epochs, 0.05}, .on_epoch = report});

        // ---- held-out error against the noise, and against always predicting the mean ----
        const double validation_rmse = rmse_kpa(tg::evaluate(net, validation, x, tg::target<1>, {.batch_size = 256}).loss);
        const double test_rmse = rmse_kpa(tg::evaluate(net, test, x, tg::target<1>, {.batch_size = 256}).loss);
        std::printf("validation RMSE %.2f kPa, test RMSE %.2f kPa; the noise is %.2f kPa, predicting the mean gives %.2f kPa\n", validation_rmse,
                    test_rmse, noise_kpa, target.deviation[0]);
        if (!(test_rmse <= 1.3 * noise_kpa)) {
            std::printf("FAILED: the test RMSE %.2f kPa exceeds 1.3 times the noise (%.2f kPa)\n", test_rmse, 1.3 * noise_kpa);
            return 1;
        }
        std::printf("OK: the test RMSE is within 1.3 times the noise\n");
        return 0;
    } catch (const std::exception& e) {
        if (own_file) std::filesystem::remove(path);
        std::fprintf(stderr, "csv_regression: %s\n", e.what());
        return 1;
    }
}
