#include <typegrad/report/progress_bar.hpp>

#include <cmath>
#include <string>
#include <unistd.h>

namespace typegrad::report {

namespace {

std::string minutes_and_seconds(double seconds) {
    const auto whole = static_cast<long>(std::lround(std::max(0.0, seconds)));
    char text[32];
    std::snprintf(text, sizeof text, "%ld:%02ld", whole / 60, whole % 60);
    return text;
}

std::string percent_or_dash(double fraction) {
    if (std::isnan(fraction)) return "   -   ";
    char text[16];
    std::snprintf(text, sizeof text, "%6.2f%%", 100 * fraction);
    return text;
}

}  // namespace

progress_bar::progress_bar(std::size_t epochs, std::FILE* out) : progress_bar(epochs, out, ::isatty(::fileno(out)) != 0) {}
progress_bar::progress_bar(std::size_t epochs, std::FILE* out, bool live) : epochs_{epochs}, out_{out}, live_{live} {}

void progress_bar::update(const batch_report& p) {
    if (!live_) return;
    const auto now = std::chrono::steady_clock::now();
    if (p.batch != p.batches && now - last_drawn_ < std::chrono::milliseconds(100)) return;
    last_drawn_ = now;
    constexpr int width = 24;
    const int filled = int(double(width) * double(p.batch) / double(p.batches));
    const double per_batch = p.seconds / double(p.batch);
    const double epoch_left = per_batch * double(p.batches - p.batch);
    const double estimate = epochs_done_ ? seconds_per_epoch_ : per_batch * double(p.batches);
    const double left = epoch_left + estimate * double(epochs_ - p.epoch);
    std::fprintf(out_, "\r\033[Kepoch %zu/%zu [%s%s] %zu/%zu  loss %.4f  acc %s  %.0f img/s  ETA %s", p.epoch, epochs_,
                 std::string(std::size_t(filled), '#').c_str(), std::string(std::size_t(width - filled), '.').c_str(), p.batch, p.batches,
                 p.loss, percent_or_dash(p.accuracy).c_str(), double(p.samples) / std::max(p.seconds, 1e-9), minutes_and_seconds(left).c_str());
    std::fflush(out_);
}

void progress_bar::finish_epoch(const epoch_report& e) {
    seconds_per_epoch_ = (seconds_per_epoch_ * double(epochs_done_) + e.seconds) / double(epochs_done_ + 1);
    ++epochs_done_;
    if (live_) std::fputs("\r\033[K", out_);
    std::fprintf(out_, "epoch %3zu/%zu  loss %.4f  acc %s  val loss %.4f  val acc %s  lr %.2e  %5.1f s%s\n", e.epoch, epochs_, e.loss,
                 percent_or_dash(e.accuracy).c_str(), e.validation_loss, percent_or_dash(e.validation_accuracy).c_str(), e.learning_rate, e.seconds,
                 e.best ? "  (best)" : "");
    std::fflush(out_);
}

}  // namespace typegrad::report
