// The thread pool: the static split of a range into chunks, every index run exactly once, the
// caller's share, exceptions, and a pool reused for many calls.
#define BOOST_TEST_MODULE parallel
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <typegrad/kernels/parallel.hpp>

namespace kernels = typegrad::kernels;

namespace {

// How often each index of [0, count) was visited by one parallel_for, and the chunks it was split into.
struct visits {
    std::vector<int> count;
    std::vector<kernels::chunk_range> chunks;
};
visits run(kernels::thread_pool& pool, std::size_t count, std::size_t grain = 1) {
    visits v{std::vector<int>(count, 0), {}};
    std::vector<kernels::chunk_range> seen(pool.size(), {0, 0});
    std::atomic<std::size_t> calls{0};
    pool.parallel_for(
        count,
        [&](std::size_t begin, std::size_t end) {
            // Chunks are disjoint, so these writes do not race; their order does not matter.
            for (std::size_t i = begin; i < end; ++i) ++v.count[i];
            seen[calls++] = {begin, end};
        },
        grain);
    v.chunks.assign(seen.begin(), seen.begin() + std::ptrdiff_t(calls.load()));
    return v;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_split_is_contiguous_balanced_and_covers_the_range) {
    for (std::size_t chunks = 1; chunks <= 5; ++chunks)
        for (std::size_t count = chunks; count <= 40; ++count) {
            std::size_t next = 0;
            for (std::size_t i = 0; i < chunks; ++i) {
                const kernels::chunk_range r = kernels::chunk_of(count, chunks, i);
                BOOST_TEST(r.begin == next);
                BOOST_TEST((r.end - r.begin == count / chunks || r.end - r.begin == count / chunks + 1));
                next = r.end;
            }
            BOOST_TEST(next == count);
        }
    BOOST_TEST(kernels::chunk_count(0, 4, 1) == 0u);
    BOOST_TEST(kernels::chunk_count(3, 4, 1) == 3u);    // fewer items than threads: one each
    BOOST_TEST(kernels::chunk_count(100, 4, 1) == 4u);
    BOOST_TEST(kernels::chunk_count(100, 4, 40) == 2u);  // no chunk below the grain
    BOOST_TEST(kernels::chunk_count(10, 4, 40) == 1u);   // below the grain: one chunk
}

BOOST_AUTO_TEST_CASE(every_index_runs_exactly_once) {
    for (std::size_t threads = 1; threads <= 4; ++threads) {
        kernels::thread_pool pool{threads};
        BOOST_TEST(pool.size() == threads);
        for (std::size_t count : {1u, 2u, 3u, 5u, 17u, 1000u}) {
            const visits v = run(pool, count);
            for (std::size_t i = 0; i < count; ++i) BOOST_TEST_REQUIRE(v.count[i] == 1, "index " << i << " of " << count << " on " << threads << " threads");
            BOOST_TEST(v.chunks.size() == std::min(count, threads));
        }
    }
}

BOOST_AUTO_TEST_CASE(zero_items_call_nothing) {
    kernels::thread_pool pool{3};
    int calls = 0;
    pool.parallel_for(0, [&](std::size_t, std::size_t) { ++calls; });
    kernels::parallel_for(nullptr, 0, [&](std::size_t, std::size_t) { ++calls; });
    BOOST_TEST(calls == 0);
}

BOOST_AUTO_TEST_CASE(the_caller_runs_the_first_chunk_and_workers_the_others) {
    kernels::thread_pool pool{3};
    std::vector<std::thread::id> runner(3);
    pool.parallel_for(3, [&](std::size_t begin, std::size_t) { runner[begin] = std::this_thread::get_id(); });
    BOOST_TEST((runner[0] == std::this_thread::get_id()));
    BOOST_TEST((runner[1] != std::this_thread::get_id() && runner[2] != std::this_thread::get_id() && runner[1] != runner[2]));
}

BOOST_AUTO_TEST_CASE(small_work_and_no_pool_run_inline) {
    kernels::thread_pool pool{2};
    std::thread::id runner;
    std::vector<kernels::chunk_range> chunks;
    auto record = [&](std::size_t begin, std::size_t end) {
        runner = std::this_thread::get_id();
        chunks.push_back({begin, end});
    };
    pool.parallel_for(100, record, 64);  // 100 items, at least 64 a chunk: one chunk
    BOOST_TEST((runner == std::this_thread::get_id()));
    kernels::parallel_for(nullptr, 7, record);
    BOOST_TEST_REQUIRE(chunks.size() == 2u);
    BOOST_TEST((chunks[0].begin == 0u && chunks[0].end == 100u && chunks[1].begin == 0u && chunks[1].end == 7u));
}

BOOST_AUTO_TEST_CASE(a_call_from_inside_a_chunk_runs_inline) {
    kernels::thread_pool pool{2};
    std::vector<int> count(6, 0);
    pool.parallel_for(2, [&](std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i)
            pool.parallel_for(3, [&](std::size_t b, std::size_t e) {
                for (std::size_t j = b; j < e; ++j) ++count[i * 3 + j];
            });
    });
    for (int c : count) BOOST_TEST(c == 1);
}

