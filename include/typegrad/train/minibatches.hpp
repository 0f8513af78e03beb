#pragma once
// Seeded, shuffled minibatches over a dataset. Each epoch visits every sample once; the last batch
// holds the remainder (it is smaller, never dropped). Buffers are allocated once, at construction.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <typegrad/kernels/random.hpp>
#include <typegrad/train/dataset.hpp>

namespace typegrad {

template <class T, class Target>
class minibatches {
public:
    minibatches(const dataset<T, Target>& data, std::size_t batch_size, std::uint64_t seed, bool shuffle = true)
        : data_{&data}, batch_size_{batch_size}, shuffle_{shuffle}, rng_{seed}, order_(data.size()),
          features_(batch_size * data.feature_size), targets_(batch_size * data.target_size) {
        data.validate();
        if (batch_size == 0) throw std::invalid_argument("typegrad: minibatches: the batch size must be positive");
        if (data.size() == 0) throw std::invalid_argument("typegrad: minibatches: the dataset is empty");
        std::iota(order_.begin(), order_.end(), std::size_t{0});
    }

    std::size_t batches_per_epoch() const { return (data_->size() + batch_size_ - 1) / batch_size_; }

    // Starts a new epoch: a new order from the generator (same seed, same sequence of epochs).
    void start_epoch() {
        if (shuffle_) rng_.shuffle(order_.begin(), order_.end());
        next_ = 0;
    }

    // Gathers the next batch; false when the epoch is over.
    bool next() {
        if (next_ >= order_.size()) return false;
        count_ = std::min(batch_size_, order_.size() - next_);
        const std::size_t fs = data_->feature_size, ts = data_->target_size;
        for (std::size_t i = 0; i < count_; ++i) {
            const std::size_t s = order_[next_ + i];
            std::copy_n(data_->features.data() + s * fs, fs, features_.data() + i * fs);
            std::copy_n(data_->targets.data() + s * ts, ts, targets_.data() + i * ts);
        }
        next_ += count_;
        return true;
    }

    // For checkpoints (train/checkpoint.hpp): the current order (each epoch shuffles the previous one),
    // the index of the next sample in it, and the generator. restore() continues exactly there.
    std::span<const std::size_t> order() const { return order_; }
    std::size_t position() const { return next_; }
    const random_generator& generator() const { return rng_; }
    void restore(std::span<const std::size_t> order, std::size_t position, const random_generator::state_type& generator) {
        if (order.size() != order_.size() || position > order.size())
            throw std::invalid_argument("typegrad: minibatches: restore() was given an order of " + std::to_string(order.size()) + " samples at " +
                                        std::to_string(position) + ", the dataset has " + std::to_string(order_.size()));
        std::copy(order.begin(), order.end(), order_.begin());
        next_ = position;
        rng_.set_state(generator);
    }

    std::size_t size() const { return count_; }
    std::span<const T> features() const { return {features_.data(), count_ * data_->feature_size}; }
    std::span<const Target> targets() const { return {targets_.data(), count_ * data_->target_size}; }

private:
    const dataset<T, Target>* data_;
    std::size_t batch_size_;
    bool shuffle_;
    random_generator rng_;
    std::vector<std::size_t> order_;
    std::vector<T> features_;
    std::vector<Target> targets_;
    std::size_t next_ = 0, count_ = 0;
};

}  // namespace typegrad
