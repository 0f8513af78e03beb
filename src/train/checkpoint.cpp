#include <typegrad/train/checkpoint.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <map>
#include <system_error>

#include <nlohmann/json.hpp>

#include <typegrad/io/safetensors.hpp>
#include <typegrad/io/tensor_checks.hpp>

namespace typegrad {

namespace {

// The __metadata__ entry that marks a file as a checkpoint, and its value for this layout.
constexpr const char* checkpoint_format_key = "format";
constexpr const char* checkpoint_format = "typegrad checkpoint 1";

// A tensor to write: product(shape) values of float or double.
struct checkpoint_tensor {
    std::string name;
    std::vector<std::size_t> shape;
    bool f64;
    const void* data;
};

using checkpoint_metadata = std::vector<std::pair<std::string, std::string>>;

// Atomic (io::write_safetensors): until the new file replaces it, the previous checkpoint at `path`
// stays whole, so an interruption while writing never leaves a broken checkpoint.
void write_checkpoint_file(const std::string& path, const std::vector<checkpoint_tensor>& tensors, const checkpoint_metadata& metadata);

// Exact text forms of the scalar state: numbers round-trip bit for bit.
std::string checkpoint_text(double value);
std::string checkpoint_text(std::size_t value);
std::string checkpoint_text(std::span<const double> values);
std::string checkpoint_text(std::span<const epoch_report> history);

// Reads a checkpoint, then checks it piece by piece. Each difference from what the run expects is
// collected; finish() throws one io::io_error naming the file and listing every tensor or entry that
// differs. Nothing read is to be used before finish() returns.
class checkpoint_reader {
public:
    explicit checkpoint_reader(const std::string& path);  // throws io::io_error for an unreadable or non-checkpoint file
    checkpoint_reader(const checkpoint_reader&) = delete;  // check_ refers to file_
    checkpoint_reader& operator=(const checkpoint_reader&) = delete;

    // Each of `tensors`, named `prefix` + its name, as the network has it (dtype and shape).
    void expect_tensors(std::span<const parameter_tensor> tensors, bool f64, const std::string& prefix = "");
    // A permutation of [0, n), stored as F64 (exact for any n below 2^53).
    std::vector<std::size_t> order(const std::string& name, std::size_t n);
    // __metadata__ entries; a missing or malformed one is a difference (and reads as 0 or empty).
    std::string text(const std::string& key);
    std::size_t count(const std::string& key);
    double number(const std::string& key);
    std::vector<double> numbers(const std::string& key, std::size_t n);
    random_generator::state_type generator(const std::string& key);
    std::vector<epoch_report> history(const std::string& key);
    // A difference the caller found (a batch size, an optimiser).
    void differs(std::string line);

