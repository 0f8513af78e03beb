// The 3x3 convolution layers of W3 (conv2) and W6 (conv1 to conv3) at the workloads' batch, in
// float, by every candidate kernel, in one Google Benchmark program so that they can be compared as
// ratios within one run:
//   im2col   today's path: ops::conv2d's own forward and backward (im2col + OpenBLAS GEMM)
//   wino2    kernels/winograd.hpp F(2x2, 3x3) (register-tile products, the default); wino2b: BLAS products
//   wino4    kernels/winograd.hpp F(4x4, 3x3) (register-tile products, the default); wino4b: BLAS products
//   dnnl-*   oneDNN (when built with it): auto, direct or winograd algorithm on the blocked layouts it
//            chooses (format_tag::any), reorders excluded; dnnl-auto-nchw: the same with the
//            reorders from and to NCHW included; dnnl-plain: primitives created on NCHW itself;
//            dnnl-auto-split, dnnl-auto-nchw-split: oneDNN on one OpenMP thread inside each of
//            typegrad's threads, each on its share of the batch; onednn_conv:
//            kernels/onednn_convolution.hpp (NCHW in and out, reorders included, backward-weights
//            split by filters).
// Directions: fwd (winograd: the weight transform included, it is done once per step), bwd_data,
// bwd_weights, bwd (both, as a training step needs them; Winograd shares the output gradient's
// transform between them), and step: fwd then bwd (W6's conv1, a first layer: fwd then bwd_weights).
// No bias anywhere. GFLOP/s counts the direct convolution's 2 * N * O * C * 9 * H' * W' per
// direction (twice that for bwd, three times for step, twice for a first layer's step), whatever
// the algorithm does.
// fma_peak/<threads> measures the machine's FMA throughput, the ceiling for all of them.
// Names: <layer>/<direction>/<variant>/<threads>. Run with --benchmark_enable_random_interleaving=true
// and --benchmark_repetitions=N; bench/conv_table.py makes the table from --benchmark_out.
// TYPEGRAD_WINOGRAD_GROUP=N in the environment sets the Winograd kernels' samples per group.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <typegrad/expr/conv2d.hpp>
#include <typegrad/kernels/gemm.hpp>
#include <typegrad/kernels/onednn_convolution.hpp>
#include <typegrad/kernels/parallel.hpp>
#include <typegrad/kernels/simd.hpp>
#include <typegrad/kernels/winograd.hpp>

#ifdef TYPEGRAD_HAS_ONEDNN
#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace {

namespace k = typegrad::kernels;

enum class direction { fwd, bwd_data, bwd_weights, bwd, step };
constexpr std::array directions{direction::fwd, direction::bwd_data, direction::bwd_weights, direction::bwd, direction::step};
const char* name_of(direction d) {
    switch (d) {
        case direction::fwd: return "fwd";
        case direction::bwd_data: return "bwd_data";
        case direction::bwd_weights: return "bwd_weights";
        case direction::bwd: return "bwd";
        default: return "step";
    }
}

// A layer's shapes, and its tensors filled once (inputs as after relu, He-uniform weights, normal gradients).
struct layer_data {
    k::conv_shape shape;
    std::size_t batch;
    bool first_layer = false;  // a network's first layer: no input gradient in a step
    std::vector<float> x, w, y, gy, gx, gw;
    layer_data(const k::conv_shape& s, std::size_t n)
        : shape(s), batch(n), x(n * s.in_channels * s.plane.height * s.plane.width), w(s.out_channels * s.in_channels * 9),
          y(n * s.out_channels * s.plane.out_height * s.plane.out_width), gy(y.size()), gx(x.size()), gw(w.size()) {
        std::mt19937 rng(1);
        std::uniform_real_distribution<float> unit(0, 1), symmetric(-1, 1);
        std::normal_distribution<float> normal;
        for (float& v : x) v = unit(rng);
        for (float& v : w) v = std::sqrt(6.0f / float(s.in_channels * 9)) * symmetric(rng);
        for (float& v : gy) v = normal(rng);
    }
    double flops() const {
        const auto& g = shape.plane;
        return 2.0 * double(batch * shape.out_channels * shape.in_channels * 9 * g.out_height * g.out_width);
    }
};

// A layer of the workloads as a type, for today's ops::conv2d.
template <std::size_t C, std::size_t H, std::size_t W>
using input_of = typegrad::operand<typegrad::shape<C, H, W>, true>;

