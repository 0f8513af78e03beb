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
    std::vector<std::size_t> offset;     // per slot: from the start of the gradient memory, or npos
    std::vector<bool> reused;            // per slot: its gradient is overwritten later in backward()
    std::vector<std::size_t> zero_when;  // per slot owning a buffer: zero it before the backward of this slot (or npos: at the start)
    std::vector<bool> zeroed;            // per slot owning a buffer: false when its first writer overwrites it instead
    std::vector<std::array<bool, 2>> fresh_inputs;  // per slot: its backward writes input k's gradient first (grad_in_fresh)
    std::size_t size = 0;
};

// `slots` are a graph's nodes in tape order, their inputs given as slots. `needs[s]`: slot s has a
// gradient; `shares[s]` is the slot whose gradient buffer s uses as its own (an in-place operation),
// or npos; `sizes[s]` is the buffer's length. `keep_all`: every gradient stays readable after backward().
gradient_plan plan_gradients(std::span<const position_info> slots, const std::vector<bool>& needs, std::span<const std::size_t> shares,
                             std::span<const std::size_t> sizes, std::size_t loss_slot, bool keep_all);

}  // namespace typegrad::tape
