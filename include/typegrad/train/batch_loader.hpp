#pragma once
// Reads the batches of one pass over a data source (an in-memory dataset or a streamed hdf5_dataset)
// in an order the caller gives (an epoch's shuffled order, or the samples in turn), either on the
// calling thread or, with a depth d > 0, on a background thread that reads up to d batches ahead into
// a ring of d + 1 buffers, so that reading and decoding overlap the computing. The memory used is those
// buffers, allocated once, whatever the size of the data set.
//
// A streamed source reads each batch's samples in ascending order (one read per run of consecutive
// rows: the batch is the same set of samples, its rows sorted); an in-memory one gathers them in the
// order given. An error while reading (a corrupt chunk, a label out of range) is thrown by next() at
// the batch it concerns, after the batches before it.
//
// Data-parallel (train/communicator.hpp), each rank's loader reads only the rank's share of each batch:
// a contiguous part of it, the shares of a batch differing in size by at most one.
#include <algorithm>
#include <chrono>
#include <concepts>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>
#include <span>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include <typegrad/train/communicator.hpp>
#include <typegrad/train/dataset.hpp>

namespace typegrad {

namespace detail {

// An in-memory dataset's reader: gathers samples, in the order given.
template <class T, class Target>
class memory_cursor {
public:
    static constexpr bool wants_sorted = false;
    explicit memory_cursor(const dataset<T, Target>& data) : data_{&data} {}
    // `others` are the buffers of the data's other inputs, in their order; an empty span skips one.
    void read(std::span<const std::size_t> samples, std::span<T> features, std::span<Target> targets, std::span<const std::span<T>> others) const {
        gather(samples, data_->features, data_->feature_size, features);
        gather(samples, data_->targets, data_->target_size, targets);
        for (std::size_t k = 0; k < others.size(); ++k) gather(samples, data_->other_inputs[k].values, data_->other_inputs[k].size, others[k]);
    }

private:
    template <class V>
    static void gather(std::span<const std::size_t> samples, const std::vector<V>& from, std::size_t size, std::span<V> into) {
        if (into.empty()) return;
        for (std::size_t i = 0; i < samples.size(); ++i) std::copy_n(from.data() + samples[i] * size, size, into.data() + i * size);
    }

    const dataset<T, Target>* data_;
};

template <class T, class Target>
memory_cursor<T, Target> open_cursor(const dataset<T, Target>& data) {
    return memory_cursor<T, Target>{data};
}
template <class Data>
typename Data::cursor open_cursor(const Data& data) {
    return typename Data::cursor{data};
}

// The reader of one pass over `Data`.
template <class Data>
using cursor_of = decltype(open_cursor(std::declval<const Data&>()));

// The inputs a source carries besides its features (dataset::other_inputs, hdf5_dataset's), in order.
template <class Data>
std::vector<input_description> other_inputs_of(const Data& data) {
    if constexpr (requires { data.other_input_descriptions(); })
        return data.other_input_descriptions();
    else
        return {};
}

}  // namespace detail

// What fit(), evaluate(), predict() and the others read from: an in-memory dataset, or a source
// streamed from storage (hdf5_dataset), which reads ahead on a thread of its own.
template <class Data>
concept sample_source = requires(const Data& data) {
    typename Data::value_type;
    typename Data::target_type;
    { data.size() } -> std::convertible_to<std::size_t>;
    { data.feature_size } -> std::convertible_to<std::size_t>;
    { data.target_size } -> std::convertible_to<std::size_t>;
    { Data::streamed } -> std::convertible_to<bool>;
};

template <sample_source Data>
class batch_loader {
public:
    using T = typename Data::value_type;
    using Target = typename Data::target_type;

    // Batches of up to batch_size samples; depth batches read ahead on a thread (0: read in next()).
    // Without targets, only the features are read (predictions). Of each batch, only the share of
    // rank `rank` among `ranks` is read.
    batch_loader(const Data& data, std::size_t batch_size, std::size_t depth, bool with_targets = true, std::size_t rank = 0, std::size_t ranks = 1)
        : cursor_{detail::open_cursor(data)}, samples_{data.size()}, batch_size_{batch_size}, rank_{rank}, ranks_{ranks},
          capacity_{(batch_size + ranks - 1) / std::max<std::size_t>(ranks, 1)}, slots_(depth + 1), batch_samples_(capacity_) {
        if (batch_size == 0) throw std::invalid_argument("typegrad: batch_loader: the batch size must be positive");
        if (ranks == 0 || rank >= ranks)
            throw std::invalid_argument("typegrad: batch_loader: rank " + std::to_string(rank) + " is not one of " + std::to_string(ranks) + " ranks");
        const std::vector<input_description> others = detail::other_inputs_of(data);
        for (slot& s : slots_) {
            s.features.resize(capacity_ * data.feature_size);
            if (with_targets) s.targets.resize(capacity_ * data.target_size);
            for (const input_description& other : others) s.others.emplace_back(capacity_ * other.size);
            for (std::vector<T>& other : s.others) s.other_spans.emplace_back(other);
        }
    }
    ~batch_loader() { stop(); }
    batch_loader(const batch_loader&) = delete;
    batch_loader& operator=(const batch_loader&) = delete;