template <std::size_t C, std::size_t O, std::size_t H, std::size_t W, typegrad::padding Pad, std::size_t Batch>
struct layer {
    using X = input_of<C, H, W>;
    using op = typegrad::ops::conv2d<O, 3, 1, Pad, false>;
    static k::conv_shape shape() { return {op::template traits<X>::geometry, C, O}; }
    static constexpr std::size_t batch = Batch, filters = O;
};

using w3_conv2 = layer<32, 64, 13, 13, typegrad::padding::valid, 64>;
using w6_conv1 = layer<3, 32, 64, 64, typegrad::padding::same, 32>;
using w6_conv2 = layer<32, 64, 32, 32, typegrad::padding::same, 32>;
using w6_conv3 = layer<64, 128, 16, 16, typegrad::padding::same, 32>;

// One pass of a direction; made once per benchmark, outside the timed loop.
using pass = std::function<void()>;

std::unique_ptr<k::thread_pool> pool_of(std::size_t threads) { return threads > 1 ? std::make_unique<k::thread_pool>(threads) : nullptr; }

// Today's path: the op's own forward and backward; bwd_weights is its backward without an input
// gradient, bwd_data the second half of its backward (the same kernels: GEMM and col2im).
template <class Layer>
pass im2col_pass(layer_data& d, direction dir, k::thread_pool* pool, std::vector<float>& scratch) {
    using X = typename Layer::X;
    using op = typename Layer::op;
    using t = typename op::template traits<X>;
    scratch.assign(op::template scratch_size<float, X>(d.batch), 0.f);
    typegrad::op_args<float> a;
    a.batch = d.batch;
    a.in[0] = d.x.data();
    a.out = d.y.data();
    a.params = d.w.data();
    a.param_grads = d.gw.data();
    a.grad_out = d.gy.data();
    a.scratch = scratch.data();
    a.pool = pool;
    switch (dir) {
        case direction::fwd: return [a] { op{}.template forward<float, X>(a); };
        case direction::bwd_weights: return [a] { op{}.template backward<float, X>(a); };
        case direction::bwd: {
            typegrad::op_args<float> b = a;
            b.grad_in[0] = d.gx.data();
            b.grad_in_fresh[0] = true;
            return [b] { op{}.template backward<float, X>(b); };
        }
        default: {
            float* gx = d.gx.data();
            return [a, gx] {
                op::template for_each_group<X>(a.batch, [&](std::size_t first, std::size_t count) {
                    k::parallel_for(a.pool, count, [&](std::size_t begin, std::size_t end) {
                        for (std::size_t i = begin; i < end; ++i) {
                            float* cols = a.scratch + i * t::patch * t::plane;
                            k::gemm(k::transpose::yes, k::transpose::no, t::patch, t::plane, Layer::filters, 1.f, a.params, t::patch,
                                    a.grad_out + (first + i) * Layer::filters * t::plane, t::plane, 0.f, cols, t::plane);
                            float* g = gx + (first + i) * X::shape::size;
                            std::fill_n(g, X::shape::size, 0.f);
                            k::col2im_add(t::geometry, t::in::channels, cols, g);
                        }
                    });
                });
            };
        }
    }
}

template <std::size_t M>
pass winograd_pass(layer_data& d, direction dir, k::thread_pool* pool, k::winograd_product product, std::vector<float>& scratch,
                   std::vector<float>& weights) {
    const k::winograd_settings settings{std::getenv("TYPEGRAD_WINOGRAD_GROUP") ? std::size_t(std::atoi(std::getenv("TYPEGRAD_WINOGRAD_GROUP"))) : 0, product};
    scratch.assign(k::winograd_scratch_size<M, float>(d.shape, d.batch, settings), 0.f);
    weights.assign(k::winograd_weights_size<M>(d.shape), 0.f);
    k::winograd_transform_weights<M>(d.shape, d.w.data(), weights.data(), pool);
    float *u = weights.data(), *s = scratch.data();
    switch (dir) {
        case direction::fwd:
            return [&d, u, s, pool, settings] {
                k::winograd_transform_weights<M>(d.shape, d.w.data(), u, pool);
                k::winograd_forward<M>(d.shape, d.batch, u, d.x.data(), static_cast<const float*>(nullptr), d.y.data(), s, pool, settings);
            };
        case direction::bwd_data:
            return [&d, u, s, pool, settings] {
                k::winograd_backward<M>(d.shape, d.batch, u, d.x.data(), d.gy.data(), d.gx.data(), true, static_cast<float*>(nullptr), s, pool, settings);
            };
        case direction::bwd_weights:
            return [&d, u, s, pool, settings] {
                k::winograd_backward<M>(d.shape, d.batch, u, d.x.data(), d.gy.data(), static_cast<float*>(nullptr), true, d.gw.data(), s, pool, settings);
            };
        default:
            return [&d, u, s, pool, settings] {
                k::winograd_backward<M>(d.shape, d.batch, u, d.x.data(), d.gy.data(), d.gx.data(), true, d.gw.data(), s, pool, settings);
            };
    }
}

