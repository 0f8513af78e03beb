#pragma once
// Learning-rate schedules: the factor by which an epoch's learning rate scales the optimiser's base
// rate. fit() applies one at the start of each epoch (epochs count from 1), as PyTorch's epoch-wise
// schedulers do (fit_options::learning_rate_factor), or one of the run's progress at every step
// (fit_options::learning_rate_by_step).
#include <cmath>
#include <cstddef>
#include <numbers>
#include <stdexcept>

namespace typegrad {

// Multiplies the rate by `factor` every `every` epochs: epochs 1..every run at the base rate.
struct step_schedule {
    std::size_t every = 10;
    double factor = 0.1;

    void validate() const {
        if (every == 0) throw std::invalid_argument("typegrad: step_schedule: `every` must be at least 1 epoch");
        if (!(factor > 0 && factor <= 1)) throw std::invalid_argument("typegrad: step_schedule: the factor must be in (0, 1]");
    }
    double operator()(std::size_t epoch) const {
        validate();
        return std::pow(factor, double((epoch - 1) / every));
    }
};

// Cosine annealing from the base rate (epoch 1) down to `minimum` times it at epoch `epochs`;
// epochs after that stay at the minimum.
struct cosine_schedule {
    std::size_t epochs = 10;
    double minimum = 0;

    void validate() const {
        if (epochs == 0) throw std::invalid_argument("typegrad: cosine_schedule: `epochs` must be at least 1");
        if (!(minimum >= 0 && minimum <= 1)) throw std::invalid_argument("typegrad: cosine_schedule: the minimum must be in [0, 1]");
    }
    double operator()(std::size_t epoch) const {
        validate();
        if (epochs == 1 || epoch >= epochs) return epochs == 1 ? 1.0 : minimum;
        const double progress = double(epoch - 1) / double(epochs - 1);
        return minimum + (1 - minimum) * 0.5 * (1 + std::cos(std::numbers::pi * progress));
    }
};

// By step: a linear warm-up over the first `warmup` of the run, then a linear decay to `minimum`
// times the base rate at its last step. `progress` is the share of the run's steps done once this one
// is taken, in (0, 1].
struct warmup_linear_decay {
    double warmup = 0.05;
    double minimum = 0;

    void validate() const {
        if (!(warmup >= 0 && warmup < 1)) throw std::invalid_argument("typegrad: warmup_linear_decay: the warm-up is a fraction of the run in [0, 1)");
        if (!(minimum >= 0 && minimum <= 1)) throw std::invalid_argument("typegrad: warmup_linear_decay: the minimum must be in [0, 1]");
    }
    double operator()(double progress) const {
        validate();
        if (progress < warmup) return progress / warmup;
        return minimum + (1 - minimum) * (1 - progress) / (1 - warmup);
    }
};

}  // namespace typegrad