    // Starts a pass over order[position], order[position + 1], ... up to order[end - 1] (an empty
    // order: the samples position, position + 1, ... in turn; end past the last: to the last). `order`
    // must stay unchanged until stop() or the next start(). `pass` names the pass for a source whose
    // reads depend on it (augmentation's draws).
    void start(std::span<const std::size_t> order, std::size_t position, std::uint64_t pass = 0, std::size_t end = std::size_t(-1)) {
        stop();
        if constexpr (requires { cursor_.start_pass(pass); }) cursor_.start_pass(pass);
        order_ = order;
        position_ = position;
        const std::size_t total = std::min(end, order.empty() ? samples_ : order.size());
        if (position > total) throw std::invalid_argument("typegrad: batch_loader: a pass cannot start at sample " + std::to_string(position) + " of " + std::to_string(total));
        batches_ = (total - position + batch_size_ - 1) / batch_size_;
        total_ = total;
        taken_ = filled_ = released_ = 0;
        error_ = nullptr;
        stopping_ = false;
        if (slots_.size() > 1 && batches_ > 0) reader_ = std::thread([this] { read_ahead(); });
    }

    // Ends the pass (the background thread, if any, stops after the batch it is reading).
    void stop() {
        if (!reader_.joinable()) return;
        {
            const std::lock_guard lock{mutex_};
            stopping_ = true;
        }
        changed_.notify_all();
        reader_.join();
    }

    // The next batch; false when the pass is over. Rethrows an error met reading it.
    bool next() {
        const auto start = std::chrono::steady_clock::now();
        const auto count_wait = [&] { waited_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
        if (slots_.size() == 1) {
            if (taken_ == batches_) return false;
            read_batch(taken_, slots_[0]);
            current_ = &slots_[0];
        } else {
            std::unique_lock lock{mutex_};
            released_ = taken_;  // the previous batch's buffer may be refilled
            changed_.notify_all();
            if (taken_ == batches_) return false;
            changed_.wait(lock, [&] { return filled_ > taken_ || error_; });
            if (filled_ <= taken_) std::rethrow_exception(error_);
            current_ = &slots_[taken_ % slots_.size()];
        }
        count_wait();
        ++taken_;
        return true;
    }

    std::size_t first() const { return current_->first; }  // the (share of the) batch's first position in the pass's order
    std::size_t size() const { return current_->count; }   // its samples read: this rank's share
    std::size_t batch_size() const { return current_->batch_count; }  // the whole batch's samples, all ranks' shares
    std::span<const T> features() const { return {current_->features.data(), current_->count * (current_->features.size() / capacity_)}; }
    std::span<const Target> targets() const { return {current_->targets.data(), current_->count * (current_->targets.size() / capacity_)}; }
    // The batch's values of the source's other input number `input` (detail::other_inputs_of's order).
    std::span<const T> other_input(std::size_t input) const {
        const std::vector<T>& values = current_->others[input];
        return {values.data(), current_->count * (values.size() / capacity_)};
    }
    std::size_t depth() const { return slots_.size() - 1; }
    // Seconds spent in next() since construction: reading (depth 0), or waiting for the reading
    // thread. What reading ahead did not hide.
    double seconds_waiting() const { return waited_; }

private:
    struct slot {
        std::vector<T> features;
        std::vector<Target> targets;
        std::vector<std::vector<T>> others;     // the source's other inputs
        std::vector<std::span<T>> other_spans;  // their whole buffers, as the cursor takes them
        std::size_t first = 0, count = 0, batch_count = 0;
    };

    void read_batch(std::size_t batch, slot& into) {
        const std::size_t batch_first = position_ + batch * batch_size_;
        const std::size_t batch_count = std::min(batch_size_, total_ - batch_first);
        const share part = share_of(batch_count, rank_, ranks_);
        const std::size_t first = batch_first + part.first, count = part.count;
        std::span<std::size_t> samples{batch_samples_.data(), count};
        if (order_.empty())
            for (std::size_t i = 0; i < count; ++i) samples[i] = first + i;
        else {
            std::copy_n(order_.begin() + std::ptrdiff_t(first), count, samples.begin());
            if constexpr (detail::cursor_of<Data>::wants_sorted) std::sort(samples.begin(), samples.end());
        }
        const std::size_t fs = into.features.size() / capacity_, ts = into.targets.size() / capacity_;
        for (std::size_t k = 0; k < into.others.size(); ++k)
            into.other_spans[k] = std::span<T>(into.others[k].data(), count * (into.others[k].size() / capacity_));
        if (count > 0)
            cursor_.read(samples, std::span<T>(into.features.data(), count * fs), std::span<Target>(into.targets.data(), count * ts), into.other_spans);
        into.first = first;
        into.count = count;
        into.batch_count = batch_count;
    }

    void read_ahead() {
        for (std::size_t batch = 0; batch < batches_; ++batch) {
            {
                std::unique_lock lock{mutex_};
                changed_.wait(lock, [&] { return stopping_ || batch < released_ + slots_.size(); });
                if (stopping_) return;
            }
            try {
                read_batch(batch, slots_[batch % slots_.size()]);
            } catch (...) {
                const std::lock_guard lock{mutex_};
                error_ = std::current_exception();
                changed_.notify_all();
                return;
            }
            {
                const std::lock_guard lock{mutex_};
                filled_ = batch + 1;
            }
            changed_.notify_all();
        }
    }

    detail::cursor_of<Data> cursor_;
    std::size_t samples_, batch_size_, rank_, ranks_;
    std::size_t capacity_;  // samples of a slot: the largest share of a batch
    std::vector<slot> slots_;
    std::vector<std::size_t> batch_samples_;  // the batch's samples, as read
    std::span<const std::size_t> order_{};
    std::size_t position_ = 0, total_ = 0, batches_ = 0;
    const slot* current_ = nullptr;
    std::size_t taken_ = 0;  // batches handed out by next()
    double waited_ = 0;
    // Shared with the reading thread, under mutex_.
    std::mutex mutex_;
    std::condition_variable changed_;
    std::size_t filled_ = 0, released_ = 0;
    std::exception_ptr error_;
    bool stopping_ = false;
    std::thread reader_;
};

}  // namespace typegrad
