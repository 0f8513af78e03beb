// The workloads as a PyTorch user writes them in C++: torch::nn::Sequential, torch::optim::SGD (lr
// 0.01, no momentum), MSE or cross-entropy; W4 under c10::InferenceMode. Layers are numbered as in
// typegrad's parameter names ("0.weight", "3.bias"), so the starting weights are copied by name.
#include "libtorch_workloads.hpp"

#include <torch/torch.h>

#include <optional>
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

class libtorch_runner final : public workload_runner {
public:
    libtorch_runner(workload w, std::size_t threads) : workload_{w}, net_{network_for(w)} {
        torch::set_num_threads(int(threads));
        set_blas_threads(threads);
        const workload_setup& setup = setup_of(w);
        load_starting_weights(net_, setup);
        inputs_ = tensor_from(setup.inputs, sizes_of(setup.batch, setup.sample_shape), torch::kFloat);
        if (w == workload::w1) targets_ = tensor_from(setup.targets, {std::int64_t(setup.batch), 1}, torch::kFloat);
        if (!setup.labels.empty()) targets_ = tensor_from(setup.labels, {std::int64_t(setup.batch)}, torch::kInt).to(torch::kLong);
        if (w != workload::w4) optimizer_.emplace(net_->parameters(), torch::optim::SGDOptions(0.01));
    }

    void step() override {
        if (workload_ == workload::w4) {
            c10::InferenceMode inference;
            output_ = net_->forward(inputs_);
            return;
        }
        optimizer_->zero_grad();
        const torch::Tensor output = net_->forward(inputs_);
        loss_ = workload_ == workload::w1 ? torch::mse_loss(output, targets_) : nn::functional::cross_entropy(output, targets_);
        loss_.backward();
        optimizer_->step();
    }

    step_record last_step() override {
        if (workload_ == workload::w4) return {0, {named_copy("output", output_)}};
        step_record record{loss_.item<double>(), {}};
        for (const auto& p : net_->named_parameters()) record.tensors.push_back(named_copy(p.key(), p.value().grad()));
        return record;
    }

private:
    workload workload_;
    nn::Sequential net_;
    std::optional<torch::optim::SGD> optimizer_;
    torch::Tensor inputs_, targets_, output_, loss_;
};

}  // namespace

std::unique_ptr<workload_runner> make_libtorch_runner(workload w, std::size_t threads) { return std::make_unique<libtorch_runner>(w, threads); }

}  // namespace bench