#ifdef TYPEGRAD_HAS_ONEDNN
// oneDNN's primitives for one layer and direction, with their memories. `layout`: blocked (the
// formats the primitive prefers, data reordered into them once), nchw (the same primitives, the
// reorders from and to NCHW / OIHW in every pass), plain (primitives on NCHW / OIHW themselves).
enum class dnnl_layout { blocked, nchw, plain };

struct dnnl_runner {
    dnnl::engine engine{dnnl::engine::kind::cpu, 0};
    dnnl::stream stream{engine};
    std::vector<std::function<void()>> steps;
    std::vector<dnnl::memory> keep;

    // A memory in `chosen`'s format for the plain tensor at `data`; with `into`, reorder the plain
    // data into it (once now for blocked, in every pass for nchw), else out of it after the primitive.
    dnnl::memory operand(const dnnl::memory::desc& chosen, const dnnl::memory::desc& plain, float* data, bool input, dnnl_layout layout,
                         std::vector<std::function<void()>>& before, std::vector<std::function<void()>>& after) {
        dnnl::memory user(plain, engine, data);
        keep.push_back(user);
        if (chosen == plain) return user;
        dnnl::memory inner(chosen, engine);
        keep.push_back(inner);
        if (input) {
            dnnl::reorder r(user, inner);
            if (layout == dnnl_layout::nchw)
                before.push_back([this, r, user, inner]() mutable { r.execute(stream, user, inner); });
            else
                r.execute(stream, user, inner), stream.wait();
        } else if (layout == dnnl_layout::nchw) {
            dnnl::reorder r(inner, user);
            after.push_back([this, r, user, inner]() mutable { r.execute(stream, inner, user); });
        }
        return inner;
    }

    // The tensors of samples [first, first + count) of d; the weight gradient into gw.
    dnnl_runner(layer_data& d, std::size_t first, std::size_t count, float* gw, direction dir, dnnl::algorithm algorithm, dnnl_layout layout)
        : dnnl_runner(d.shape, count, d.x.data() + first * d.x.size() / d.batch, d.w.data(), d.y.data() + first * d.y.size() / d.batch,
                      d.gy.data() + first * d.gy.size() / d.batch, d.gx.data() + first * d.gx.size() / d.batch, gw, dir, algorithm, layout) {}

