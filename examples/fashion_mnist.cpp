// The main job: the W3 convolutional network of ../shared/workloads.md (two 3x3 convolutions with
// ReLU and 2x2 max-pooling, then dense 128 with dropout and a dense softmax output) trained with Adam
// on the real Fashion-MNIST, with a validation split and early stopping; it reports the test
// accuracy, the confusion matrix and per-class recall, and writes a JSON summary, the model
// (safetensors) and two PNG pictures. A checkpoint is written after each epoch; on SIGINT or SIGTERM
// the current step is finished, the checkpoint written and the program ends saying how to resume
// (--resume). Run through scripts/demo; --help lists the options.
//
// Started by mpirun or srun (scripts/demo --ranks N starts N local processes), it trains data-parallel:
// each rank computes its share of every batch and of the test set, and rank 0 alone prints and writes
// the summary, the model, the checkpoint and the pictures.
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

#include <typegrad/io/fashion_mnist.hpp>
#include <typegrad/io/model_file.hpp>
#include <typegrad/report/plots.hpp>
#include <typegrad/report/progress_bar.hpp>
#include <typegrad/train/classification_report.hpp>
#include <typegrad/train/stop_signals.hpp>
#include <typegrad/typegrad.hpp>
#ifdef TYPEGRAD_HAS_MPI
#include <typegrad/parallel/mpi.hpp>
#endif

#include "fashion_mnist_options.hpp"
#include "fashion_mnist_summary.hpp"

namespace tg = typegrad;

namespace {

const std::vector<std::string>& class_names = tg::io::fashion_mnist_class_names();

// The command that continues a stopped run: this run's options, with --resume <checkpoint>.
std::string resume_command(int argc, char** argv, const std::string& checkpoint, std::size_t ranks) {
    std::string command = "scripts/demo";
    if (ranks > 1) command += " --ranks " + std::to_string(ranks);
    for (int i = 1; i < argc; ++i) {
        const std::string argument = argv[i];
        if (argument == "--resume") ++i;  // and its value
        else if (!argument.starts_with("--resume=")) command += " " + argument;
    }
    return command + " --resume " + checkpoint;
}

}  // namespace