    // Throws if anything differs, or if the file holds a tensor the run does not expect.
    void finish();
    // A checked tensor's values, after finish().
    void copy(const std::string& name, void* destination) const;

private:
    io::safetensors_file file_;
    io::tensor_check check_{file_};
};

template <class Number>
bool parse(const std::string& text, Number& value) {
    const char* end = text.data() + text.size();
    const auto [stop, error] = std::from_chars(text.data(), end, value);
    return error == std::errc{} && stop == end && !text.empty();
}

bool parse_hex(const std::string& text, std::uint64_t& value) {
    const char* end = text.data() + text.size();
    const auto [stop, error] = std::from_chars(text.data(), end, value, 16);
    return error == std::errc{} && stop == end && !text.empty();
}

std::string hex_word(std::uint64_t word) {
    char buffer[17];
    const auto [end, error] = std::to_chars(buffer, buffer + 16, word, 16);
    return std::string(16 - std::size_t(end - buffer), '0') + std::string(buffer, end);
}

void write_checkpoint_file(const std::string& path, const std::vector<checkpoint_tensor>& tensors, const checkpoint_metadata& metadata) {
    std::vector<io::tensor_to_write> files;
    files.reserve(tensors.size());
    for (const auto& t : tensors) files.push_back({t.name, t.f64 ? io::element_type::f64 : io::element_type::f32, t.shape, t.data});
    std::map<std::string, std::string> entries(metadata.begin(), metadata.end());
    entries[checkpoint_format_key] = checkpoint_format;
    io::write_safetensors(path, files, entries);
}

std::string checkpoint_text(double value) {
    char buffer[64];
    const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);  // the shortest text that reads back the same double
    return std::string(buffer, end);
}

std::string checkpoint_text(std::size_t value) { return std::to_string(value); }

std::string checkpoint_text(std::span<const double> values) {
    std::string text;
    for (const double v : values) {  // piece by piece: g++ 12 -O3 warns falsely (-Wrestrict) on a chain of string +
        if (!text.empty()) text += ' ';
        text += checkpoint_text(v);
    }
    return text;
}

// JSON, with every number as its exact text (JSON has no NaN, and "not measured" is a NaN).
std::string checkpoint_text(std::span<const epoch_report> history) {
    nlohmann::json epochs = nlohmann::json::array();
    for (const epoch_report& e : history) {
        nlohmann::json norms = nlohmann::json::array();
        for (const tensor_norms& n : e.norms) norms.push_back({n.name, checkpoint_text(n.parameter_norm), checkpoint_text(n.gradient_norm)});
        epochs.push_back({{"epoch", e.epoch},
                          {"loss", checkpoint_text(e.loss)},
                          {"accuracy", checkpoint_text(e.accuracy)},
                          {"validation_loss", checkpoint_text(e.validation_loss)},
                          {"validation_accuracy", checkpoint_text(e.validation_accuracy)},
                          {"learning_rate", checkpoint_text(e.learning_rate)},
                          {"seconds", checkpoint_text(e.seconds)},
                          {"best", e.best},
                          {"batches", e.batches},
                          {"norms", norms}});
    }
    return epochs.dump();
}

checkpoint_reader::checkpoint_reader(const std::string& path) : file_{io::read_safetensors(path)} {
    const auto& metadata = file_.metadata;
    const auto format = metadata.find(checkpoint_format_key);
    if (format == metadata.end() || format->second != checkpoint_format)
        throw io::io_error(file_.path + ": not a typegrad checkpoint (its __metadata__ lacks \"" + checkpoint_format_key + "\": \"" +
                           checkpoint_format + "\"; a model file is read by io::load_parameters)");
}

void checkpoint_reader::expect_tensors(std::span<const parameter_tensor> tensors, bool f64, const std::string& prefix) {
    check_.expect(tensors, f64 ? io::element_type::f64 : io::element_type::f32, prefix);
}

std::vector<std::size_t> checkpoint_reader::order(const std::string& name, std::size_t n) {
    const io::stored_tensor* s = check_.expect_present(name);
    if (!s) return {};
    if (s->type != io::element_type::f64 || s->shape != std::vector<std::size_t>{n}) {
        differs("tensor \"" + name + "\" is " + std::string(io::name_of(s->type)) + " " + io::shape_text(s->shape) + ", the shuffler's order of this dataset is F64 [" +
                std::to_string(n) + "]");
        return {};
    }
    std::vector<double> values(n);
    std::memcpy(values.data(), file_.data.data() + s->begin, n * sizeof(double));
    std::vector<std::size_t> order(n);
    std::vector<bool> seen(n, false);
    for (std::size_t i = 0; i < n; ++i) {
        const double v = values[i];
        if (!(v >= 0 && v < double(n)) || v != double(std::size_t(v)) || seen[std::size_t(v)]) {
            differs("tensor \"" + name + "\" is not a permutation of the " + std::to_string(n) + " samples (value " + checkpoint_text(v) + " at index " +
                    std::to_string(i) + ")");
            return {};
        }
        seen[std::size_t(v)] = true;
        order[i] = std::size_t(v);
    }
    return order;
}

std::string checkpoint_reader::text(const std::string& key) {
    const auto found = file_.metadata.find(key);
    if (found != file_.metadata.end()) return found->second;
    differs("metadata \"" + key + "\" is missing");
    return {};
}

std::size_t checkpoint_reader::count(const std::string& key) {
    const std::string t = text(key);
    std::size_t value = 0;
    if (!t.empty() && !parse(t, value)) differs("metadata \"" + key + "\" is \"" + t + "\", not a count");
    return value;
}

double checkpoint_reader::number(const std::string& key) {
    const std::string t = text(key);
    double value = 0;
    if (!t.empty() && !parse(t, value)) differs("metadata \"" + key + "\" is \"" + t + "\", not a number");
    return value;
}

std::vector<double> checkpoint_reader::numbers(const std::string& key, std::size_t n) {
    const std::string t = text(key);
    std::vector<double> values;
    std::size_t begin = 0;
    while (begin < t.size()) {
        const std::size_t end = std::min(t.find(' ', begin), t.size());
        double v = 0;
        if (!parse(t.substr(begin, end - begin), v)) break;
        values.push_back(v);
        begin = end + 1;
    }
    if (values.size() != n && !(t.empty() && !file_.metadata.contains(key)))
        differs("metadata \"" + key + "\" holds " + std::to_string(values.size()) + " numbers, this network needs " + std::to_string(n));
    values.resize(n);
    return values;
}

random_generator::state_type checkpoint_reader::generator(const std::string& key) {
    const std::string t = text(key);
    random_generator::state_type state{};
    if (t.empty()) return state;
    bool good = t.size() > 4 * 17;
    for (std::size_t i = 0; good && i < 4; ++i) good = parse_hex(t.substr(17 * i, 16), state.words[i]) && t[17 * i + 16] == ' ';
    const std::string spare = good ? t.substr(4 * 17) : "";
    state.spare_normal_valid = spare != "-";
    if (good && state.spare_normal_valid) good = parse(spare, state.spare_normal);
    if (!good) differs("metadata \"" + key + "\" is \"" + t + "\", not a random generator's state");
    return state;
}

std::vector<epoch_report> checkpoint_reader::history(const std::string& key) {
    const std::string t = text(key);
    std::vector<epoch_report> history;
    if (t.empty()) return history;
    const auto number_of = [](const nlohmann::json& j) {
        double v = 0;
        if (!j.is_string() || !parse(j.get<std::string>(), v)) throw std::invalid_argument("not a number");
        return v;
    };
    try {
        for (const auto& e : nlohmann::json::parse(t)) {
            epoch_report r{.epoch = e.at("epoch").get<std::size_t>(),
                           .loss = number_of(e.at("loss")),
                           .accuracy = number_of(e.at("accuracy")),
                           .validation_loss = number_of(e.at("validation_loss")),
                           .validation_accuracy = number_of(e.at("validation_accuracy")),
                           .learning_rate = number_of(e.at("learning_rate")),
                           .seconds = number_of(e.at("seconds")),
                           .best = e.at("best").get<bool>(),
                           .batches = e.at("batches").get<std::size_t>()};
            for (const auto& n : e.at("norms")) r.norms.push_back({n.at(0).get<std::string>(), number_of(n.at(1)), number_of(n.at(2))});
            history.push_back(std::move(r));
        }
    } catch (const std::exception& error) {
        differs("metadata \"" + key + "\" is not a history of epochs (" + error.what() + ")");
        history.clear();
    }
    return history;
}

void checkpoint_reader::differs(std::string line) { check_.problems.push_back(std::move(line)); }

void checkpoint_reader::finish() {
    check_.no_others("part of this network, optimiser or run");
    check_.refuse_if_any("cannot resume from this checkpoint, it does not fit this run");
}

void checkpoint_reader::copy(const std::string& name, void* destination) const {
    const io::stored_tensor& s = file_.tensors.at(name);
    std::memcpy(destination, file_.data.data() + s.begin, s.end - s.begin);
}

std::string optimizer_prefix(const std::string& kind, const std::string& vector) { return "optimizer." + kind + "." + vector + "."; }
const std::string best_prefix = "early_stopping.best.";

}  // namespace

