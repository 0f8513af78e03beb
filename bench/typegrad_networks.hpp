#pragma once
// typegrad's networks of the reference workloads (../shared/workloads.md), shared by the typegrad
// runner and by the code that draws the starting weights every implementation copies.
#include <typegrad/typegrad.hpp>

namespace bench::typegrad_networks {

namespace tg = typegrad;

// W1 (training) and W4 (inference): the tiny MLP.
inline const auto mlp_input = tg::named_input<"x", 16>;
inline const auto mlp_output = mlp_input | tg::dense<64> | tg::tanh | tg::dense<64> | tg::tanh | tg::dense<1>;

// W2: the MNIST MLP.
inline const auto mnist_mlp_pixels = tg::named_input<"pixels", 784>;
inline const auto mnist_mlp_logits = mnist_mlp_pixels | tg::dense<256> | tg::relu | tg::dense<128> | tg::relu | tg::dense<10>;

// W3: the LeNet-style CNN.
inline const auto cnn_pixels = tg::named_input<"pixels", 1, 28, 28>;
inline const auto cnn_logits = cnn_pixels | tg::conv2d<32, 3> | tg::relu | tg::max_pool<2> | tg::conv2d<64, 3> | tg::relu | tg::max_pool<2> |
                               tg::flatten | tg::dense<128> | tg::relu | tg::dense<10>;

// W6: the Galaxy Zoo-sized CNN (examples/galaxy_zoo trains it too, written out there for its readers).
inline const auto galaxy_image = tg::named_input<"image", 3, 64, 64>;
inline const auto galaxy_fractions = tg::named_target<"fractions", 37>;
inline const auto galaxy_votes = galaxy_image | tg::conv2d<32, 3, 1, tg::padding::same> | tg::relu | tg::max_pool<2>  //
                                 | tg::conv2d<64, 3, 1, tg::padding::same> | tg::relu | tg::max_pool<2>          //
                                 | tg::conv2d<128, 3, 1, tg::padding::same> | tg::relu | tg::global_average_pool  //
                                 | tg::dense<37> | tg::sigmoid;

inline auto w1_graph() { return tg::compile<float>(tg::mse_loss(mlp_output, tg::target<1>)); }
inline auto w2_graph() { return tg::compile<float>(tg::cross_entropy(mnist_mlp_logits, tg::labels<10>)); }
inline auto w3_graph() { return tg::compile<float>(tg::cross_entropy(cnn_logits, tg::labels<10>)); }
inline auto w4_graph() { return tg::compile<float>(mlp_output); }
inline auto w6_graph() { return tg::compile<float>(tg::mse_loss(galaxy_votes, galaxy_fractions), galaxy_votes); }

}  // namespace bench::typegrad_networks
