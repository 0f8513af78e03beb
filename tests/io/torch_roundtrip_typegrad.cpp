// typegrad's half of the round trip with PyTorch; tests/io/torch_roundtrip.py writes PyTorch's files,
// runs this program and compares. `torch_roundtrip_typegrad DIR`: for each network (mlp, cnn, bn) and
// element type (f32, f64), with N-T = <network>-<type>, in DIR it
//   reads  N-T-torch.safetensors (the weights PyTorch initialised) and N-T-input.safetensors ("input"),
//   writes N-T-outputs.safetensors ("output": typegrad's outputs of those weights, evaluation mode),
//          N-T-trained.safetensors (typegrad's own weights after a few SGD steps on synthetic data) and
//          N-T-trained-outputs.safetensors (the outputs of those weights, saved and loaded back, on the input).
// Any fault ends with a message naming the file, and exit status 1.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include <typegrad/io/model_file.hpp>
#include <typegrad/typegrad.hpp>

namespace fs = std::filesystem;
namespace tg = typegrad;
namespace io = typegrad::io;

namespace {

// The networks of torch_roundtrip.py, layer for layer, so that the torch.nn.Sequential indices match.
const auto mlp_x = tg::named_input<"x", 8>;
const auto mlp = mlp_x | tg::dense<32> | tg::tanh | tg::dense<32> | tg::relu | tg::dense<16> | tg::sigmoid | tg::dense<3>;

const auto cnn_pixels = tg::named_input<"pixels", 1, 28, 28>;
const auto cnn = cnn_pixels | tg::conv2d<32, 3> | tg::relu | tg::max_pool<2> | tg::conv2d<64, 3> | tg::relu | tg::max_pool<2> | tg::flatten |
                 tg::dense<128> | tg::relu | tg::dropout(0.3) | tg::dense<10>;

const auto bn_pixels = tg::named_input<"pixels", 1, 8, 8>;
const auto bn = bn_pixels | tg::conv2d<8, 3> | tg::batch_norm | tg::relu | tg::max_pool<2> | tg::flatten | tg::dense<16> | tg::batch_norm | tg::relu |
                tg::dense<4>;

constexpr std::size_t train_batch = 16, train_steps = 5;

template <class Shape>
std::vector<std::size_t> batch_shape(std::size_t batch) {
    std::vector<std::size_t> shape{batch};
    shape.insert(shape.end(), Shape::dims.begin(), Shape::dims.end());
    return shape;
}

// The tensor "input" of a file written by PyTorch: [batch, the network's input shape].
template <class T, class Shape>
std::vector<T> read_input(const fs::path& path, std::size_t& batch) {
    const io::safetensors_file file = io::read_safetensors(path);
    const auto found = file.tensors.find("input");
    if (found == file.tensors.end()) throw io::io_error(path.string() + ": no tensor \"input\"");
    const io::stored_tensor& t = found->second;
    batch = t.shape.empty() ? 0 : t.shape[0];
    if (t.type != io::element_type_of<T> || t.shape != batch_shape<Shape>(batch))
        throw io::io_error(path.string() + ": tensor \"input\" is " + std::string(io::name_of(t.type)) + " " + io::shape_text(t.shape) +
                           ", expected " + std::string(io::name_of(io::element_type_of<T>)) + " " + io::shape_text(batch_shape<Shape>(batch)));
    std::vector<T> values(batch * Shape::size);
    std::memcpy(values.data(), file.data.data() + t.begin, t.end - t.begin);
    return values;
}

// Loads `weights` into the network and writes its outputs on `x` in evaluation mode (dropout off) as
// "output" [batch, outputs].
template <class T, class Input, class Output>
void write_outputs(const Input& input, const Output& output, const fs::path& weights, const std::vector<T>& x, std::size_t batch,
                   const fs::path& path) {
    auto net = tg::compile<T>(output);
    io::load_parameters(net, weights);
    net.set_training(false);
    net.bind(input, std::span<const T>(x));
    net.forward(batch);
    const std::vector<io::tensor_to_write> tensors{
        {"output", io::element_type_of<T>, batch_shape<typename Output::shape>(batch), net.value(output).data()}};
    io::write_safetensors(path, tensors);
}

// Trains the network from typegrad's own initialisation for a few SGD steps on synthetic data (the
// truth bound to `truth`: targets or labels) and saves its weights to `weights`.
template <class T, class Loss, class Input, class Truth, class Value>
void train_and_save(const Loss& loss, const Input& input, const Truth& truth, const std::vector<Value>& truth_values, tg::random_generator& rng,
                    const fs::path& weights) {
    auto net = tg::compile<T>(loss);
    net.initialize(rng.next());
    std::vector<T> x(train_batch * Input::shape::size);
    for (T& v : x) v = static_cast<T>(rng.uniform(-1, 1));
    net.bind(input, std::span<const T>(x));
    net.bind(truth, std::span<const Value>(truth_values));
    const std::vector<T> initial(net.parameters().begin(), net.parameters().end());
    tg::sgd<T> opt{{.learning_rate = 0.05, .momentum = 0.9}};
    double first_loss = 0;
    for (std::size_t step = 0; step < train_steps; ++step) {
        net.forward(train_batch);
        if (step == 0) first_loss = double(net.loss());
        net.backward();
        tg::step(opt, net);
    }
    net.forward(train_batch);
    // Direction (b) must carry weights that typegrad changed, not only its initialisation.
    if (std::equal(initial.begin(), initial.end(), net.parameters().begin()))
        throw io::io_error(weights.string() + ": training did not change the weights");
    std::printf("%s: %zu SGD steps, training loss %.6f -> %.6f\n", weights.filename().c_str(), train_steps, first_loss, double(net.loss()));
    io::save_parameters(net, weights, {{"written_by", "typegrad tests/io/torch_roundtrip_typegrad"}});
}

template <class T, class Input, class Output, class Loss, class Truth, class Value>
void round_trip(const fs::path& dir, const std::string& stem, const Input& input, const Output& output, const Loss& loss, const Truth& truth,
                const std::vector<Value>& truth_values, tg::random_generator& rng) {
    std::size_t batch = 0;
    const std::vector<T> x = read_input<T, typename Input::shape>(dir / (stem + "-input.safetensors"), batch);
    write_outputs<T>(input, output, dir / (stem + "-torch.safetensors"), x, batch, dir / (stem + "-outputs.safetensors"));
    train_and_save<T>(loss, input, truth, truth_values, rng, dir / (stem + "-trained.safetensors"));
    write_outputs<T>(input, output, dir / (stem + "-trained.safetensors"), x, batch, dir / (stem + "-trained-outputs.safetensors"));
}

template <class T>
void round_trips(const fs::path& dir, const std::string& type) {
    tg::random_generator rng{2026};
    // Random targets for the MLP, random labels for the CNN: any loss that moves the weights will do.
    std::vector<T> targets(train_batch * 3);
    for (T& t : targets) t = static_cast<T>(rng.uniform(-1, 1));
    round_trip<T>(dir, "mlp-" + type, mlp_x, mlp, tg::mse_loss(mlp, tg::target<3>), tg::target<3>, targets, rng);
    std::vector<std::int32_t> labels(train_batch);
    for (auto& l : labels) l = static_cast<std::int32_t>(rng.below(10));
    round_trip<T>(dir, "cnn-" + type, cnn_pixels, cnn, tg::cross_entropy(cnn, tg::labels<10>), tg::labels<10>, labels, rng);
    // Training-mode steps move the running statistics, which the file must carry to PyTorch.
    for (auto& l : labels) l = static_cast<std::int32_t>(rng.below(4));
    round_trip<T>(dir, "bn-" + type, bn_pixels, bn, tg::cross_entropy(bn, tg::labels<4>), tg::labels<4>, labels, rng);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s DIR (see tests/io/torch_roundtrip.py)\n", argv[0]);
        return 2;
    }
    try {
        round_trips<float>(argv[1], "f32");
        round_trips<double>(argv[1], "f64");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "torch_roundtrip_typegrad: %s\n", e.what());
        return 1;
    }
    return 0;
}