// FNV-1a over 8-byte words (then the tail bytes): a few milliseconds for Fashion-MNIST.
std::uint64_t checkpoint_fingerprint(std::span<const std::byte> features, std::span<const std::byte> targets) {
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    for (const auto bytes : {features, targets}) {
        std::size_t i = 0;
        for (; i + 8 <= bytes.size(); i += 8) {
            std::uint64_t word;
            std::memcpy(&word, bytes.data() + i, 8);
            hash = (hash ^ word) * 0x100000001b3ULL;
        }
        for (; i < bytes.size(); ++i) hash = (hash ^ std::uint64_t(bytes[i])) * 0x100000001b3ULL;
        hash = (hash ^ bytes.size()) * 0x100000001b3ULL;
    }
    return hash;
}

// The four words of the generator in hex, then the spare normal deviate (when there is one).
std::string checkpoint_text(const random_generator::state_type& generator) {
    std::string text;
    for (const std::uint64_t word : generator.words) text += hex_word(word) + " ";
    return text + (generator.spare_normal_valid ? checkpoint_text(generator.spare_normal) : "-");
}

template <class T>
void write_checkpoint(const std::string& path, const run_parts<T>& run, const fit_state<T>& state) {
    constexpr bool f64 = std::is_same_v<T, double>;
    std::vector<checkpoint_tensor> out;
    const auto add_all = [&](const std::string& prefix, const T* flat) {
        for (const auto& t : run.tensors) out.push_back({prefix + t.name, t.shape, f64, flat + t.offset});
    };
    const auto add_state = [&](const std::string& prefix, const T* flat) {
        for (const auto& t : run.state_tensors) out.push_back({prefix + t.name, t.shape, f64, flat + t.offset});
    };
    add_all("", run.parameters.data());
    add_state("", run.state.data());
    const optimizer_state<T>& optimiser = run.optimiser;
    const std::vector<T> zeros(optimiser.vectors.empty() ? 0 : run.parameters.size(), T(0));  // before the first step: zeros act the same
    for (const auto& [name, values] : optimiser.vectors) add_all(optimizer_prefix(optimiser.kind, name), values.empty() ? zeros.data() : values.data());
    if (!state.best_parameters.empty()) {
        add_all(best_prefix, state.best_parameters.data());
        add_state(best_prefix, state.best_state.data());
    }
    const std::vector<double> order(run.order.begin(), run.order.end());
    out.push_back({"shuffler.order", {order.size()}, true, order.data()});

    const checkpoint_metadata metadata{
        {"position.epoch", checkpoint_text(state.epoch)},
        {"position.batch", checkpoint_text(state.batch)},
        {"position.steps", checkpoint_text(state.steps)},
        {"epoch.loss_sum", checkpoint_text(state.loss_sum)},
        {"epoch.seconds", checkpoint_text(state.seconds)},
        {"epoch.samples", checkpoint_text(state.samples)},
        {"epoch.correct", checkpoint_text(state.correct)},
        {"epoch.gradient_norm_sums", checkpoint_text(std::span<const double>(state.gradient_norm_sums))},
        {"early_stopping.best_loss", checkpoint_text(state.best_loss)},
        {"early_stopping.epochs_since_best", checkpoint_text(state.epochs_since_best)},
        {"early_stopping.best_weights", state.best_parameters.empty() ? "none" : "kept"},
        {"learning_rate.base", checkpoint_text(state.base_learning_rate)},
        {"run.batch_size", checkpoint_text(state.batch_size)},
        {"run.samples", checkpoint_text(run.order.size())},
        {"run.shuffle", state.shuffle ? "true" : "false"},
        {"run.data_fingerprint", checkpoint_text(std::size_t(state.data_fingerprint))},
        {"optimizer", optimiser.kind},
        {"optimizer.steps", checkpoint_text(optimiser.steps)},
        {"shuffler.generator", checkpoint_text(run.shuffler)},
        {"shuffler.position", checkpoint_text(run.position)},
        {"dropout.generator", checkpoint_text(run.dropout)},
        {"history", checkpoint_text(std::span<const epoch_report>(state.history))},
    };
    write_checkpoint_file(path, out, metadata);
}

