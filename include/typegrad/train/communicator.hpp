#pragma once
// The processes ("ranks") that train one model together, data-parallel: every rank holds the whole
// network, computes the gradient of its share of each minibatch, and the shares' gradients are summed
// before every rank takes the same step. fit(), evaluate(), accuracy() and confusion_matrix_of() take
// one through their options (`.ranks = &world`); without one they run on this process alone.
//
// What the training needs of the transport, and no more, so that the library builds without MPI:
// parallel/mpi.hpp implements it over MPI. Every call is collective: each rank makes the same calls,
// in the same order, with buffers of the same sizes.
#include <cstddef>
#include <span>
#include <string>

namespace typegrad {

class communicator {
public:
    virtual ~communicator() = default;

    virtual std::size_t rank() const = 0;  // 0 ... size() - 1
    virtual std::size_t size() const = 0;

    // Starts replacing `values` by their element-wise sum over the ranks, and returns at once; the
    // values must be left alone until finish_sums(). Each value's sum is taken in rank order (rank 0's
    // value plus rank 1's, ...), so that it is the same, bit for bit, on every rank, whichever
    // algorithm the transport would have chosen and however a vector is cut into sums.
    virtual void start_sum(std::span<float> values) = 0;
    virtual void start_sum(std::span<double> values) = 0;
    // Lets the sums started go on (a transport may progress them only when called).
    virtual void progress() = 0;
    // Waits for every sum started.
    virtual void finish_sums() = 0;

    // Copies rank `root`'s bytes over every other rank's.
    virtual void broadcast(std::span<std::byte> bytes, std::size_t root) = 0;

    // Ends every rank's process at once (the launcher ends the job), after printing `message` to
    // standard error: for an error met by one rank only, which would otherwise leave the others
    // waiting for it forever.
    [[noreturn]] virtual void abort(const std::string& message) = 0;

    // The element-wise sum over the ranks, in place, waiting for it (and for any sum started before).
    template <class T>
    void sum(std::span<T> values) {
        start_sum(values);
        finish_sums();
    }

    // Rank `root`'s text, on every rank.
    std::string broadcast(std::string text, std::size_t root) {
        double length = double(text.size());
        std::span<double> length_span{&length, 1};
        broadcast(std::as_writable_bytes(length_span), root);
        text.resize(std::size_t(length));
        broadcast(std::as_writable_bytes(std::span<char>(text)), root);
        return text;
    }
    template <class T>
    void broadcast(std::span<T> values, std::size_t root) {
        broadcast(std::as_writable_bytes(values), root);
    }
};

// The share of rank `rank` among `ranks` of `count` things in a row: contiguous, the shares' sizes
// differing by at most one, in rank order.
struct share {
    std::size_t first = 0, count = 0;
};
constexpr share share_of(std::size_t count, std::size_t rank, std::size_t ranks) {
    const std::size_t first = count * rank / ranks;
    return {first, count * (rank + 1) / ranks - first};
}

}  // namespace typegrad
