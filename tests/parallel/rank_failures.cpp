// A data-parallel training that goes wrong on purpose, for tests/parallel/check_rank_failures.py
// (run by mpirun):
//   rank_failures throw <dir>    rank 1 throws in its second step: the job must end, naming the rank
//   rank_failures train <dir>    trains slowly, printing "rank R pid P" then "ready": the test kills a
//                                rank with SIGKILL, or sends SIGTERM to mpirun; on a stop every rank
//                                prints where it stopped, rank 0 writes <dir>/checkpoint.safetensors,
//                                and the exit status is 128 + the signal
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>

#include <typegrad/parallel/mpi.hpp>
#include <typegrad/train/stop_signals.hpp>
#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: rank_failures throw|train <directory>\n");
        return 2;
    }
    tg::mpi::environment mpi{argc, argv};
    tg::mpi::communicator world;
    const std::string mode = argv[1], directory = argv[2];

    tg::dataset<float, std::int32_t> data{2, 1, {}, {}};
    for (std::size_t i = 0; i < 4000; ++i) {
        data.features.insert(data.features.end(), {float(i % 7) - 3, float(i % 5) - 2});
        data.targets.push_back(std::int32_t(i % 2));
    }
    const auto points = tg::input<2>;
    const auto classes = tg::labels<2>;
    const auto scores = points | tg::dense<16> | tg::relu | tg::dense<2>;
    auto net = tg::compile<float>(tg::cross_entropy(scores, classes), scores);
    tg::sgd<float> opt{{.learning_rate = 0.01}};
    const std::atomic<bool>& stop = tg::stop_on_signals();
    std::printf("rank %zu pid %d\n", world.rank(), int(::getpid()));
    std::fflush(stdout);

    const auto history = tg::fit(net, opt, data, points, classes,
                                 {.epochs = 1000, .batch_size = 16, .on_batch = [&](const tg::batch_report& report) {
                                      if (mode == "throw" && world.rank() == 1 && report.batch == 2) throw std::runtime_error("a bad sample on purpose");
                                      if (report.batch == 1 && report.epoch == 1) {
                                          std::printf("ready\n");
                                          std::fflush(stdout);
                                      }
                                      std::this_thread::sleep_for(std::chrono::milliseconds(20));
                                  },
                                  .checkpoint = directory + "/checkpoint.safetensors", .stop = &stop, .ranks = &world});
    if (!history.empty() && history.back().interrupted) {
        std::printf("rank %zu stopped in epoch %zu after batch %zu\n", world.rank(), history.back().epoch, history.back().batches);
        return 128 + tg::stop_signal();
    }
    return 0;
}