template <class T>
void read_checkpoint(const std::string& path, run_parts<T>& run, fit_state<T>& state) {
    constexpr bool f64 = std::is_same_v<T, double>;
    checkpoint_reader file{path};
    const auto& tensors = run.tensors;
    const std::size_t n = run.order.size();
    file.expect_tensors(tensors, f64);
    file.expect_tensors(run.state_tensors, f64);

    optimizer_state<T> optimiser = run.optimiser;
    const std::string kind = file.text("optimizer");
    if (!kind.empty() && kind != optimiser.kind)
        file.differs("the optimiser is " + kind + ", this run's is " + optimiser.kind);
    else
        for (const auto& v : optimiser.vectors) file.expect_tensors(tensors, f64, optimizer_prefix(optimiser.kind, v.first));
    optimiser.steps = file.count("optimizer.steps");

    fit_state<T> loaded = state;
    const std::string best = file.text("early_stopping.best_weights");
    if (best == "kept") {
        file.expect_tensors(tensors, f64, best_prefix);
        file.expect_tensors(run.state_tensors, f64, best_prefix);
    }
    else if (!best.empty() && best != "none") file.differs("metadata \"early_stopping.best_weights\" is \"" + best + "\", not \"kept\" or \"none\"");
    const std::size_t samples = file.count("run.samples");
    if (samples != n)
        file.differs("the run trained on " + std::to_string(samples) + " samples, this one has " + std::to_string(n));
    const std::vector<std::size_t> order = file.order("shuffler.order", n);
    const std::size_t position = file.count("shuffler.position");
    const auto shuffler = file.generator("shuffler.generator");
    const auto dropout = file.generator("dropout.generator");

    const std::size_t batch_size = file.count("run.batch_size");
    if (batch_size != state.batch_size)
        file.differs("the batch size is " + std::to_string(batch_size) + ", this run's is " + std::to_string(state.batch_size));
    const std::size_t fingerprint = file.count("run.data_fingerprint");
    if (fingerprint != std::size_t(state.data_fingerprint))
        file.differs("the training data differ from the run's: same number of samples, other values or another order (fingerprint " +
                     std::to_string(fingerprint) + ", this run's " + std::to_string(state.data_fingerprint) + ")");
    const std::string shuffle = file.text("run.shuffle");
    if (shuffle != (state.shuffle ? "true" : "false")) file.differs("shuffling is " + shuffle + ", this run's is " + (state.shuffle ? "true" : "false"));
    const double rate = file.number("learning_rate.base");
    if (!(rate == state.base_learning_rate || (std::isnan(rate) && std::isnan(state.base_learning_rate))))
        file.differs("the base learning rate is " + checkpoint_text(rate) + ", this run's is " + checkpoint_text(state.base_learning_rate));

    loaded.epoch = file.count("position.epoch");
    loaded.batch = file.count("position.batch");
    loaded.steps = file.count("position.steps");
    loaded.loss_sum = file.number("epoch.loss_sum");
    loaded.seconds = file.number("epoch.seconds");
    loaded.samples = file.count("epoch.samples");
    loaded.correct = file.count("epoch.correct");
    loaded.gradient_norm_sums = file.numbers("epoch.gradient_norm_sums", tensors.size());
    loaded.best_loss = file.number("early_stopping.best_loss");
    loaded.epochs_since_best = file.count("early_stopping.epochs_since_best");
    loaded.history = file.history("history");
    if (loaded.epoch == 0) file.differs("metadata \"position.epoch\" is 0; epochs count from 1");
    if (loaded.batch > 0 && position != std::min(loaded.batch * state.batch_size, n))
        file.differs("metadata \"shuffler.position\" is " + std::to_string(position) + ", which is not where batch " + std::to_string(loaded.batch) +
                     " ends");
    if (position > n) file.differs("metadata \"shuffler.position\" is past the end of the order");
    file.finish();

    // All checked: from here on nothing fails, so the run is restored whole or not at all.
    std::vector<T> parameters(run.parameters.size());
    for (const auto& t : tensors) file.copy(t.name, parameters.data() + t.offset);
    for (auto& [name, values] : optimiser.vectors) {
        values.resize(parameters.size());
        for (const auto& t : tensors) file.copy(optimizer_prefix(optimiser.kind, name) + t.name, values.data() + t.offset);
    }
    std::vector<T> layer_state(run.state.size());
    for (const auto& t : run.state_tensors) file.copy(t.name, layer_state.data() + t.offset);
    loaded.best_parameters.clear();
    loaded.best_state.clear();
    if (best == "kept") {
        loaded.best_parameters.resize(parameters.size());
        for (const auto& t : tensors) file.copy(best_prefix + t.name, loaded.best_parameters.data() + t.offset);
        loaded.best_state.resize(layer_state.size());
        for (const auto& t : run.state_tensors) file.copy(best_prefix + t.name, loaded.best_state.data() + t.offset);
    }
    run.parameters = std::move(parameters);
    run.state = std::move(layer_state);
    run.optimiser = std::move(optimiser);
    run.order = order;
    run.position = position;
    run.shuffler = shuffler;
    run.dropout = dropout;
    state = std::move(loaded);
}

template void write_checkpoint<float>(const std::string&, const run_parts<float>&, const fit_state<float>&);
template void write_checkpoint<double>(const std::string&, const run_parts<double>&, const fit_state<double>&);
template void read_checkpoint<float>(const std::string&, run_parts<float>&, fit_state<float>&);
template void read_checkpoint<double>(const std::string&, run_parts<double>&, fit_state<double>&);

}  // namespace typegrad
