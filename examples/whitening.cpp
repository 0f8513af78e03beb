// Lecture example: preprocessing and whitening.
//
// Gradient descent on a linear model's squared error is as slow as the features' covariance is badly
// conditioned: each step shrinks the error along an eigenvector of the loss's curvature by a factor
// (1 - step * curvature), and the largest step that stays stable is set by the largest curvature. So
// the epochs needed grow with the ratio of largest to smallest curvature, the condition number.
//
// The example measures it. Six sensors read three quantities in pairs, each pair twice with a small
// difference: x1 = T, x2 = T + 0.1 dT (kelvin), x3 = p, x4 = p + 0.1 dp (kPa), x5 = h, x6 = h + 0.1 dh
// (a fraction): strongly correlated features (0.995 within a pair) from a near-singular mixing of six
// latent variables, on very different scales. The target depends on the differences too,
// y = sum of (quantity + difference) in standard units + noise, so a model must find directions of
// little variance. The example writes the table to a CSV file (with a text column of run names) and
// reads it back with tg::io::read_csv, choosing the feature columns by name.
//
// A linear model, tg::input<6> | tg::dense<1> with the mean squared error, is trained by full-batch
// gradient descent with the step 1/L, L the largest curvature of its loss (computed here), on:
//   raw features           scales from 0.1 to 300 and correlations of 0.995;
//   standardised features  tg::standardizer: scales equal, correlations left;
//   PCA- and ZCA-whitened  tg::whitener after the standardizer: covariance the identity.
// Each run counts the epochs until its training loss is within 1 % of the least-squares loss (solved
// here from the normal equations). On whitened features the curvature is 2 I in every direction
// (the bias's too, the features being centred): the step 1/L = 1/2 is then Newton's step, which
// lands on the minimum of the quadratic loss at once. Every statistic is fitted on the training split only and applied
// to the test split; the whitener is saved and loaded again as a deployed program would.
// The example fails unless both whitenings reach the loss in at most a twentieth of the epochs
// standardised features need, standardised features reach it, and every run that does has a test
// loss within 20 % of the noise variance (the least any model can have).
//
// Usage: whitening [FILE]  (FILE: where to write the table, and keep it; by default a file in the
// temporary directory, removed after reading)
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <unistd.h>

#include <typegrad/io/csv.hpp>
#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

