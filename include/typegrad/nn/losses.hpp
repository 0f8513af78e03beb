#pragma once
// User-facing losses and weight penalties.
//   tg::mse_loss(y, t), tg::l1_loss(y, t)               mean over elements (or tg::reduction::sum)
//   tg::cross_entropy(logits, tg::labels<10>)          softmax cross-entropy, integer labels
//   tg::cross_entropy(logits, tg::target<10>)          ... against class probabilities
//   tg::cross_entropy(logits, labels, {.class_weights = w, .mode = tg::reduction::mean})
//   tg::binary_cross_entropy(logits, t)                from logits
//   loss + 1e-4 * tg::l2_penalty(tg::weights_of(y))    weight penalties compose into any loss
#include <vector>

#include <typegrad/expr/losses.hpp>
#include <typegrad/expr/penalty.hpp>

namespace typegrad {

template <expression Y, expression Tg>
auto l1_loss(Y y, Tg t, reduction mode = reduction::mean) {
    using op = ops::pointwise_loss<loss_fn::absolute_error>;
    return node_of<op, Y, Tg>{op{{}, mode}, std::move(y), std::move(t)};
}
template <expression Y, expression Tg>
auto mse_loss(Y y, Tg t, reduction mode = reduction::mean) {
    using op = ops::pointwise_loss<loss_fn::squared_error>;
    return node_of<op, Y, Tg>{op{{}, mode}, std::move(y), std::move(t)};
}
template <expression Y, expression Tg>
auto binary_cross_entropy(Y logits, Tg t, reduction mode = reduction::mean) {
    using op = ops::pointwise_loss<loss_fn::binary_cross_entropy_from_logits>;
    return node_of<op, Y, Tg>{op{{}, mode}, std::move(logits), std::move(t)};
}

struct cross_entropy_options {
    std::vector<double> class_weights{};  // one per class; empty means all 1
    reduction mode = reduction::mean;
};

template <expression Y, expression L>
auto cross_entropy(Y logits, L labels_or_probabilities, cross_entropy_options options = {}) {
    if (!options.class_weights.empty() && options.class_weights.size() != Y::shape::size)
        throw std::invalid_argument("typegrad: cross_entropy: " + std::to_string(options.class_weights.size()) +
                                    " class weights given for " + std::to_string(Y::shape::size) + " classes");
    return node_of<ops::cross_entropy, Y, L>{ops::cross_entropy{options.mode, std::move(options.class_weights)}, std::move(logits),
                                          std::move(labels_or_probabilities)};
}

template <expression Y>
weights_ref<Y> weights_of(Y y) {
    return {std::move(y)};
}
template <class Y>
auto l1_penalty(weights_ref<Y> w) {
    return node_of<ops::penalty<true, Y>>{ops::penalty<true, Y>{std::move(w.expression)}};
}
template <class Y>
auto l2_penalty(weights_ref<Y> w) {
    return node_of<ops::penalty<false, Y>>{ops::penalty<false, Y>{std::move(w.expression)}};
}

}  // namespace typegrad
