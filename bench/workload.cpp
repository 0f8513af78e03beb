#include "workload.hpp"

#include <algorithm>
#include <functional>
#include <numeric>
#include <stdexcept>

namespace bench {

const char* name_of(workload w) {
    switch (w) {
        case workload::w1: return "W1";
        case workload::w2: return "W2";
        case workload::w3: return "W3";
        case workload::w4: return "W4";
        case workload::w5: return "W5";
    }
    return "?";
}

workload workload_named(const std::string& name) {
    for (const workload w : {workload::w1, workload::w2, workload::w3, workload::w4, workload::w5})
        if (name == name_of(w)) return w;
    throw std::invalid_argument("no workload named '" + name + "' (W1, W2, W3, W4 or W5)");
}

const named_tensor& parameter_named(const workload_setup& setup, const std::string& name) {
    for (const named_tensor& t : setup.initial_parameters)
        if (t.name == name) return t;
    std::string known;
    for (const named_tensor& t : setup.initial_parameters) known += (known.empty() ? "" : ", ") + t.name;
    throw std::invalid_argument("the starting weights have no parameter '" + name + "' (they have " + known + ")");
}

std::size_t workload_setup::sample_size() const {
    return std::accumulate(sample_shape.begin(), sample_shape.end(), std::size_t{1}, std::multiplies<>{});
}

batch_order::batch_order(const workload_setup& setup) : samples_{setup.samples()}, batch_size_{setup.batch} {
    if (samples_ < batch_size_)
        throw std::invalid_argument("batch_order: " + std::to_string(samples_) + " samples do not fill a batch of " + std::to_string(batch_size_));
}

std::size_t batch_order::batches_per_epoch() const { return (samples_ + batch_size_ - 1) / batch_size_; }

batch_order::batch batch_order::next() {
    const batch b{next_, std::min(batch_size_, samples_ - next_)};
    next_ += b.size;
    if (next_ == samples_) next_ = 0;
    return b;
}

std::size_t steps_per_iteration(workload w) {
    return w == workload::w5 ? w5_epochs * batch_order(setup_of(w)).batches_per_epoch() : 1;
}

}  // namespace bench