    struct tensors {
        float *x, *w, *y, *gy, *gx, *gw;
    };
    dnnl_runner(const k::conv_shape& shape, std::size_t batch, float* x_data, float* w_data, float* y_data, float* gy_data, float* gx_data,
                float* gw_data, direction dir, dnnl::algorithm algorithm, dnnl_layout layout) {
        const struct {
            k::conv_shape shape;
            std::size_t batch;
        } d{shape, batch};
        const tensors t{x_data, w_data, y_data, gy_data, gx_data, gw_data};
        using tag = dnnl::memory::format_tag;
        using dt = dnnl::memory::data_type;
        const auto& g = d.shape.plane;
        const auto n = dnnl::memory::dim(d.batch), c = dnnl::memory::dim(d.shape.in_channels), o = dnnl::memory::dim(d.shape.out_channels);
        const dnnl::memory::dims src_dims{n, c, dnnl::memory::dim(g.height), dnnl::memory::dim(g.width)}, weight_dims{o, c, 3, 3},
            dst_dims{n, o, dnnl::memory::dim(g.out_height), dnnl::memory::dim(g.out_width)};
        const dnnl::memory::dims strides{1, 1}, pad_before{dnnl::memory::dim(g.pad_top), dnnl::memory::dim(g.pad_left)};
        const dnnl::memory::dims pad_after{dnnl::memory::dim(g.out_height + 2 - g.height - g.pad_top), dnnl::memory::dim(g.out_width + 2 - g.width - g.pad_left)};
        const dnnl::memory::desc src_plain(src_dims, dt::f32, tag::nchw), weight_plain(weight_dims, dt::f32, tag::oihw), dst_plain(dst_dims, dt::f32, tag::nchw);
        const bool any = layout != dnnl_layout::plain;
        const dnnl::memory::desc src_md = any ? dnnl::memory::desc(src_dims, dt::f32, tag::any) : src_plain;
        const dnnl::memory::desc weight_md = any ? dnnl::memory::desc(weight_dims, dt::f32, tag::any) : weight_plain;
        const dnnl::memory::desc dst_md = any ? dnnl::memory::desc(dst_dims, dt::f32, tag::any) : dst_plain;
        // Each primitive its own scratchpad: the library's shared one may not be used by two threads at once.
        dnnl::primitive_attr attr;
        attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
        const dnnl::convolution_forward::primitive_desc forward_pd(
            dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, algorithm, src_md, weight_md, dst_md, strides, pad_before, pad_after), attr,
            engine);
        std::vector<std::function<void()>> before, after;
        const auto add = [&](auto primitive, const auto& pd, std::unordered_map<int, dnnl::memory> args) {
            args[DNNL_ARG_SCRATCHPAD] = dnnl::memory(pd.scratchpad_desc(), engine);
            steps.insert(steps.end(), before.begin(), before.end());
            steps.push_back([this, primitive, args] { primitive.execute(stream, args); });
            steps.insert(steps.end(), after.begin(), after.end());
            before.clear();
            after.clear();
        };
        const auto data_pass = [&] {
            const dnnl::convolution_backward_data::primitive_desc pd(
                dnnl::convolution_backward_data::desc(algorithm, src_md, weight_md, dst_md, strides, pad_before, pad_after), attr, engine,
                forward_pd);
            implementation += std::string(pd.impl_info_str()) + " ";
            auto gy = operand(pd.diff_dst_desc(), dst_plain, t.gy, true, layout, before, after);
            auto w = operand(pd.weights_desc(), weight_plain, t.w, true, layout, before, after);
            auto gx = operand(pd.diff_src_desc(), src_plain, t.gx, false, layout, before, after);
            add(dnnl::convolution_backward_data(pd), pd, {{DNNL_ARG_DIFF_DST, gy}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DIFF_SRC, gx}});
        };
        const auto weights_pass = [&] {
            const dnnl::convolution_backward_weights::primitive_desc pd(
                dnnl::convolution_backward_weights::desc(algorithm, src_md, weight_md, dst_md, strides, pad_before, pad_after), attr, engine,
                forward_pd);
            implementation += std::string(pd.impl_info_str()) + " ";
            auto x = operand(pd.src_desc(), src_plain, t.x, true, layout, before, after);
            auto gy = operand(pd.diff_dst_desc(), dst_plain, t.gy, true, layout, before, after);
            auto gw = operand(pd.diff_weights_desc(), weight_plain, t.gw, false, layout, before, after);
            add(dnnl::convolution_backward_weights(pd), pd, {{DNNL_ARG_SRC, x}, {DNNL_ARG_DIFF_DST, gy}, {DNNL_ARG_DIFF_WEIGHTS, gw}});
        };
        switch (dir) {
            case direction::fwd: {
                implementation = forward_pd.impl_info_str();
                auto x = operand(forward_pd.src_desc(), src_plain, t.x, true, layout, before, after);
                auto w = operand(forward_pd.weights_desc(), weight_plain, t.w, true, layout, before, after);
                auto y = operand(forward_pd.dst_desc(), dst_plain, t.y, false, layout, before, after);
                add(dnnl::convolution_forward(forward_pd), forward_pd, {{DNNL_ARG_SRC, x}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, y}});
                break;
            }
            case direction::bwd_data: data_pass(); break;
            case direction::bwd_weights: weights_pass(); break;
            default: data_pass(), weights_pass();
        }
    }
    void operator()() {
        for (auto& step : steps) step();
        stream.wait();
    }
    std::string implementation;
};
#endif

struct variant {
    std::string name;
    // Builds the pass for a layer, direction and thread count; null if the variant cannot do it.
    std::function<pass(layer_data&, direction, std::size_t threads, k::thread_pool*)> make;
};

