#pragma once
// Seeded, shuffled minibatches over a data source (an in-memory dataset or a streamed hdf5_dataset).
// Each epoch visits every sample once, in a new permutation of all of them drawn from the generator;
// the last batch holds the remainder (it is smaller, never dropped). Batches are read by a
// batch_loader (train/batch_loader.hpp): for a streamed source ahead of the training, on a thread of
// its own. Buffers are allocated once, at construction. Data-parallel, every rank draws the same
// batches (the same seed) and reads its share of each (train/communicator.hpp).
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <typegrad/kernels/random.hpp>
#include <typegrad/train/batch_loader.hpp>
#include <typegrad/train/dataset.hpp>

namespace typegrad {

template <sample_source Data>
class minibatches {
public:
    using T = typename Data::value_type;
    using Target = typename Data::target_type;

    // `prefetch`: batches a streamed source reads ahead on a thread (0: on the calling thread). An
    // in-memory dataset is gathered on the calling thread: a copy, cheaper than handing it over.
    minibatches(const Data& data, std::size_t batch_size, std::uint64_t seed, bool shuffle = true, std::size_t prefetch = 0, std::size_t rank = 0,
                std::size_t ranks = 1)
        : batch_size_{(check(data, batch_size), batch_size)}, shuffle_{shuffle}, rng_{seed}, order_(data.size()),
          loader_{data, batch_size, Data::streamed ? prefetch : 0, true, rank, ranks} {
        std::iota(order_.begin(), order_.end(), std::size_t{0});
    }

    std::size_t batches_per_epoch() const { return (order_.size() + batch_size_ - 1) / batch_size_; }

    // Starts a new epoch: a new order from the generator (same seed, same sequence of epochs).
    void start_epoch() {
        if (shuffle_) rng_.shuffle(order_.begin(), order_.end());
        if constexpr (reads_per_pass) rng_.next();  // a new pass() even when not shuffling
        next_ = 0;
        loader_.start(order_, 0, pass());
    }

    // The next batch; false when the epoch is over.
    bool next() {
        if (!loader_.next()) return false;
        next_ += loader_.batch_size();
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
        loader_.start(order_, position, pass());
    }

    // Seconds the caller spent in next(): reading, or waiting for the reading thread.
    double seconds_waiting() const { return loader_.seconds_waiting(); }

    std::size_t size() const { return loader_.size(); }              // this rank's share of the batch
    std::size_t batch_size() const { return loader_.batch_size(); }  // the whole batch
    std::span<const T> features() const { return loader_.features(); }
    std::span<const Target> targets() const { return loader_.targets(); }
    std::span<const T> other_input(std::size_t input) const { return loader_.other_input(input); }

private:
    // The epoch's name for the reads that depend on it (augmentation's draws): a function of the
    // generator's state at the epoch's start, which checkpoints keep, so a resumed epoch has it too.
    static constexpr bool reads_per_pass = requires(detail::cursor_of<Data> c) { c.start_pass(0); };
    std::uint64_t pass() const {
        const auto words = rng_.state().words;
        return words[0] ^ (words[1] << 1) ^ (words[2] << 2) ^ (words[3] << 3);
    }

    static void check(const Data& data, std::size_t batch_size) {
        if constexpr (requires { data.validate(); }) data.validate();
        if (batch_size == 0) throw std::invalid_argument("typegrad: minibatches: the batch size must be positive");
        if (data.size() == 0) throw std::invalid_argument("typegrad: minibatches: the dataset is empty");
    }

    std::size_t batch_size_;
    bool shuffle_;
    random_generator rng_;
    std::vector<std::size_t> order_;
    batch_loader<Data> loader_;
    std::size_t next_ = 0;
};

}  // namespace typegrad
