// A user's program built against an installed typegrad (pkg-config) or typegrad as a Meson
// subproject: uses the headers, the compiled library (the IDX and HDF5 readers, the whitener and
// through it LAPACK) and BLAS.
#include <cmath>
#include <cstdio>

#include <typegrad/io/hdf5.hpp>
#include <typegrad/io/idx.hpp>
#include <typegrad/typegrad.hpp>

namespace tg = typegrad;

int main() {
    const auto net = tg::input<2> | tg::dense<8> | tg::tanh | tg::dense<1>;
    auto g = tg::compile<float>(tg::mse_loss(net, tg::target<1>));
    const float xs[] = {0, 0, 0, 1, 1, 0, 1, 1}, ts[] = {0, 1, 1, 0};
    g.bind(tg::input<2>, xs);
    g.bind(tg::target<1>, ts);
    tg::sgd<float> opt{{.learning_rate = 0.1}};
    g.forward(4);
    const float first = g.loss();
    for (int i = 0; i < 50; ++i) {
        g.forward(4);
        g.backward();
        tg::step(opt, g);
    }
    try {
        tg::io::read_idx("/nonexistent.idx");
        return 1;
    } catch (const tg::io::io_error&) {
    }
    // Whitening the XOR inputs: their covariance is I / 4, so ZCA doubles each centred value.
    tg::dataset<float> inputs{2, 1, {0, 0, 0, 1, 1, 0, 1, 1}, {0, 1, 1, 0}};
    tg::whitener<float> whiten{{.kind = tg::whitening::zca, .epsilon = 0}};
    whiten.fit(inputs);
    whiten.apply(inputs);
    const bool white = std::abs(inputs.features[0] + 1) < 1e-6 && std::abs(inputs.features[7] - 1) < 1e-6;
    try {
        tg::io::hdf5_reader{"/nonexistent.h5"};
        return 1;
    } catch (const tg::io::io_error&) {
    }
    std::printf("consumer: loss %.4f -> %.4f; whitened first input (%.3f, %.3f)\n", double(first), double(g.loss()), double(inputs.features[0]),
                double(inputs.features[1]));
    return g.loss() < first && white ? 0 : 1;
}
