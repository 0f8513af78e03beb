#pragma once
// 2-D convolution in float by oneDNN (Debian: libdnnl-dev), for builds configured with the Meson
// feature `onednn` found (TYPEGRAD_HAS_ONEDNN defined, typegrad_onednn_dep linked); elsewhere
// onednn_available is false and the caller keeps its own kernels (kernels/winograd.hpp, im2col).
//
// Tensors stay NCHW / OIHW as in the rest of typegrad: each call reorders them into the blocked
// layouts oneDNN's fast primitives want and back (format_tag::any lets it choose). The primitives
// are created once per shape and batch size, when the graph plans its memory, never in a step.
//
// Algorithm: oneDNN's Winograd (F(4x4, 3x3), AVX-512) for 3x3 stride-1 layers of at least 16 input
// channels, its direct kernels otherwise, or where its Winograd is not built for the CPU.
// (convolution_auto chooses Winograd for the forward even with 3 input channels, where it was 6
// times slower than direct, and direct for backward-weights, where Winograd was 1.4 times faster on
// W3 and W6: bench/conv_kernels, 2026-12-01.)
//
// Threads: typegrad's pool only. Debian's oneDNN runs on OpenMP; here each of the pool's threads
// runs its own primitives on one OpenMP thread: forward and backward-data on its share of the
// samples, backward-weights on its share of the filters (over the whole batch, reading its rows of
// the output gradient in place), so no sum is split between threads.
#include <cstddef>
#include <algorithm>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <typegrad/kernels/convolution.hpp>
#include <typegrad/kernels/parallel.hpp>

#ifdef TYPEGRAD_HAS_ONEDNN
#include <oneapi/dnnl/dnnl.hpp>

// The OpenMP runtime Debian's oneDNN runs on (libgomp), called directly, declared as libgomp's
// <omp.h> does: with clang++'s -fopenmp and <omp.h>, these would reach LLVM's libomp instead, whose
// settings oneDNN never reads.
extern "C" {
int omp_get_max_threads() noexcept;
void omp_set_num_threads(int threads) noexcept;
}
#endif

namespace typegrad::kernels {

#ifdef TYPEGRAD_HAS_ONEDNN
inline constexpr bool onednn_available = true;

class onednn_convolution {
public:
    // Primitives for exactly `batch` samples split over `threads` threads (the pool's size; fewer
    // shares when there are fewer samples or filters).
    onednn_convolution(const conv_shape& s, std::size_t batch, std::size_t threads) : shape_(s), batch_(batch) {
        const one_openmp_thread single;  // oneDNN plans its primitives for the threads it will have
        const std::size_t shares = std::max<std::size_t>(std::min({threads, batch, s.out_channels}), 1);
        for (std::size_t i = 0; i < shares; ++i) {
            const chunk_range samples = chunk_of(batch, shares, i), filters = chunk_of(s.out_channels, shares, i);
            shares_.push_back(std::make_unique<share>(s, samples, filters, batch));
        }
    }

    std::size_t batch() const { return batch_; }

    // oneDNN's names of the implementations chosen (forward, backward-data, backward-weights), for reports.
    std::string implementations() const {
        const share& first = *shares_.front();
        return first.names[0] + ", " + first.names[1] + ", " + first.names[2];
    }

    // y = x convolved with w ([out, in, K, K]), no bias.
    void forward(const float* x, const float* w, float* y, thread_pool* pool) {
        run(pool, [&](share& sh) {
            sh.x.set(x + sh.samples.begin * input_size());
            sh.w.set(w);
            sh.y.set(y + sh.samples.begin * output_size());
            sh.forward.run(sh.stream);
        });
    }

    // gx = (gx_fresh ? 0 : gx) + the input gradient; gw += the weight gradient. Either may be null.
    void backward(const float* x, const float* w, const float* gy, float* gx, bool gx_fresh, float* gw, thread_pool* pool) {
        run(pool, [&](share& sh) {
            if (gx) {
                sh.gy.set(gy + sh.samples.begin * output_size());
                sh.w_data.set(w);
                sh.gx.set(gx + sh.samples.begin * input_size());
                sh.data.run(sh.stream, gx_fresh);
            }
            if (gw) {
                const std::size_t plane = shape_.plane.out_height * shape_.plane.out_width;
                sh.x_all.set(x);
                sh.gy_rows.set(gy + sh.filters.begin * plane);
                sh.gw.set(gw + sh.filters.begin * shape_.in_channels * shape_.plane.kernel * shape_.plane.kernel);
                sh.weights.run(sh.stream, false);
            }
        });
    }

private:
    // oneDNN inside one of typegrad's threads on one OpenMP thread, no team on top, while this lives:
    // primitives made for more threads than they run on wait for the missing ones (5 times slower on
    // a busy machine). The setting is the calling thread's; its own OpenMP code gets its own back.
    struct one_openmp_thread {
        int previous = omp_get_max_threads();
        one_openmp_thread() { omp_set_num_threads(1); }
        ~one_openmp_thread() { omp_set_num_threads(previous); }
        one_openmp_thread(const one_openmp_thread&) = delete;
        one_openmp_thread& operator=(const one_openmp_thread&) = delete;
    };

