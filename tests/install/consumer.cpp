// A user's program built against an installed typegrad (pkg-config) or typegrad as a Meson
// subproject: uses the headers, the compiled library (the IDX and HDF5 readers) and BLAS.
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
    try {
        tg::io::hdf5_reader{"/nonexistent.h5"};
        return 1;
    } catch (const tg::io::io_error&) {
    }
    std::printf("consumer: loss %.4f -> %.4f\n", double(first), double(g.loss()));
    return g.loss() < first ? 0 : 1;
}