void run(benchmark::State& state, layer_data& d, direction dir, const variant& v, std::size_t threads) {
    k::keep_blas_single_threaded();
    const auto pool = pool_of(threads);
    pass p;
    try {
        if (dir == direction::step) {
            pass forward = v.make(d, direction::fwd, threads, pool.get());
            pass backward = v.make(d, d.first_layer ? direction::bwd_weights : direction::bwd, threads, pool.get());
            if (forward && backward) p = [forward, backward] { forward(), backward(); };
        } else {
            p = v.make(d, dir, threads, pool.get());
        }
    } catch (const std::exception& e) {
        state.SkipWithError(e.what());
        return;
    }
    if (!p) {
        state.SkipWithError("not available");
        return;
    }
    p();  // warm-up: first touch of the memories, JIT code, threads awake
    for (auto _ : state) {
        p();
        benchmark::ClobberMemory();
    }
    const double passes = dir == direction::bwd ? 2 : dir == direction::step ? (d.first_layer ? 2 : 3) : 1;
    state.counters["GFLOP/s"] = benchmark::Counter(d.flops() * passes, benchmark::Counter::kIsIterationInvariantRate);
}

// The layers' per-variant scratch lives as long as the program: one set per layer.
struct layer_entry {
    std::string name;
    std::unique_ptr<layer_data> data;
    std::function<pass(layer_data&, direction, k::thread_pool*)> im2col;
};

template <class Layer>
layer_entry entry(const char* name) {
    auto scratch = std::make_shared<std::vector<float>>();
    return {name, std::make_unique<layer_data>(Layer::shape(), Layer::batch),
            [scratch](layer_data& d, direction dir, k::thread_pool* pool) { return im2col_pass<Layer>(d, dir, pool, *scratch); }};
}

