#pragma once
// Data-parallel training over MPI (Open MPI from Debian's libopenmpi-dev; the project's Meson option
// `mpi`, and `typegrad_mpi_dep` to link it). A program started by mpirun or srun makes one environment
// and gives the world's communicator to fit() and the evaluations:
//
//   int main(int argc, char** argv) {
//       tg::mpi::environment mpi{argc, argv};
//       tg::mpi::communicator world;
//       tg::fit(graph, opt, train, input, labels, logits, {.batch_size = 64, .ranks = &world});
//   }
//
// Only the thread that made the environment calls MPI (MPI_THREAD_FUNNELED): the library's own
// threads (set_threads, reading ahead) never do.
// MPI's C interface only: its deprecated C++ bindings are not used (and do not compile warning-free).
#ifndef OMPI_SKIP_MPICXX
#define OMPI_SKIP_MPICXX 1
#endif
#ifndef MPICH_SKIP_MPICXX
#define MPICH_SKIP_MPICXX 1
#endif
#include <mpi.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <limits>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <typegrad/train/communicator.hpp>

namespace typegrad::mpi {

// Whether this process was started by an MPI launcher (mpirun or mpiexec of Open MPI, srun or another
// PMI launcher): a program that runs alone or data-parallel makes an environment only then.
inline bool launched_by_mpi() {
    for (const char* variable : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
        if (std::getenv(variable)) return true;
    return false;
}

// MPI, initialised once for the process's life: by the first environment, finalised by its destructor.
// An environment made when MPI is already initialised (by the program or another library) leaves it so.
class environment {
public:
    environment(int& argc, char**& argv) {
        int initialised = 0;
        MPI_Initialized(&initialised);
        if (initialised) return;
        int provided = 0;
        if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
            throw std::runtime_error("typegrad: mpi::environment: MPI_Init_thread failed");
        owner_ = true;
    }
    environment() : environment(no_argc_, no_argv_) {}
    // Left by an exception, it aborts every rank instead of finalising: MPI_Finalize would wait for
    // ranks that wait for this one.
    ~environment() {
        int finalised = 0;
        MPI_Finalized(&finalised);
        if (!owner_ || finalised) return;
        if (std::uncaught_exceptions() > 0) {
            std::fprintf(stderr, "typegrad: mpi::environment: left by an exception; ending every rank\n");
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
        MPI_Finalize();
    }
    environment(const environment&) = delete;
    environment& operator=(const environment&) = delete;

private:
    bool owner_ = false;
    static inline int no_argc_ = 0;
    static inline char** no_argv_ = nullptr;
};

// The processes of an MPI communicator (the world's by default) as a typegrad communicator.
//
// A sum is a reduce-scatter and an all-gather done by hand, both non-blocking: each rank receives
// every rank's copy of its own part of the vector (MPI_Ialltoallv), adds them up in rank order, and
// the parts are gathered back (MPI_Iallgatherv). It moves what a ring allreduce moves (2 (N-1)/N of
// the vector per rank), and unlike MPI_Allreduce its result does not depend on the algorithm MPI picks
// for a size or on how a vector is cut into sums.
class communicator final : public typegrad::communicator {
public:
    explicit communicator(MPI_Comm comm = MPI_COMM_WORLD) : comm_{comm} {
        int initialised = 0;
        MPI_Initialized(&initialised);
        if (!initialised) throw std::logic_error("typegrad: mpi::communicator: make a tg::mpi::environment first (MPI is not initialised)");
        int rank = 0, size = 0;
        MPI_Comm_rank(comm_, &rank);
        MPI_Comm_size(comm_, &size);
        rank_ = std::size_t(rank);
        size_ = std::size_t(size);
        MPI_Comm_dup(comm_, &exchange_comm_);
        MPI_Comm_dup(comm_, &gather_comm_);
    }
    ~communicator() override {
        int finalised = 0;
        MPI_Finalized(&finalised);
        if (finalised) return;
        finish_sums();
        MPI_Comm_free(&exchange_comm_);
        MPI_Comm_free(&gather_comm_);
    }
    communicator(const communicator&) = delete;
    communicator& operator=(const communicator&) = delete;

    using typegrad::communicator::broadcast;

    std::size_t rank() const override { return rank_; }
    std::size_t size() const override { return size_; }

    void start_sum(std::span<float> values) override { start(values); }
    void start_sum(std::span<double> values) override { start(values); }

    // The sums' gathers start in the order the sums did, on every rank: a sum's gather waits for the
    // sums before it to have started theirs (collectives must start in the same order everywhere).
    void progress() override {
        for (std::size_t i = 0; i < active_; ++i) {
            sums_[i]->advance(false);
            if (sums_[i]->phase == 1) return;
        }
    }

    void finish_sums() override {
        for (std::size_t i = 0; i < active_; ++i) sums_[i]->advance(true);
        active_ = 0;
    }

    void broadcast(std::span<std::byte> bytes, std::size_t root) override {
        for (std::size_t done = 0; done < bytes.size();) {
            const int count = chunk(bytes.size() - done);
            MPI_Bcast(bytes.data() + done, count, MPI_BYTE, int(root), comm_);
            done += std::size_t(count);
        }
    }

    [[noreturn]] void abort(const std::string& message) override {
        std::fprintf(stderr, "%s\n", message.c_str());
        std::fflush(stderr);
        MPI_Abort(comm_, 1);
        std::abort();  // MPI_Abort does not return; should it, this process still ends
    }

    MPI_Comm native() const { return comm_; }

private:
    static int chunk(std::size_t left) { return int(std::min<std::size_t>(left, std::size_t(std::numeric_limits<int>::max()))); }

    // One sum under way; its buffers are kept for the next sum that reuses it.
    struct sum_in_flight {
        sum_in_flight(MPI_Comm exchange, MPI_Comm gather, std::size_t r, std::size_t n) : exchange_comm{exchange}, gather_comm{gather}, rank{r}, ranks{n} {}
        MPI_Comm exchange_comm, gather_comm;  // one for each phase, so that each phase's collectives are matched in order
        std::size_t rank, ranks;
        void* values = nullptr;
        void (*add_parts)(sum_in_flight&) = nullptr;  // adds the received copies of this rank's part, in rank order
        std::vector<int> part_counts, part_firsts, received_counts, received_firsts;
        std::vector<std::byte> received;  // every rank's copy of this rank's part
        MPI_Request request = MPI_REQUEST_NULL;
        int phase = 0;  // 1: exchanging the parts, 2: gathering the sums, 0: done

        void begin(void* v, std::size_t n, std::size_t bytes, MPI_Datatype type) {
            values = v;
            part_counts.assign(ranks, 0);
            part_firsts.assign(ranks, 0);
            for (std::size_t r = 0; r < ranks; ++r) {
                const share part = share_of(n, r, ranks);
                part_counts[r] = int(part.count);
                part_firsts[r] = int(part.first);
            }
            const int mine = part_counts[rank];
            received_counts.assign(ranks, mine);
            received_firsts.assign(ranks, 0);
            for (std::size_t r = 0; r < ranks; ++r) received_firsts[r] = int(r) * mine;
            received.resize(std::size_t(mine) * ranks * bytes);
            datatype = type;
            MPI_Ialltoallv(values, part_counts.data(), part_firsts.data(), type, received.data(), received_counts.data(), received_firsts.data(), type,
                           exchange_comm, &request);
            phase = 1;
        }

        // Moves the sum on if its current exchange is over; with `wait`, to its end.
        void advance(bool wait) {
            while (phase != 0) {
                int done = 0;
                if (wait)
                    MPI_Wait(&request, MPI_STATUS_IGNORE), done = 1;
                else
                    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
                if (!done) return;
                if (phase == 1) {
                    add_parts(*this);
                    MPI_Iallgatherv(MPI_IN_PLACE, 0, datatype, values, part_counts.data(), part_firsts.data(), datatype, gather_comm, &request);
                    phase = 2;
                } else {
                    phase = 0;
                }
            }
        }

        template <class T>
        static void add_in_rank_order(sum_in_flight& s) {
            const std::size_t mine = std::size_t(s.part_counts[s.rank]);
            const T* copies = reinterpret_cast<const T*>(s.received.data());
            T* out = static_cast<T*>(s.values) + s.part_firsts[s.rank];
            for (std::size_t i = 0; i < mine; ++i) {
                T total = copies[i];
                for (std::size_t r = 1; r < s.ranks; ++r) total += copies[r * mine + i];
                out[i] = total;
            }
        }

        MPI_Datatype datatype = MPI_DATATYPE_NULL;
    };

    template <class T>
    void start(std::span<T> values) {
        if (values.size() > std::size_t(std::numeric_limits<int>::max()))
            throw std::length_error("typegrad: mpi::communicator: a sum of more than 2^31 - 1 values; sum it in parts");
        if (size_ == 1 || values.empty()) return;
        if (active_ == sums_.size()) sums_.push_back(std::make_unique<sum_in_flight>(exchange_comm_, gather_comm_, rank_, size_));
        sum_in_flight& s = *sums_[active_++];
        s.add_parts = &sum_in_flight::add_in_rank_order<T>;
        s.begin(values.data(), values.size(), sizeof(T), std::is_same_v<T, float> ? MPI_FLOAT : MPI_DOUBLE);
    }

    MPI_Comm comm_, exchange_comm_ = MPI_COMM_NULL, gather_comm_ = MPI_COMM_NULL;
    std::size_t rank_ = 0, size_ = 1;
    std::vector<std::unique_ptr<sum_in_flight>> sums_;  // the first active_ are under way
    std::size_t active_ = 0;
};

}  // namespace typegrad::mpi
