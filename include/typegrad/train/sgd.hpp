#pragma once
// Stochastic gradient descent with optional momentum and Nesterov momentum, as in PyTorch:
//   v <- momentum * v + g;   w <- w - lr * (nesterov ? g + momentum * v : v).
#include <cstddef>
#include <span>
#include <stdexcept>
#include <vector>

#include <typegrad/train/optimizer.hpp>

namespace typegrad {

struct sgd_options {
    double learning_rate = 0.01;
    double momentum = 0;
    bool nesterov = false;
};

template <class T>
class sgd {
public:
    explicit sgd(sgd_options options = {}) : options_{options} {
        if (!(options.learning_rate > 0)) throw std::invalid_argument("typegrad: sgd: the learning rate must be positive");
        if (options.momentum < 0 || options.momentum >= 1) throw std::invalid_argument("typegrad: sgd: momentum must be in [0, 1)");
        if (options.nesterov && options.momentum == 0) throw std::invalid_argument("typegrad: sgd: Nesterov needs a momentum");
    }

    void step(std::span<T> parameters, std::span<const T> gradients) {
        if (parameters.size() != gradients.size()) throw std::invalid_argument("typegrad: sgd: parameters and gradients differ in size");
        ++steps_;
        const T lr = T(options_.learning_rate), mu = T(options_.momentum);
        if (options_.momentum == 0) {
            for (std::size_t i = 0; i < parameters.size(); ++i) parameters[i] -= lr * gradients[i];
            return;
        }
        if (velocity_.size() != parameters.size()) velocity_.assign(parameters.size(), T(0));  // first step only
        for (std::size_t i = 0; i < parameters.size(); ++i) {
            velocity_[i] = mu * velocity_[i] + gradients[i];
            parameters[i] -= lr * (options_.nesterov ? gradients[i] + mu * velocity_[i] : velocity_[i]);
        }
    }

    const sgd_options& options() const { return options_; }
    void set_learning_rate(double lr) { options_.learning_rate = lr; }
    std::size_t steps() const { return steps_; }

    // For checkpoints: the momentum buffer, when there is a momentum.
    optimizer_state<T> state() const {
        optimizer_state<T> s{"sgd", steps_, {}};
        if (options_.momentum > 0) s.vectors.push_back({"momentum", velocity_});
        return s;
    }
    void set_state(const optimizer_state<T>& s) {
        detail::require_state_of(s, state());
        steps_ = s.steps;
        if (options_.momentum > 0) velocity_ = s.vectors[0].second;
    }

private:
    sgd_options options_;
    std::vector<T> velocity_;
    std::size_t steps_ = 0;
};

}  // namespace typegrad