    using dims = dnnl::memory::dims;
    using tag = dnnl::memory::format_tag;

    // A tensor of the caller, its memory in the primitive's format, and the reorders between them.
    struct operand {
        dnnl::memory user, inner;
        dnnl::reorder in, out, out_added;  // user -> inner; inner -> user; inner -> user, added to it
        operand() = default;
        operand(const dnnl::engine& e, const dnnl::memory::desc& user_md, const dnnl::memory::desc& inner_md, bool input)
            : user(user_md, e, DNNL_MEMORY_NONE), inner(inner_md, e) {
            if (input) {
                in = dnnl::reorder(dnnl::reorder::primitive_desc(e, user_md, e, inner_md));
            } else {
                out = dnnl::reorder(dnnl::reorder::primitive_desc(e, inner_md, e, user_md));
                dnnl::post_ops sum;
                sum.append_sum(1.f);
                dnnl::primitive_attr add;
                add.set_post_ops(sum);
                out_added = dnnl::reorder(dnnl::reorder::primitive_desc(e, inner_md, e, user_md, add));
            }
        }
        void set(const float* data) { user.set_data_handle(const_cast<float*>(data)); }
    };

    // One primitive with its operands (two in, one out) and its own scratchpad.
    struct pass {
        dnnl::primitive primitive;
        std::unordered_map<int, dnnl::memory> args;
        operand* inputs[2]{};
        operand* output = nullptr;
        void run(dnnl::stream& s, bool overwrite = true) {
            for (operand* o : inputs) o->in.execute(s, o->user, o->inner);
            primitive.execute(s, args);
            (overwrite ? output->out : output->out_added).execute(s, output->inner, output->user);
            s.wait();
        }
    };

    struct share {
        chunk_range samples, filters;
        dnnl::engine engine{dnnl::engine::kind::cpu, 0};
        dnnl::stream stream{engine};
        operand x, w, y, gy, w_data, gx, x_all, gy_rows, gw;
        pass forward, data, weights;
        std::string names[3];

        share(const conv_shape& s, chunk_range sample_range, chunk_range filter_range, std::size_t batch)
            : samples(sample_range), filters(filter_range) {
            const auto& g = s.plane;
            const auto d = [](std::size_t v) { return dnnl::memory::dim(v); };
            const dnnl::memory::dim n = d(samples.end - samples.begin), c = d(s.in_channels), o = d(s.out_channels), k = d(g.kernel);
            const dims strides{d(g.stride), d(g.stride)}, before{d(g.pad_top), d(g.pad_left)};
            const dims after{d((g.out_height - 1) * g.stride + g.kernel - g.height - g.pad_top), d((g.out_width - 1) * g.stride + g.kernel - g.width - g.pad_left)};
            const auto f32 = dnnl::memory::data_type::f32;
            const auto any = [&](dims shape) { return dnnl::memory::desc(shape, f32, tag::any); };
            dnnl::primitive_attr attr;
            attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
            const auto with_scratchpad = [&](pass& p, const auto& pd) { p.args[DNNL_ARG_SCRATCHPAD] = dnnl::memory(pd.scratchpad_desc(), engine); };
            const bool winograd = g.kernel == 3 && g.stride == 1 && s.in_channels >= 16;
            // The primitive descriptor made by make(algorithm): Winograd if chosen and available, else direct.
            const auto choose = [&](auto make) {
                if (winograd) try {
                        return make(dnnl::algorithm::convolution_winograd);
                    } catch (const dnnl::error&) {
                    }
                return make(dnnl::algorithm::convolution_direct);
            };

            // Forward and backward-data on this share's samples.
            const dims src{n, c, d(g.height), d(g.width)}, wei{o, c, k, k}, dst{n, o, d(g.out_height), d(g.out_width)};
            const auto fwd = choose([&](dnnl::algorithm a) {
                return dnnl::convolution_forward::primitive_desc(
                    dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, a, any(src), any(wei), any(dst), strides, before, after), attr, engine);
            });
            x = operand(engine, {src, f32, tag::nchw}, fwd.src_desc(), true);
            w = operand(engine, {wei, f32, tag::oihw}, fwd.weights_desc(), true);
            y = operand(engine, {dst, f32, tag::nchw}, fwd.dst_desc(), false);
            forward = {dnnl::convolution_forward(fwd), {{DNNL_ARG_SRC, x.inner}, {DNNL_ARG_WEIGHTS, w.inner}, {DNNL_ARG_DST, y.inner}}, {&x, &w}, &y};
            with_scratchpad(forward, fwd);
            names[0] = fwd.impl_info_str();
            const auto bwd_data = choose([&](dnnl::algorithm a) {
                return dnnl::convolution_backward_data::primitive_desc(
                    dnnl::convolution_backward_data::desc(a, any(src), any(wei), any(dst), strides, before, after), attr, engine, fwd);
            });
            gy = operand(engine, {dst, f32, tag::nchw}, bwd_data.diff_dst_desc(), true);
            w_data = operand(engine, {wei, f32, tag::oihw}, bwd_data.weights_desc(), true);
            gx = operand(engine, {src, f32, tag::nchw}, bwd_data.diff_src_desc(), false);
            data = {dnnl::convolution_backward_data(bwd_data), {{DNNL_ARG_DIFF_DST, gy.inner}, {DNNL_ARG_WEIGHTS, w_data.inner}, {DNNL_ARG_DIFF_SRC, gx.inner}},
                    {&gy, &w_data}, &gx};
            with_scratchpad(data, bwd_data);
            names[1] = bwd_data.impl_info_str();

