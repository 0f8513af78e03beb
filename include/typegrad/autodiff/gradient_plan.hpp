#pragma once
// Where backward() keeps each node's gradient. A gradient is live from its first writer's backward
// (the last of its users on the tape) to its own node's backward, which reads it; buffers whose
// lives do not overlap share memory. Along a chain only about two gradients are live at once, so a
// CNN needs the memory of its largest two instead of all of them. Each buffer is zeroed just before
// its life starts, at the batch's size rather than the plan's, unless its first writer overwrites it
// (expr/op_args.hpp: writes_fresh_input_gradients), zeroing plane by plane in cache.
#include <array>
#include <cstddef>
#include <span>
#include <vector>

#include <typegrad/autodiff/position_table.hpp>

namespace typegrad::tape {

struct gradient_plan {
    std::vector<std::size_t> offset;     // per position: from the start of the gradient memory, or npos
    std::vector<bool> reused;            // per position: its gradient is overwritten later in backward()
    std::vector<std::size_t> zero_when;  // per position owning a buffer: zero it before the backward of this position (or npos: at the start)
    std::vector<bool> zeroed;            // per position owning a buffer: false when its first writer overwrites it instead
    std::vector<std::array<bool, 2>> fresh_inputs;  // per position: its backward writes input k's gradient first (grad_in_fresh)
    std::size_t size = 0;
};

// `shares[p]` is the position whose gradient buffer p uses as its own (an in-place operation), or
// npos; `sizes[p]` is the buffer's length. `keep_all`: every gradient stays readable after backward().
gradient_plan plan_gradients(std::span<const position_info> info, std::span<const std::size_t> canonical, std::span<const bool> needs,
                             std::span<const std::size_t> shares, std::span<const std::size_t> sizes, std::size_t loss_position,
                             bool keep_all);

}  // namespace typegrad::tape