int main(int argc, char** argv) {
#ifdef TYPEGRAD_HAS_MPI
    std::optional<tg::mpi::environment> mpi;
    std::optional<tg::mpi::communicator> world;
    if (tg::mpi::launched_by_mpi()) {
        mpi.emplace(argc, argv);
        world.emplace();
    }
    tg::communicator* ranks = world && world->size() > 1 ? &*world : nullptr;
#else
    tg::communicator* ranks = nullptr;
#endif
    const bool leader = !ranks || ranks->rank() == 0;
    if (!leader && !std::freopen("/dev/null", "w", stdout)) return 1;  // rank 0 alone reports

    int exit_status = 0;
    const auto parsed = parse_options(argc, argv, exit_status);
    if (!parsed) return exit_status;
    const fashion_mnist_options& options = *parsed;

    try {
        const auto test = tg::io::read_fashion_mnist(options.data_dir, "t10k");
        std::filesystem::create_directories(options.out_dir);

        const auto pixels = tg::named_input<"pixels", 1, 28, 28>;
        const auto labels = tg::named_labels<"label", 10>;
        const auto logits = pixels | tg::conv2d<32, 3> | tg::relu | tg::max_pool<2> | tg::conv2d<64, 3> | tg::relu | tg::max_pool<2> |
                            tg::flatten | tg::dense<128>.with_init(tg::init_scheme::he_uniform) | tg::relu | tg::dropout(0.3) | tg::dense<10>;
        auto net = tg::compile<float>(tg::inputs(pixels, labels), tg::cross_entropy(logits, labels), logits);
        net.set_threads(options.threads);
        net.initialize(options.seed);

        run_summary run;
        if (!options.load.empty()) {
            tg::io::load_parameters(net, options.load);
            run.model_file = options.load;
            std::cout << "loaded " << options.load << "\n";
        }
        if (!options.evaluate) {
            const auto split = tg::split_validation(tg::io::read_fashion_mnist(options.data_dir, "train", options.limit), options.validation, options.seed);
            std::cout << "Fashion-MNIST from " << options.data_dir << ": " << split.train.size() << " training, " << split.validation.size()
                      << " validation and " << test.size() << " test images; " << (ranks ? std::to_string(ranks->size()) + " ranks x " : "")
                      << net.threads() << " thread(s)\n";
            net.summary(std::cout);

            tg::adam<float> optimiser{{.learning_rate = options.learning_rate}};
            tg::report::progress_bar progress{options.epochs};
            const std::atomic<bool>& stop = tg::stop_on_signals();
            if (!options.resume.empty()) std::cout << "resuming from " << options.resume << std::endl;  // flushed: a log shows it at once
            const auto start = std::chrono::steady_clock::now();
            run.history = tg::fit(net, optimiser, tg::with_validation(split.train, split.validation), pixels, labels, logits,
                                  {.epochs = options.epochs,
                                   .batch_size = options.batch,
                                   .seed = options.seed,
                                   .learning_rate_factor = tg::cosine_schedule{.epochs = options.epochs, .minimum = 0.1},
                                   .patience = options.patience,
                                   .on_batch = [&](const tg::batch_report& b) { progress.update(b); },
                                   .on_epoch =
                                       [&](const tg::epoch_report& e) {
                                           progress.finish_epoch(e);
                                           print_gradient_health(e, options.grad_report);
                                       },
                                   .check_finite = options.check_finite,
                                   .checkpoint = options.checkpoint,
                                   .resume = options.resume,
                                   .stop = &stop,
                                   .ranks = ranks});
            run.train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            if (!run.history.empty() && run.history.back().interrupted) {
                const tg::epoch_report& last = run.history.back();
                const char* signal = tg::stop_signal() == SIGTERM ? "SIGTERM" : "SIGINT";
                if (std::isnan(last.validation_loss))
                    std::printf("\nstopped by %s in epoch %zu after batch %zu; ", signal, last.epoch, last.batches);
                else
                    std::printf("\nstopped by %s after epoch %zu; ", signal, last.epoch);
                std::printf("the run is saved in %s\nto resume: %s\n", options.checkpoint.c_str(),
                            resume_command(argc, argv, options.checkpoint, ranks ? ranks->size() : 1).c_str());
                return 128 + tg::stop_signal();
            }
            if (leader) tg::io::save_parameters(net, options.save, {{"network", "W3"}, {"dataset", "fashion-mnist"}});
            run.model_file = options.save;
            std::printf("trained %zu epochs in %.1f s (%.1f min); the weights of the best validation epoch are kept and saved to %s\n",
                        run.history.size(), run.train_seconds, run.train_seconds / 60, options.save.c_str());
        }

        run.confusion = tg::confusion_matrix_of(net, test, pixels, logits, {.batch_size = 1000, .ranks = ranks});
        run.test_accuracy = run.confusion.accuracy();
        std::cout << "\nconfusion matrix on the " << test.size() << " test images (rows: true class, columns: predicted)\n";
        tg::print_confusion_matrix(std::cout, run.confusion, class_names);
        std::cout << "\n";
        tg::print_classification_report(std::cout, run.confusion, class_names);
        std::printf("\ntest accuracy %.2f %%\n", 100 * run.test_accuracy);

        if (leader) write_summary(options.json, run, options, class_names);
        std::cout << "summary: " << options.json << "\n";
        if (options.plots && leader) {
            const auto out = std::filesystem::path(options.out_dir);
            std::cout << "pictures:";
            if (!run.history.empty()) {  // --evaluate trains nothing: no learning curve
                tg::report::plot_learning_curve(run.history, out / "learning_curve.png");
                std::cout << " " << (out / "learning_curve.png").string();
            }
            tg::report::plot_confusion_matrix(run.confusion, class_names, out / "confusion_matrix.png");
            std::cout << " " << (out / "confusion_matrix.png").string() << "\n";
        }
        if (run.test_accuracy < options.min_accuracy) {
            std::printf("FAILED: test accuracy %.4f is below --min-accuracy %.4f\n", run.test_accuracy, options.min_accuracy);
            return 3;
        }
    } catch (const std::exception& error) {
        // A rank alone in its error would leave the others waiting: the job ends, naming the rank.
        if (ranks) ranks->abort("error (rank " + std::to_string(ranks->rank()) + " of " + std::to_string(ranks->size()) + "): " + error.what());
        std::cerr << "error: " << error.what() << "\n";
        return 1;
    }
    return 0;
}
