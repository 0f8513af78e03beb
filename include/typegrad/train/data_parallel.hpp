#pragma once
// What fit() does differently when ranks train together (train/communicator.hpp): start from one set
// of weights, sum the shares' gradients, agree on the step's figures, and keep the layers' state alike.
//
// The gradient of the global batch's mean loss is the sum over the ranks of their shares' mean-loss
// gradients, each weighted by the share's part of the batch (count / batch): so uneven shares, and the
// last batch of an epoch, come out as one process would compute them, and a rank with an empty share
// adds zero. Nothing is padded, no sample is seen twice.
#include <algorithm>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <typegrad/expr/parameters.hpp>
#include <typegrad/io/safetensors.hpp>
#include <typegrad/kernels/random.hpp>
#include <typegrad/train/communicator.hpp>
#include <typegrad/train/numerical_health.hpp>

namespace typegrad::detail {

// "0.weight [32, 784], 0.bias [32], ..." and the state tensors: what must be alike on every rank.
inline std::string layout_text(const std::vector<parameter_tensor>& parameters, const std::vector<parameter_tensor>& state) {
    std::string text;
    const auto add = [&](const parameter_tensor& t) { text += (text.empty() ? "" : ", ") + t.name + " " + io::shape_text(t.shape); };
    for (const parameter_tensor& t : parameters) add(t);
    for (const parameter_tensor& t : state) add(t);
    return text.empty() ? "no parameters" : text;
}

// Refuses, on every rank alike, ranks whose networks differ (naming rank 0's layout and the first
// other one); then gives every rank rank 0's weights and state, so that replicas initialised apart
// (another seed, another file) start as one.
template <class Graph>
void start_together(communicator& ranks, Graph& graph, std::string_view caller) {
    const std::string mine = layout_text(graph.parameter_tensors(), graph.state_tensors());
    const std::string first = ranks.broadcast(mine, 0);
    std::vector<double> differs(ranks.size(), 0.0);
    differs[ranks.rank()] = mine != first ? 1.0 : 0.0;
    ranks.sum(std::span<double>(differs));
    const auto other = std::find(differs.begin(), differs.end(), 1.0);
    if (other != differs.end()) {
        const std::size_t k = std::size_t(other - differs.begin());
        const std::string theirs = ranks.broadcast(mine, k);
        throw std::invalid_argument("typegrad: " + std::string(caller) + ": the ranks' networks differ: rank 0 has " + first + "; rank " +
                                    std::to_string(k) + " has " + theirs);
    }
    ranks.broadcast(graph.parameters(), 0);
    ranks.broadcast(graph.state(), 0);
}

// The figures of one step that every rank needs summed, in one exchange: the loss and correct
// predictions of the shares, which ranks were asked to stop (and by which signal), and which met a
// value that is not finite in their activations.
class step_figures {
public:
    explicit step_figures(std::size_t ranks) : ranks_{ranks}, values_(fixed + 2 * ranks, 0.0) {}

    // `stop`: 0, or this rank's reason to stop (a signal number, or 1 when there is none).
    void set(std::size_t rank, double loss_sum, std::size_t correct, int stop) {
        std::fill(values_.begin(), values_.end(), 0.0);
        values_[0] = loss_sum;
        values_[1] = double(correct);
        values_[fixed + rank] = double(stop);
    }
    void set_non_finite(std::size_t rank) { values_[fixed + ranks_ + rank] = 1.0; }
    void sum(communicator& ranks) { ranks.sum(std::span<double>(values_)); }

