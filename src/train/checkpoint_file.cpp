#include <typegrad/train/checkpoint_file.hpp>

#include <charconv>
#include <cstring>
#include <system_error>

#include <nlohmann/json.hpp>

#include <typegrad/io/safetensors.hpp>
#include <typegrad/io/tensor_checks.hpp>

namespace typegrad {

namespace {

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

}  // namespace

void write_checkpoint_file(const std::string& path, const std::vector<checkpoint_tensor>& tensors, const checkpoint_metadata& metadata) {
    std::vector<io::tensor_to_write> files;
    files.reserve(tensors.size());
    for (const auto& t : tensors) files.push_back({t.name, t.f64 ? io::element_type::f64 : io::element_type::f32, t.shape, t.data});
    std::map<std::string, std::string> entries(metadata.begin(), metadata.end());
    entries[checkpoint_format_key] = checkpoint_format;
    io::write_safetensors(path, files, entries);
}

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

std::string checkpoint_text(double value) {
    char buffer[64];
    const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);  // the shortest text that reads back the same double
    return std::string(buffer, end);
}

std::string checkpoint_text(std::size_t value) { return std::to_string(value); }

// The four words of the generator in hex, then the spare normal deviate (when there is one).
std::string checkpoint_text(const random_generator::state_type& generator) {
    std::string text;
    for (const std::uint64_t word : generator.words) text += hex_word(word) + " ";
    return text + (generator.spare_normal_valid ? checkpoint_text(generator.spare_normal) : "-");
}

std::string checkpoint_text(std::span<const double> values) {
    std::string text;
    for (const double v : values) text += (text.empty() ? "" : " ") + checkpoint_text(v);
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

struct checkpoint_reader::impl {
    explicit impl(io::safetensors_file f) : file{std::move(f)} {}
    impl(const impl&) = delete;  // `check` refers to `file`
    impl& operator=(const impl&) = delete;

    io::safetensors_file file;
    io::tensor_check check{file};
};

checkpoint_reader::checkpoint_reader(const std::string& path) : impl_{std::make_unique<impl>(io::read_safetensors(path))} {
    const auto& metadata = impl_->file.metadata;
    const auto format = metadata.find(checkpoint_format_key);
    if (format == metadata.end() || format->second != checkpoint_format)
        throw io::io_error(impl_->file.path + ": not a typegrad checkpoint (its __metadata__ lacks \"" + checkpoint_format_key + "\": \"" +
                           checkpoint_format + "\"; a model file is read by io::load_parameters)");
}

checkpoint_reader::~checkpoint_reader() = default;

void checkpoint_reader::expect_tensors(std::span<const parameter_tensor> tensors, bool f64, const std::string& prefix) {
    impl_->check.expect(tensors, f64 ? io::element_type::f64 : io::element_type::f32, prefix);
}

std::vector<std::size_t> checkpoint_reader::order(const std::string& name, std::size_t n) {
    const io::stored_tensor* s = impl_->check.expect_present(name);
    if (!s) return {};
    if (s->type != io::element_type::f64 || s->shape != std::vector<std::size_t>{n}) {
        differs("tensor \"" + name + "\" is " + std::string(io::name_of(s->type)) + " " + io::shape_text(s->shape) + ", the shuffler's order of this dataset is F64 [" +
                std::to_string(n) + "]");
        return {};
    }
    std::vector<double> values(n);
    std::memcpy(values.data(), impl_->file.data.data() + s->begin, n * sizeof(double));
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
    const auto found = impl_->file.metadata.find(key);
    if (found != impl_->file.metadata.end()) return found->second;
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
    if (values.size() != n && !(t.empty() && !impl_->file.metadata.contains(key)))
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

void checkpoint_reader::differs(std::string line) { impl_->check.problems.push_back(std::move(line)); }

void checkpoint_reader::finish() {
    impl_->check.no_others("part of this network, optimiser or run");
    impl_->check.refuse_if_any("cannot resume from this checkpoint, it does not fit this run");
}

void checkpoint_reader::copy(const std::string& name, void* destination) const {
    const io::stored_tensor& s = impl_->file.tensors.at(name);
    std::memcpy(destination, impl_->file.data.data() + s.begin, s.end - s.begin);
}

}  // namespace typegrad
