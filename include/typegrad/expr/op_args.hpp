#pragma once
// The contract between an operation and the tape. An operation `Op` (see expr/*.hpp) provides
//   template <class... Inputs> struct traits { using shape; batched; parameter_count; flops; };
//   template <class T, class... Inputs> void forward(const op_args<T>&) const;   // writes out
//   template <class T, class... Inputs> void backward(const op_args<T>&) const;  // adds to grad_in
// and optionally scratch_size<T, Inputs...>(batch) and param_blocks (see autodiff/parameters.hpp).
// backward *adds* into grad_in and param_grads, so an input used twice accumulates; a null
// grad_in[i] means input i needs no gradient and must be skipped.
// Memory reuse: an operation declaring `runs_in_place = true` may be given out == in[0] and
// grad_in[0] == grad_out (then it alone writes that gradient, and turns it into its input's in place);
// its input's operation must declare `backward_reads_output = false` (its output may be overwritten).
// An operation declaring `writes_fresh_input_gradients = true` is told by grad_in_fresh[i] that it is
// the first to write grad_in[i], which then holds garbage: it must write every value of it (for
// the batch) instead of adding, which spares the graph a pass zeroing the buffer.
// An operation may split its work over `pool` (kernels::parallel_for; null means one thread); its
// result must not depend on the number of threads beyond the rounding of a differently blocked GEMM.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

#include <typegrad/kernels/parallel.hpp>
#include <typegrad/kernels/random.hpp>

namespace typegrad {

template <class T>
struct op_args {
    std::size_t batch = 0;
    std::array<const T*, 2> in{};
    std::array<T*, 2> grad_in{};
    std::array<bool, 2> grad_in_fresh{};  // see above
    std::array<const std::int32_t*, 2> labels{};  // set for inputs that are integer class labels
    T* out = nullptr;
    const T* grad_out = nullptr;
    T* params = nullptr;
    T* param_grads = nullptr;
    T* scratch = nullptr;
    T* state = nullptr;  // the operation's state blocks (expr/parameters.hpp), kept across steps
    T* all_params = nullptr;  // the whole parameter vector, for weight penalties
    T* all_param_grads = nullptr;
    std::span<const std::pair<std::size_t, std::size_t>> penalised{};  // a weight penalty's blocks (offset, size) in all_params
    bool training = true;                   // dropout and the like act only in training
    random_generator* rng = nullptr;        // the graph's generator, for dropout masks
    // Rows of the whole batch before and after the ones this step computes (graph::set_batch_part, for
    // data-parallel shares): their random draws are skipped, so that a row's mask is the whole batch's.
    std::size_t rows_before = 0, rows_after = 0;
    kernels::thread_pool* pool = nullptr;   // the graph's threads, or null for one thread
};

// Rows of a value in a step: a batched value has one per sample, an unbatched one (a loss, a
// parameter) has one.
template <class X>
constexpr std::size_t rows_of(std::size_t batch) {
    return X::batched ? batch : 1;
}
template <class X>
constexpr std::size_t count_of(std::size_t batch) {
    return rows_of<X>(batch) * X::shape::size;
}

}  // namespace typegrad