    double loss_sum() const { return values_[0]; }
    std::size_t correct() const { return std::size_t(values_[1] + 0.5); }
    // The first rank's reason to stop, or 0 if none was asked to.
    int stop() const {
        const std::size_t r = first_rank_set(fixed);
        return r < ranks_ ? int(values_[fixed + r]) : 0;
    }
    // The first rank that met a value that is not finite, or the number of ranks if none did.
    std::size_t non_finite_rank() const { return first_rank_set(fixed + ranks_); }

private:
    static constexpr std::size_t fixed = 2;
    // The first rank whose slot in the per-rank values from `offset` is not 0, or ranks_.
    std::size_t first_rank_set(std::size_t offset) const {
        std::size_t r = 0;
        while (r < ranks_ && values_[offset + r] == 0) ++r;
        return r;
    }
    std::size_t ranks_;
    std::vector<double> values_;
};

// Rethrows, on every rank, the non_finite_error that rank `at` met (its message sent to all).
inline void rethrow_non_finite(communicator& ranks, std::size_t at, const non_finite_error* mine, const check_point& when) {
    const std::string tensor = ranks.broadcast(mine ? mine->tensor() : std::string{}, at);
    const std::string message = ranks.broadcast(mine ? std::string(mine->what()) : std::string{}, at);
    throw non_finite_error(tensor, "activation", when.epoch, when.batch, message + " (on rank " + std::to_string(at) + ")");
}

// Rank `root`'s generator state on every rank.
inline void share_generator(communicator& ranks, random_generator& generator, std::size_t root) {
    random_generator::state_type state = generator.state();
    ranks.broadcast(std::as_writable_bytes(std::span<random_generator::state_type>(&state, 1)), root);
    generator.set_state(state);
}

// The mean of the ranks' layer state (batch normalisation's running statistics, which each rank
// updates from its own share), so that every rank evaluates alike.
template <class T>
void average_state(communicator& ranks, std::span<T> state) {
    if (state.empty()) return;
    ranks.sum(state);
    const T scale = T(1) / T(ranks.size());
    for (T& v : state) v *= scale;
}

// The sum of the ranks' gradients, started bucket by bucket while backward() runs, each bucket as
// soon as backward has finished it, weighted by this rank's part of the batch first. The buckets are
// cut once, from the graph's layout, at the points backward() reports (graph::backward(on_ready)),
// each at least bucket_values long but the last: the same buckets, in the same order, on every rank,
// whatever its share. The sums are taken in rank order, so the result does not depend on the cut.
template <class T>
class gradient_exchange {
public:
    gradient_exchange(communicator& ranks, const std::vector<std::size_t>& ready_points, std::size_t total, std::size_t bucket_values)
        : ranks_{ranks}, total_{total} {
        std::size_t end = total;
        for (const std::size_t point : ready_points)
            if (end - point >= std::max<std::size_t>(bucket_values, 1) && point > 0) cuts_.push_back(end = point);
        if (end > 0) cuts_.push_back(0);
    }

    std::size_t buckets() const { return cuts_.size(); }

    // Before backward(): the step's gradients, and this rank's share of the batch as a weight.
    void start_step(std::span<T> gradients, T weight) {
        gradients_ = gradients;
        weight_ = weight;
        next_ = 0;
        end_ = total_;
    }
    // backward()'s report: the gradients from `first` on are final.
    void ready(std::size_t first) {
        while (next_ < cuts_.size() && cuts_[next_] >= first) send_next();
        ranks_.progress();
    }
    // After backward(): the buckets not sent yet, and the wait for all of them.
    void finish() {
        while (next_ < cuts_.size()) send_next();
        ranks_.finish_sums();
    }

private:
    void send_next() {
        const std::size_t first = cuts_[next_++];
        const std::span<T> bucket = gradients_.subspan(first, end_ - first);
        if (weight_ != T(1))
            for (T& g : bucket) g *= weight_;
        ranks_.start_sum(bucket);
        end_ = first;
    }

    communicator& ranks_;
    std::size_t total_;
    std::vector<std::size_t> cuts_;  // the buckets' first gradients, decreasing
    std::span<T> gradients_{};
    T weight_ = 1;
    std::size_t next_ = 0, end_ = 0;
};

// Runs `work`, an operation of this rank alone (reading its share, its forward and backward); an
// error in it ends every rank's process with a message naming the rank, instead of leaving the others
// waiting at the next exchange.
template <class F>
decltype(auto) on_this_rank(communicator* ranks, F&& work) {
    if (!ranks || ranks->size() == 1) return work();
    try {
        return work();
    } catch (const std::exception& e) {
        ranks->abort("typegrad: rank " + std::to_string(ranks->rank()) + " of " + std::to_string(ranks->size()) + ": " + e.what());
        throw;  // not reached: abort() does not return
    }
}

}  // namespace typegrad::detail
