// The workloads as a PyTorch user writes them in C++: torch::nn::Sequential, torch::optim::SGD (lr
// 0.01, no momentum; W5: torch::optim::Adam with its defaults, lr 1e-3), MSE or cross-entropy; W4
// under c10::InferenceMode. Layers are numbered as in typegrad's parameter names ("0.weight",
// "3.bias"), so the starting weights are copied by name.
#include "libtorch_workloads.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>

#include "../blas_threads.hpp"

namespace bench {

namespace {

namespace nn = torch::nn;

nn::Sequential network_for(workload w) {
    switch (w) {
        case workload::w1:
        case workload::w4: return nn::Sequential(nn::Linear(16, 64), nn::Tanh(), nn::Linear(64, 64), nn::Tanh(), nn::Linear(64, 1));
        case workload::w2: return nn::Sequential(nn::Linear(784, 256), nn::ReLU(), nn::Linear(256, 128), nn::ReLU(), nn::Linear(128, 10));
        case workload::w3:
        case workload::w5:
            return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(1, 32, 3)), nn::ReLU(), nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(2)),
                                  nn::Conv2d(nn::Conv2dOptions(32, 64, 3)), nn::ReLU(), nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(2)),
                                  nn::Flatten(), nn::Linear(1600, 128), nn::ReLU(), nn::Linear(128, 10));
    }
    throw std::logic_error("libtorch: unknown workload");
}

std::vector<std::int64_t> sizes_of(std::size_t batch, const std::vector<std::size_t>& shape) {
    std::vector<std::int64_t> sizes{std::int64_t(batch)};
    for (const std::size_t d : shape) sizes.push_back(std::int64_t(d));
    return sizes;
}

std::vector<std::size_t> shape_of(const torch::Tensor& t) { return {t.sizes().begin(), t.sizes().end()}; }

template <class T>
torch::Tensor tensor_from(const std::vector<T>& values, const std::vector<std::int64_t>& sizes, torch::Dtype type) {
    return torch::from_blob(const_cast<T*>(values.data()), sizes, type).clone();
}

named_tensor named_copy(const std::string& name, const torch::Tensor& t) {
    const torch::Tensor c = t.contiguous();
    return {name, shape_of(c), {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()}};
}

void load_starting_weights(nn::Sequential& net, const workload_setup& setup) {
    torch::NoGradGuard no_grad;
    const auto parameters = net->named_parameters();
    if (parameters.size() != setup.initial_parameters.size())
        throw std::invalid_argument("libtorch: the network has " + std::to_string(parameters.size()) + " parameter tensors, the starting weights " +
                                    std::to_string(setup.initial_parameters.size()));
    for (const auto& p : parameters) {
        const named_tensor& source = parameter_named(setup, p.key());
        if (source.shape != shape_of(p.value())) throw std::invalid_argument("libtorch: parameter " + p.key() + " has another shape in the starting weights");
        p.value().copy_(torch::from_blob(const_cast<float*>(source.values.data()), p.value().sizes()));
    }
}

std::unique_ptr<torch::optim::Optimizer> optimizer_for(workload w, const std::vector<torch::Tensor>& parameters) {
    if (w == workload::w5) return std::make_unique<torch::optim::Adam>(parameters, torch::optim::AdamOptions(1e-3));
    return std::make_unique<torch::optim::SGD>(parameters, torch::optim::SGDOptions(0.01));
}

torch::Tensor labels_from(const std::vector<std::int32_t>& labels) {
    return tensor_from(labels, {std::int64_t(labels.size())}, torch::kInt).to(torch::kLong);
}

// Samples [b.first, b.first + b.size) of a tensor of samples: the tensor itself when the batch is all
// of it (W1-W3), so that their steps make no view.
torch::Tensor rows_of(const torch::Tensor& samples, batch_order::batch b) {
    return b.first == 0 && std::int64_t(b.size) == samples.size(0) ? samples : samples.narrow(0, std::int64_t(b.first), std::int64_t(b.size));
}

class libtorch_runner final : public workload_runner {
public:
    libtorch_runner(workload w, std::size_t threads) : workload_{w}, setup_{setup_of(w)}, order_{setup_}, net_{network_for(w)} {
        torch::set_num_threads(int(threads));
        set_blas_threads(threads);
        load_starting_weights(net_, setup_);
        inputs_ = tensor_from(setup_.inputs, sizes_of(setup_.samples(), setup_.sample_shape), torch::kFloat);
        if (w == workload::w1) targets_ = tensor_from(setup_.targets, {std::int64_t(setup_.samples()), 1}, torch::kFloat);
        if (!setup_.labels.empty()) targets_ = labels_from(setup_.labels);
        if (w != workload::w4) optimizer_ = optimizer_for(w, net_->parameters());
    }

    void step() override {
        if (workload_ == workload::w4) {
            c10::InferenceMode inference;
            output_ = net_->forward(inputs_);
            return;
        }
        const batch_order::batch b = order_.next();
        optimizer_->zero_grad();
        const torch::Tensor output = net_->forward(rows_of(inputs_, b));
        const torch::Tensor targets = rows_of(targets_, b);
        loss_ = workload_ == workload::w1 ? torch::mse_loss(output, targets) : nn::functional::cross_entropy(output, targets);
        loss_.backward();
        optimizer_->step();
    }

    double test_accuracy() override {
        if (setup_.test_inputs.empty()) return workload_runner::test_accuracy();
        c10::InferenceMode inference;
        const torch::Tensor images = tensor_from(setup_.test_inputs, sizes_of(setup_.test_labels.size(), setup_.sample_shape), torch::kFloat);
        const torch::Tensor labels = labels_from(setup_.test_labels);
        std::int64_t correct = 0;
        for (std::int64_t first = 0; first < images.size(0); first += std::int64_t(setup_.batch)) {
            const std::int64_t count = std::min(std::int64_t(setup_.batch), images.size(0) - first);
            const torch::Tensor predicted = net_->forward(images.narrow(0, first, count)).argmax(1);
            correct += predicted.eq(labels.narrow(0, first, count)).sum().item<std::int64_t>();
        }
        return double(correct) / double(images.size(0));
    }

    step_record last_step() override {
        if (workload_ == workload::w4) return {0, {named_copy("output", output_)}};
        step_record record{loss_.item<double>(), {}};
        for (const auto& p : net_->named_parameters()) record.tensors.push_back(named_copy(p.key(), p.value().grad()));
        return record;
    }

private:
    workload workload_;
    const workload_setup& setup_;
    batch_order order_;
    nn::Sequential net_;
    std::unique_ptr<torch::optim::Optimizer> optimizer_;
    torch::Tensor inputs_, targets_, output_, loss_;
};

}  // namespace

std::unique_ptr<workload_runner> make_libtorch_runner(workload w, std::size_t threads) { return std::make_unique<libtorch_runner>(w, threads); }

}  // namespace bench