// FMA throughput: independent chains of vector multiply-adds, more than the FMA latency times the
// number of FMA units, kept in registers.
void fma_peak(benchmark::State& state) {
    const std::size_t threads = std::size_t(state.range(0));
    const auto pool = pool_of(threads);
    constexpr std::size_t chains = 16, rounds = 1 << 16, lanes = k::simd_bytes / sizeof(float);
    std::vector<float> sinks(threads * 64);
    const auto kernel = [&](std::size_t begin, std::size_t end) {
        for (std::size_t t = begin; t < end; ++t) {
            std::array<k::simd<float>, chains> acc;
            for (std::size_t c = 0; c < chains; ++c) acc[c] = k::simd<float>{} + float(c + t);
            const k::simd<float> scale = k::simd<float>{} + 0.999999f, shift = k::simd<float>{} + 1e-7f;
            for (std::size_t r = 0; r < rounds; ++r) {
                [&]<std::size_t... C>(std::index_sequence<C...>) { ((acc[C] = acc[C] * scale + shift), ...); }(std::make_index_sequence<chains>{});
            }
            float total = 0;
            for (const auto& a : acc) total += a[0];
            sinks[t * 64] = total;
        }
    };
    for (auto _ : state) {
        k::parallel_for(pool.get(), threads, kernel);
        benchmark::DoNotOptimize(sinks.data());
    }
    state.counters["GFLOP/s"] = benchmark::Counter(double(threads * rounds * chains * lanes * 2), benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

int main(int argc, char** argv) {
    static std::vector<layer_entry> layers;
    layers.push_back(entry<w3_conv2>("W3conv2"));
    layers.push_back(entry<w6_conv1>("W6conv1"));
    layers.back().data->first_layer = true;
    layers.push_back(entry<w6_conv2>("W6conv2"));
    layers.push_back(entry<w6_conv3>("W6conv3"));

    static std::vector<variant> variants;
    variants.push_back({"im2col", nullptr});  // per layer, below
    const auto winograd = [](std::size_t m, k::winograd_product product) {
        auto scratch = std::make_shared<std::vector<float>>(), weights = std::make_shared<std::vector<float>>();
        return [=](layer_data& d, direction dir, std::size_t, k::thread_pool* pool) {
            return m == 2 ? winograd_pass<2>(d, dir, pool, product, *scratch, *weights) : winograd_pass<4>(d, dir, pool, product, *scratch, *weights);
        };
    };
    variants.push_back({"wino2", winograd(2, k::winograd_product::register_tiles)});
    variants.push_back({"wino2b", winograd(2, k::winograd_product::blas)});
    variants.push_back({"wino4", winograd(4, k::winograd_product::register_tiles)});
    variants.push_back({"wino4b", winograd(4, k::winograd_product::blas)});
#ifdef TYPEGRAD_HAS_ONEDNN
    const auto onednn = [](dnnl::algorithm algorithm, dnnl_layout layout) {
        return [=](layer_data& d, direction dir, std::size_t threads, k::thread_pool*) -> pass {
            omp_set_num_threads(int(threads));
            auto runner = std::make_shared<dnnl_runner>(d, 0, d.batch, d.gw.data(), dir, algorithm, layout);
            return [runner] { (*runner)(); };
        };
    };
    // oneDNN on one OpenMP thread per typegrad thread, each on its share of the batch (the weight
    // gradients of the shares added in order): typegrad's pool stays the only threads that run.
    const auto onednn_split = [](dnnl::algorithm algorithm, dnnl_layout layout) {
        return [=](layer_data& d, direction dir, std::size_t threads, k::thread_pool* pool) -> pass {
            omp_set_num_threads(1);
            auto partial = std::make_shared<std::vector<float>>(threads * d.gw.size());
            auto runners = std::make_shared<std::vector<std::unique_ptr<dnnl_runner>>>();
            for (std::size_t i = 0; i < threads; ++i) {
                const k::chunk_range r = k::chunk_of(d.batch, threads, i);
                runners->push_back(std::make_unique<dnnl_runner>(d, r.begin, r.end - r.begin, partial->data() + i * d.gw.size(), dir, algorithm, layout));
            }
            const bool weights = dir == direction::bwd_weights || dir == direction::bwd;
            return [runners, partial, pool, weights, &d] {
                k::parallel_for(pool, runners->size(), [&](std::size_t begin, std::size_t end) {
                    omp_set_num_threads(1);
                    for (std::size_t i = begin; i < end; ++i) (*(*runners)[i])();
                });
                if (weights)
                    for (std::size_t i = 0; i < runners->size(); ++i)
                        for (std::size_t j = 0; j < d.gw.size(); ++j) d.gw[j] = (i == 0 ? 0.f : d.gw[j]) + (*partial)[i * d.gw.size() + j];
            };
        };
    };
    variants.push_back({"dnnl-auto", onednn(dnnl::algorithm::convolution_auto, dnnl_layout::blocked)});
    variants.push_back({"dnnl-direct", onednn(dnnl::algorithm::convolution_direct, dnnl_layout::blocked)});
    variants.push_back({"dnnl-wino", onednn(dnnl::algorithm::convolution_winograd, dnnl_layout::blocked)});
    variants.push_back({"dnnl-auto-nchw", onednn(dnnl::algorithm::convolution_auto, dnnl_layout::nchw)});
    variants.push_back({"dnnl-plain", onednn(dnnl::algorithm::convolution_auto, dnnl_layout::plain)});
    variants.push_back({"dnnl-auto-split", onednn_split(dnnl::algorithm::convolution_auto, dnnl_layout::blocked)});
    // kernels/onednn_convolution.hpp, as the conv2d op would call it.
    variants.push_back({"onednn_conv", [](layer_data& d, direction dir, std::size_t threads, k::thread_pool* pool) -> pass {
                            auto conv = std::make_shared<k::onednn_convolution>(d.shape, d.batch, threads);
                            const bool data = dir != direction::bwd_weights, weights = dir == direction::bwd_weights || dir == direction::bwd;
                            if (dir == direction::fwd) return [conv, &d, pool] { conv->forward(d.x.data(), d.w.data(), d.y.data(), pool); };
                            return [conv, &d, pool, data, weights] {
                                conv->backward(d.x.data(), d.w.data(), d.gy.data(), data ? d.gx.data() : nullptr, true, weights ? d.gw.data() : nullptr,
                                               pool);
                            };
                        }});
    variants.push_back({"dnnl-auto-nchw-split", onednn_split(dnnl::algorithm::convolution_auto, dnnl_layout::nchw)});
#endif

    for (const int threads : {1, 2}) benchmark::RegisterBenchmark("fma_peak", fma_peak)->Arg(threads)->UseRealTime();
    for (auto& l : layers)
        for (const direction dir : directions)
            for (const auto& v : variants)
                for (const std::size_t threads : {std::size_t{1}, std::size_t{2}}) {
                    const std::string name = l.name + "/" + name_of(dir) + "/" + v.name + "/" + std::to_string(threads);
                    layer_entry* le = &l;
                    const variant* vp = &v;
                    benchmark::RegisterBenchmark(name.c_str(), [le, dir, vp, threads](benchmark::State& state) {
                        if (vp->name == "im2col") {
                            const variant own{"im2col", [le](layer_data& d, direction di, std::size_t, k::thread_pool* pool) { return le->im2col(d, di, pool); }};
                            run(state, *le->data, dir, own, threads);
                        } else {
                            run(state, *le->data, dir, *vp, threads);
                        }
                    })->UseRealTime()->Unit(benchmark::kMicrosecond);
                }
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
}