namespace {

constexpr std::size_t features = 6;
constexpr double difference = 0.1;  // how much the second sensor of a pair reads of the difference
constexpr double noise = 0.1;       // of the target

void write_table(const std::filesystem::path& path, std::size_t rows, std::uint64_t seed) {
    tg::random_generator rng{seed};
    std::ofstream out(path);
    out << "run,T1_K,T2_K,p1_kPa,p2_kPa,h1,h2,y\n";
    for (std::size_t i = 0; i < rows; ++i) {
        double common[3], own[3];
        for (int k = 0; k < 3; ++k) common[k] = rng.normal(0.0, 1.0), own[k] = rng.normal(0.0, 1.0);
        const double unit[3] = {20.0, 2.0, 0.1}, offset[3] = {300.0, 100.0, 0.5};
        char run[16];
        std::snprintf(run, sizeof run, "r%04zu", i);
        out << run;
        double y = rng.normal(0.0, noise);
        for (int k = 0; k < 3; ++k) {
            out << ',' << offset[k] + unit[k] * common[k] << ',' << offset[k] + unit[k] * (common[k] + difference * own[k]);
            y += common[k] + own[k];
        }
        out << ',' << y << '\n';
    }
    if (!out) throw tg::io::io_error(path.string() + ": cannot write the table");
}

// Mean and covariance (population) of the features, and their covariance with the target, in double.
struct moments {
    std::vector<double> mean, covariance, with_target;
    double target_variance = 0;
};

moments moments_of(const tg::dataset<float>& data) {
    const std::size_t n = data.size(), d = data.feature_size;
    moments m{std::vector<double>(d, 0.0), std::vector<double>(d * d, 0.0), std::vector<double>(d, 0.0)};
    double target_mean = 0;
    for (std::size_t s = 0; s < n; ++s) {
        for (std::size_t f = 0; f < d; ++f) m.mean[f] += data.features[s * d + f] / double(n);
        target_mean += data.targets[s] / double(n);
    }
    for (std::size_t s = 0; s < n; ++s) {
        const double t = data.targets[s] - target_mean;
        m.target_variance += t * t / double(n);
        for (std::size_t a = 0; a < d; ++a) {
            const double xa = data.features[s * d + a] - m.mean[a];
            m.with_target[a] += xa * t / double(n);
            for (std::size_t b = 0; b < d; ++b) m.covariance[a * d + b] += xa * (data.features[s * d + b] - m.mean[b]) / double(n);
        }
    }
    return m;
}

// The smallest training loss a linear model reaches, Var(y) - c^T C^-1 c (the normal equations,
// solved by a Cholesky factorisation in double): the yardstick of every run.
double least_squares_loss(const tg::dataset<float>& train) {
    const moments m = moments_of(train);
    const std::size_t d = train.feature_size;
    std::vector<double> l(d * d, 0.0), z = m.with_target;
    for (std::size_t i = 0; i < d; ++i)
        for (std::size_t j = 0; j <= i; ++j) {
            double sum = m.covariance[i * d + j];
            for (std::size_t k = 0; k < j; ++k) sum -= l[i * d + k] * l[j * d + k];
            l[i * d + j] = i == j ? std::sqrt(sum) : sum / l[j * d + j];
        }
    for (std::size_t i = 0; i < d; ++i) {  // z = L^-1 c; then c^T C^-1 c = |z|^2
        for (std::size_t k = 0; k < i; ++k) z[i] -= l[i * d + k] * z[k];
        z[i] /= l[i * d + i];
    }
    double explained = 0;
    for (const double v : z) explained += v * v;
    return m.target_variance - explained;
}

// The largest curvature of the mean squared error of y = w.x + b: the largest eigenvalue of
// (2/n) sum [x 1][x 1]^T, by power iteration in double.
double largest_curvature(const tg::dataset<float>& data) {
    const std::size_t n = data.size(), d = data.feature_size + 1;
    std::vector<double> second(d * d, 0.0);
    for (std::size_t s = 0; s < n; ++s)
        for (std::size_t a = 0; a < d; ++a)
            for (std::size_t b = 0; b < d; ++b) {
                const double xa = a + 1 < d ? data.features[s * (d - 1) + a] : 1.0, xb = b + 1 < d ? data.features[s * (d - 1) + b] : 1.0;
                second[a * d + b] += 2.0 * xa * xb / double(n);
            }
    std::vector<double> v(d, 1.0), next(d);
    double eigenvalue = 0;
    for (int iteration = 0; iteration < 1000; ++iteration) {
        double norm = 0;
        for (std::size_t a = 0; a < d; ++a) {
            next[a] = 0;
            for (std::size_t b = 0; b < d; ++b) next[a] += second[a * d + b] * v[b];
            norm += next[a] * next[a];
        }
        norm = std::sqrt(norm);
        double rayleigh = 0;
        for (std::size_t a = 0; a < d; ++a) rayleigh += v[a] * next[a], v[a] = next[a] / norm;
        eigenvalue = rayleigh;  // v was of unit length (after the first step)
    }
    return eigenvalue;
}

// The condition number of the features' covariance, from a PCA whitener's eigenvalues.
double condition_number(const tg::dataset<float>& data) {
    tg::whitener<float> pca{{.kind = tg::whitening::pca, .epsilon = 0}};
    pca.fit(data);
    return pca.eigenvalues().front() / pca.eigenvalues().back();
}

struct run {
    const char* name;
    double condition, step;
    std::optional<std::size_t> epochs;  // to the target loss; none within the limit
    double final_loss, test_loss;
};

run train(const char* name, const tg::dataset<float>& training, const tg::dataset<float>& test, double target_loss, std::size_t max_epochs) {
    const auto x = tg::input<features>;
    auto line = x | tg::dense<1>;
    auto loss = tg::mse_loss(line, tg::target<1>);
    auto net = tg::compile<float>(loss, line);
    net.initialize(7);  // the same starting weights for every kind of features
    const double step = 1.0 / largest_curvature(training);
    tg::sgd<float> descent{{.learning_rate = step}};

    run r{name, condition_number(training), step, std::nullopt, 0, 0};
    net.bind(x, std::span<const float>(training.features));
    net.bind(tg::target<1>, std::span<const float>(training.targets));
    for (std::size_t epoch = 0;; ++epoch) {
        net.forward(training.size());
        r.final_loss = net.loss();
        if (!r.epochs && r.final_loss <= target_loss) {
            r.epochs = epoch;
            break;
        }
        if (epoch == max_epochs) break;
        net.backward();
        tg::step(descent, net);
    }
    net.bind(x, std::span<const float>(test.features));
    net.bind(tg::target<1>, std::span<const float>(test.targets));
    net.forward(test.size());
    r.test_loss = net.loss();
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    const bool own_file = argc < 2;
    const auto temporary = [](const std::string& name) { return std::filesystem::temp_directory_path() / (name + std::to_string(::getpid())); };
    const std::filesystem::path path = own_file ? temporary("typegrad-sensors-").replace_extension(".csv") : std::filesystem::path(argv[1]);
    const std::filesystem::path whitener_file = temporary("typegrad-whitener-").replace_extension(".safetensors");
    try {
        write_table(path, 2000, 11);
        const tg::io::csv_table table = tg::io::read_csv(path, {.target = "y", .features = {"T1_K", "T2_K", "p1_kPa", "p2_kPa", "h1", "h2"}});
        if (own_file) std::filesystem::remove(path);
        std::printf("%s: %zu rows; features", path.c_str(), table.rows());
        for (const auto& name : table.feature_names) std::printf(" %s", name.c_str());
        std::printf("; target %s (the column \"run\" is left out)\n", table.target_name.c_str());

        auto [train_raw, test_raw] = tg::split_validation(table.data, 0.2, 1);
        const double best = least_squares_loss(train_raw), target_loss = 1.01 * best;
        std::printf("%zu training and %zu test rows; least-squares training loss %.5f (noise variance %.5f); target loss %.5f\n\n", train_raw.size(),
                    test_raw.size(), best, noise * noise, target_loss);

        // ---- the preprocessing, fitted on the training split only ----
        tg::standardizer<float> standardize;
        standardize.fit(train_raw);
        auto train_standard = train_raw, test_standard = test_raw;
        standardize.apply(train_standard);
        standardize.apply(test_standard);
        // Epsilon is in the squared units of the features it whitens: on standardised features, 1e-5 of a
        // feature's variance.
        const auto whitened = [&](tg::whitening kind) {
            tg::whitener<float> whiten{{.kind = kind, .epsilon = 1e-5}};
            whiten.fit(train_standard);
            auto train = train_standard, test = test_standard;
            whiten.apply(train);
            whiten.save(whitener_file);  // deployment: the file, not the training data, carries the statistics
            const auto deployed = tg::whitener<float>::load(whitener_file);
            std::filesystem::remove(whitener_file);
            deployed.apply(test);
            return std::pair{train, test};
        };
        const auto [train_pca, test_pca] = whitened(tg::whitening::pca);
        const auto [train_zca, test_zca] = whitened(tg::whitening::zca);

        constexpr std::size_t max_epochs = 20000;
        const run runs[] = {train("raw", train_raw, test_raw, target_loss, max_epochs),
                            train("standardised", train_standard, test_standard, target_loss, max_epochs),
                            train("PCA-whitened", train_pca, test_pca, target_loss, max_epochs),
                            train("ZCA-whitened", train_zca, test_zca, target_loss, max_epochs)};

        std::printf("features       cov. condition   step 1/L   epochs to loss <= %.5f   training loss   test loss\n", target_loss);
        for (const run& r : runs) {
            const std::string epochs = r.epochs ? std::to_string(*r.epochs) : "not in " + std::to_string(max_epochs);
            std::printf("%-13s  %14.3g  %9.3g   %24s   %13.5f   %9.5f\n", r.name, r.condition, r.step, epochs.c_str(), r.final_loss, r.test_loss);
        }

        // ---- checks ----
        const run &standard = runs[1], &pca = runs[2], &zca = runs[3];
        bool ok = true;
        if (!standard.epochs) {
            std::printf("FAILED: standardised features did not reach the target loss in %zu epochs\n", max_epochs);
            ok = false;
        }
        for (const run* w : {&pca, &zca})
            if (!w->epochs || (standard.epochs && 20 * *w->epochs > *standard.epochs)) {
                std::printf("FAILED: %s features do not reach the target loss in a twentieth of the epochs standardised features need\n", w->name);
                ok = false;
            }
        for (const run& r : runs)
            if (r.epochs && !(r.test_loss <= 1.2 * noise * noise)) {
                std::printf("FAILED: %s features: the test loss %.5f is not within 20 %% of the noise variance %.5f\n", r.name, r.test_loss, noise * noise);
                ok = false;
            }
        if (!ok) return 1;
        std::printf("OK: whitened features reach the loss in %zu (PCA) and %zu (ZCA) epochs, standardised ones in %zu\n", *pca.epochs, *zca.epochs,
                    *standard.epochs);
        return 0;
    } catch (const std::exception& e) {
        if (own_file) std::filesystem::remove(path);
        std::filesystem::remove(whitener_file);
        std::fprintf(stderr, "whitening: %s\n", e.what());
        return 1;
    }
}
