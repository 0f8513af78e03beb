#pragma once
// Adam with bias correction (Kingma & Ba), and decoupled weight decay (AdamW, Loshchilov & Hutter):
//   m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;  m^ = m / (1 - b1^t);  v^ = v / (1 - b2^t)
//   w <- w - lr * (m^ / (sqrt(v^) + eps) + weight_decay * w)
#include <cmath>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <vector>

#include <typegrad/train/optimizer.hpp>

namespace typegrad {

struct adam_options {
    double learning_rate = 1e-3;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double epsilon = 1e-8;
    double weight_decay = 0;  // decoupled (AdamW); 0 is plain Adam
};

template <class T>
class adam {
public:
    explicit adam(adam_options options = {}) : options_{options} {
        if (!(options.learning_rate > 0)) throw std::invalid_argument("typegrad: adam: the learning rate must be positive");
        if (!(options.beta1 >= 0 && options.beta1 < 1) || !(options.beta2 >= 0 && options.beta2 < 1))
            throw std::invalid_argument("typegrad: adam: beta1 and beta2 must be in [0, 1)");
        if (!(options.epsilon > 0) || options.weight_decay < 0)
            throw std::invalid_argument("typegrad: adam: epsilon must be positive and weight_decay not negative");
    }

    void step(std::span<T> parameters, std::span<const T> gradients) {
        if (parameters.size() != gradients.size()) throw std::invalid_argument("typegrad: adam: parameters and gradients differ in size");
        if (first_.size() != parameters.size()) {  // first step only
            first_.assign(parameters.size(), T(0));
            second_.assign(parameters.size(), T(0));
        }
        ++steps_;
        const double correction1 = 1 - std::pow(options_.beta1, double(steps_));
        const double correction2 = 1 - std::pow(options_.beta2, double(steps_));
        const T b1 = T(options_.beta1), b2 = T(options_.beta2), lr = T(options_.learning_rate), eps = T(options_.epsilon);
        const T decay = T(options_.weight_decay), c1 = T(1 / correction1), c2 = T(1 / correction2);
        for (std::size_t i = 0; i < parameters.size(); ++i) {
            const T g = gradients[i];
            first_[i] = b1 * first_[i] + (T(1) - b1) * g;
            second_[i] = b2 * second_[i] + (T(1) - b2) * g * g;
            parameters[i] -= lr * (first_[i] * c1 / (std::sqrt(second_[i] * c2) + eps) + decay * parameters[i]);
        }
    }

    const adam_options& options() const { return options_; }
    void set_learning_rate(double lr) { options_.learning_rate = lr; }
    std::size_t steps() const { return steps_; }

    // For checkpoints: the step count (bias correction) and the moments.
    optimizer_state<T> state() const { return {"adam", steps_, {{"first", first_}, {"second", second_}}}; }
    void set_state(const optimizer_state<T>& s) {
        detail::require_state_of(s, state());
        steps_ = s.steps;
        first_ = s.vectors[0].second;
        second_ = s.vectors[1].second;
    }

private:
    adam_options options_;
    std::vector<T> first_, second_;
    std::size_t steps_ = 0;
};

}  // namespace typegrad
