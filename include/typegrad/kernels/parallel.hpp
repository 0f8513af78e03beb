#pragma once
// Intra-batch parallelism: a persistent pool of threads that splits a range of independent work
// items (samples, filters, rows, elements) into contiguous chunks, one per thread.
//
// The split is static: chunk i of `count` items on `threads` threads is a function of those two
// numbers (and the grain) only, never of timing, so a kernel whose chunks write disjoint outputs
// gives the same bits on every run. Each parallel_for wakes the workers once and waits for them;
// nothing is allocated per call, so a training step stays allocation-free.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <vector>

namespace typegrad::kernels {

// Chunk `i` of `chunks` over [0, count): the first count % chunks chunks are one item longer.
struct chunk_range {
    std::size_t begin, end;
};
constexpr chunk_range chunk_of(std::size_t count, std::size_t chunks, std::size_t i) {
    return {count * i / chunks, count * (i + 1) / chunks};
}

// How many chunks `count` items make on `threads` threads when no chunk may hold fewer than
// `grain` items (work too small to pay for waking a thread stays on the caller).
constexpr std::size_t chunk_count(std::size_t count, std::size_t threads, std::size_t grain) {
    if (count == 0) return 0;
    return std::clamp<std::size_t>(count / std::max<std::size_t>(grain, 1), 1, threads);
}

// The least work worth handing to a worker: below it, the hand-over and the cache lines that move
// between cores cost more than the loop. Elementwise work in values per chunk; matrix products in
// multiply-adds per chunk. (W2 and W3 measured no different with grains 4 times smaller.)
inline constexpr std::size_t elementwise_grain = std::size_t{1} << 15;
inline constexpr std::size_t gemm_grain = std::size_t{1} << 18;

// Waiting threads spin this long before they sleep. Waking a sleeping thread costs tens of
// microseconds on a virtual machine whose idle core halts (measured: 58 us per empty
// parallel_for on this 2-core VM), more than many operations of a step take; the gaps between the
// parallel parts of a training step are shorter than this, so the workers stay awake through a
// step and sleep between runs.
inline constexpr std::chrono::microseconds spin_before_sleeping{200};

// Spins until ready() or spin_before_sleeping has passed; tells whether ready() became true.
template <class Ready>
bool spin_until(Ready&& ready) {
    const auto deadline = std::chrono::steady_clock::now() + spin_before_sleeping;
    for (;;) {
        for (int i = 0; i < 64; ++i) {
            if (ready()) return true;
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();  // lets the sibling hyperthread run; lowers power while spinning
#endif
        }
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::yield();  // on a busy machine, lets the thread we wait for have the core
    }
}

class thread_pool {
public:
    // `threads` counts the calling thread: a pool of n runs n - 1 workers.
    explicit thread_pool(std::size_t threads) : errors_(threads) {
        if (threads == 0) throw std::invalid_argument("typegrad: thread_pool(0): a pool needs at least one thread (the caller)");
        workers_.reserve(threads - 1);
        try {
            for (std::size_t w = 1; w < threads; ++w) workers_.emplace_back([this, w] { serve(w); });
        } catch (...) {  // the system refused a thread: stop the ones that started
            stop();
            throw;
        }
    }

    thread_pool(const thread_pool&) = delete;
    thread_pool& operator=(const thread_pool&) = delete;

    ~thread_pool() { stop(); }

    std::size_t size() const { return workers_.size() + 1; }

    // Calls fn(begin, end) on each chunk of [0, count), chunks of at least `grain` items (but one
    // chunk if count < grain), the caller running chunk 0; returns when every chunk is done. If a
    // chunk throws, the exception of the lowest such chunk is rethrown here after all have finished.
    // A call made while the pool is busy (from inside fn, or from another thread) runs inline.
    template <class F>
    void parallel_for(std::size_t count, F&& fn, std::size_t grain = 1) {
        const std::size_t chunks = chunk_count(count, size(), grain);
        if (chunks == 0) return;
        if (chunks == 1 || busy_.exchange(true, std::memory_order_acquire)) {
            fn(std::size_t{0}, count);
            return;
        }
        using Fn = std::remove_reference_t<F>;
        job_ = const_cast<void*>(static_cast<const void*>(std::addressof(fn)));
        run_ = [](void* job, std::size_t begin, std::size_t end) { (*static_cast<Fn*>(job))(begin, end); };
        count_ = count;
        chunks_ = chunks;
        pending_.store(workers_.size(), std::memory_order_relaxed);
        {
            // Under the mutex, so that a worker about to sleep sees the new job or the notification.
            std::lock_guard lock{mutex_};
            generation_.fetch_add(1, std::memory_order_release);
        }
        wake_.notify_all();
        run_chunk(0);
        if (!spin_until([&] { return pending_.load(std::memory_order_acquire) == 0; })) {
            std::unique_lock lock{mutex_};
            done_.wait(lock, [&] { return pending_.load(std::memory_order_acquire) == 0; });
        }
        std::exception_ptr first;
        for (std::exception_ptr& error : errors_) {
            if (!first) first = error;
            error = nullptr;  // the others are dropped: the next call starts clean
        }
        busy_.store(false, std::memory_order_release);
        if (first) std::rethrow_exception(first);
    }

private:
    void stop() {
        {
            std::lock_guard lock{mutex_};
            stopping_.store(true, std::memory_order_relaxed);
        }
        wake_.notify_all();
        for (std::thread& t : workers_) t.join();
    }

    void run_chunk(std::size_t i) {
        if (i >= chunks_) return;
        const chunk_range r = chunk_of(count_, chunks_, i);
        try {
            run_(job_, r.begin, r.end);
        } catch (...) {
            errors_[i] = std::current_exception();
        }
    }

    void serve(std::size_t index) {
        std::uint64_t seen = 0;
        for (;;) {
            auto woken = [&] { return stopping_.load(std::memory_order_relaxed) || generation_.load(std::memory_order_acquire) != seen; };
            if (!spin_until(woken)) {
                std::unique_lock lock{mutex_};
                wake_.wait(lock, woken);
            }
            if (stopping_.load(std::memory_order_relaxed)) return;
            seen = generation_.load(std::memory_order_acquire);
            run_chunk(index);
            if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
                std::lock_guard lock{mutex_};  // the caller may be between its check and its wait
                done_.notify_one();
            }
        }
    }

    std::vector<std::thread> workers_;
    std::vector<std::exception_ptr> errors_;  // one slot per chunk: failing chunks share nothing
    std::mutex mutex_;
    std::condition_variable wake_, done_;
    std::atomic<bool> busy_{false}, stopping_{false};
    std::atomic<std::uint64_t> generation_{0};  // moves on once per job
    std::atomic<std::size_t> pending_{0};       // workers still on the current job
    // The current job, written before generation_ moves on (release) and read after (acquire).
    void* job_ = nullptr;
    void (*run_)(void*, std::size_t, std::size_t) = nullptr;
    std::size_t count_ = 0, chunks_ = 0;
};

// parallel_for on `pool`, or inline when there is none (a graph on one thread).
template <class F>
void parallel_for(thread_pool* pool, std::size_t count, F&& fn, std::size_t grain = 1) {
    if (pool)
        pool->parallel_for(count, fn, grain);
    else if (count > 0)
        fn(std::size_t{0}, count);
}

}  // namespace typegrad::kernels