            // Backward-weights on this share's filters, over the whole batch: its rows of the output
            // gradient are read in place (NCHW strides of all the filters).
            const dnnl::memory::dim all = d(batch), rows = d(filters.end - filters.begin), oh = d(g.out_height), ow = d(g.out_width);
            const dims whole_src{all, c, d(g.height), d(g.width)}, rows_wei{rows, c, k, k}, rows_dst{all, rows, oh, ow};
            const auto fwd_rows = choose([&](dnnl::algorithm a) {
                return dnnl::convolution_forward::primitive_desc(
                    dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, a, any(whole_src), any(rows_wei), any(rows_dst), strides, before, after),
                    attr, engine);
            });
            const auto bwd_weights = choose([&](dnnl::algorithm a) {
                return dnnl::convolution_backward_weights::primitive_desc(
                    dnnl::convolution_backward_weights::desc(a, any(whole_src), any(rows_wei), any(rows_dst), strides, before, after), attr, engine, fwd_rows);
            });
            x_all = operand(engine, {whole_src, f32, tag::nchw}, bwd_weights.src_desc(), true);
            gy_rows = operand(engine, {rows_dst, f32, dims{o * oh * ow, oh * ow, ow, 1}}, bwd_weights.diff_dst_desc(), true);
            gw = operand(engine, {rows_wei, f32, tag::oihw}, bwd_weights.diff_weights_desc(), false);
            weights = {dnnl::convolution_backward_weights(bwd_weights),
                       {{DNNL_ARG_SRC, x_all.inner}, {DNNL_ARG_DIFF_DST, gy_rows.inner}, {DNNL_ARG_DIFF_WEIGHTS, gw.inner}}, {&x_all, &gy_rows}, &gw};
            with_scratchpad(weights, bwd_weights);
            names[2] = bwd_weights.impl_info_str();
        }
        // The operands' addresses are in the passes: a share never moves.
        share(const share&) = delete;
        share& operator=(const share&) = delete;
    };

    template <class Fn>
    void run(thread_pool* pool, Fn&& fn) {
        parallel_for(pool, shares_.size(), [&](std::size_t begin, std::size_t end) {
            const one_openmp_thread single;
            for (std::size_t i = begin; i < end; ++i) fn(*shares_[i]);
        });
    }

    std::size_t input_size() const { return shape_.in_channels * shape_.plane.height * shape_.plane.width; }
    std::size_t output_size() const { return shape_.out_channels * shape_.plane.out_height * shape_.plane.out_width; }

    conv_shape shape_;
    std::size_t batch_;
    std::vector<std::unique_ptr<share>> shares_;
};
#else
inline constexpr bool onednn_available = false;
#endif

}  // namespace typegrad::kernels