BOOST_AUTO_TEST_CASE(an_exception_reaches_the_caller_after_every_chunk_is_done) {
    kernels::thread_pool pool{3};
    for (std::size_t failing : {0u, 1u, 2u}) {  // the caller's chunk, then the workers'
        std::atomic<int> finished{0};
        BOOST_CHECK_EXCEPTION(pool.parallel_for(3,
                                                [&](std::size_t begin, std::size_t) {
                                                    if (begin == failing) throw std::runtime_error("chunk " + std::to_string(begin));
                                                    std::this_thread::sleep_for(std::chrono::milliseconds(20));
                                                    ++finished;
                                                }),
                              std::runtime_error, [&](const std::runtime_error& e) { return e.what() == "chunk " + std::to_string(failing); });
        BOOST_TEST(finished.load() == 2);  // the other chunks ran to their end before the call returned
    }
    // Two failing chunks: the first one's exception, and the next call starts clean.
    BOOST_CHECK_EXCEPTION(pool.parallel_for(3,
                                            [](std::size_t begin, std::size_t) {
                                                if (begin > 0) throw std::runtime_error("chunk " + std::to_string(begin));
                                            }),
                          std::runtime_error, [](const std::runtime_error& e) { return std::string(e.what()) == "chunk 1"; });
    BOOST_CHECK_NO_THROW(run(pool, 10));
    BOOST_TEST(run(pool, 10).count == std::vector<int>(10, 1), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_pool_serves_many_calls) {
    kernels::thread_pool pool{2};
    std::vector<long> values(1000, 0);
    for (int round = 0; round < 20000; ++round)
        pool.parallel_for(values.size(), [&](std::size_t begin, std::size_t end) {
            for (std::size_t i = begin; i < end; ++i) values[i] += long(i);
        });
    for (std::size_t i = 0; i < values.size(); ++i) BOOST_TEST_REQUIRE(values[i] == 20000 * long(i));
}

// Between steps the workers stop spinning and sleep; the next call must wake them.
BOOST_AUTO_TEST_CASE(sleeping_workers_wake_for_the_next_call) {
    kernels::thread_pool pool{3};
    for (int round = 0; round < 20; ++round) {
        std::this_thread::sleep_for(2 * kernels::spin_before_sleeping);
        const visits v = run(pool, 30);
        BOOST_TEST_REQUIRE(v.count == std::vector<int>(30, 1), boost::test_tools::per_element());
        BOOST_TEST_REQUIRE(v.chunks.size() == 3u);
    }
}

BOOST_AUTO_TEST_CASE(a_pool_needs_a_thread) {
    BOOST_CHECK_THROW(kernels::thread_pool{0}, std::invalid_argument);
}
