#pragma once
// Loss kernels: softmax cross-entropy fused with its gradient (the softmax is kept for backward).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include <typegrad/kernels/softmax.hpp>

namespace typegrad::kernels {

// Per row: probabilities p = softmax(x) into `probabilities`; returns sum_r w[label_r] * (lse_r - x[r, label_r])
// and adds sum_r w[label_r] to weight_total. A null class_weights means weight 1.
template <class T>
double cross_entropy_labels_forward(std::size_t rows, std::size_t classes, const T* x, const std::int32_t* labels,
                                    const double* class_weights, T* probabilities, double& weight_total) {
    double loss = 0;
    for (std::size_t r = 0; r < rows; ++r) {
        const std::int32_t label = labels[r];
        if (label < 0 || static_cast<std::size_t>(label) >= classes)
            throw std::out_of_range("typegrad: cross_entropy: label " + std::to_string(label) + " of sample " + std::to_string(r) +
                                    " is outside [0, " + std::to_string(classes) + ")");
        const T* row = x + r * classes;
        const T lse = log_sum_exp(classes, row);
        softmax_rows(1, classes, row, probabilities + r * classes);
        const double w = class_weights ? class_weights[label] : 1.0;
        loss += w * static_cast<double>(lse - row[label]);
        weight_total += w;
    }
    return loss;
}

// gx[r, c] += scale * w[label_r] * (p[r, c] - [c == label_r]).
template <class T>
void cross_entropy_labels_backward(std::size_t rows, std::size_t classes, const T* probabilities, const std::int32_t* labels,
                                   const double* class_weights, T scale, T* gx) {
    for (std::size_t r = 0; r < rows; ++r) {
        const std::int32_t label = labels[r];
        const T s = scale * T(class_weights ? class_weights[label] : 1.0);
        for (std::size_t c = 0; c < classes; ++c) gx[r * classes + c] += s * probabilities[r * classes + c];
        gx[r * classes + static_cast<std::size_t>(label)] -= s;
    }
}

// Probability targets: per row loss = -sum_c w_c t_c log p_c. `log_probabilities` is kept for backward.
template <class T>
double cross_entropy_targets_forward(std::size_t rows, std::size_t classes, const T* x, const T* t, const double* class_weights,
                                     T* log_probabilities) {
    double loss = 0;
    log_softmax_rows(rows, classes, x, log_probabilities);
    for (std::size_t i = 0; i < rows * classes; ++i)
        loss -= (class_weights ? class_weights[i % classes] : 1.0) * static_cast<double>(t[i] * log_probabilities[i]);
    return loss;
}

// d/dx_j = p_j * sum_c w_c t_c - w_j t_j;  d/dt_c = -w_c log p_c.
template <class T>
void cross_entropy_targets_backward(std::size_t rows, std::size_t classes, const T* log_probabilities, const T* t,
                                    const double* class_weights, T scale, T* gx, T* gt) {
    for (std::size_t r = 0; r < rows; ++r) {
        const std::size_t base = r * classes;
        T weighted_total = 0;
        for (std::size_t c = 0; c < classes; ++c) weighted_total += T(class_weights ? class_weights[c] : 1.0) * t[base + c];
        for (std::size_t c = 0; c < classes; ++c) {
            const T w = T(class_weights ? class_weights[c] : 1.0);
            if (gx) gx[base + c] += scale * (std::exp(log_probabilities[base + c]) * weighted_total - w * t[base + c]);
            if (gt) gt[base + c] -= scale * w * log_probabilities[base + c];
        }
    }
}

}  // namespace typegrad::kernels
