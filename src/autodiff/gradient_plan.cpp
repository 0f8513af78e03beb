// The liveness plan of gradient buffers (autodiff/gradient_plan.hpp): no template, so compiled once.
#include <typegrad/autodiff/gradient_plan.hpp>

#include <algorithm>

namespace typegrad::tape {

gradient_plan plan_gradients(std::span<const position_info> info, const std::vector<bool>& needs, std::span<const std::size_t> shares,
                             std::span<const std::size_t> sizes, std::size_t loss_slot, bool keep_all) {
    const std::size_t n = info.size();
    auto owner = [&](std::size_t p) {
        while (shares[p] != npos) p = shares[p];
        return p;
    };
    // Life on the tape's slot scale, which backward() walks downwards: [last, first]; n means
    // "before the first operation", and a last of -1 means "to the end, readable afterwards".
    std::vector<long> first(n, -1), last(n, long(n));
    for (std::size_t p = 0; p < n; ++p) {
        if (!needs[p]) continue;
        const std::size_t o = owner(p);
        first[o] = std::max(first[o], long(p));
        last[o] = std::min(last[o], long(p));
        if (info[p].feed != feed_kind::none) continue;
        for (std::size_t k = 0; k < info[p].arity; ++k)
            if (const std::size_t q = info[p].inputs[k]; needs[q]) first[owner(q)] = std::max(first[owner(q)], long(p));
    }
    for (std::size_t p = 0; p < n; ++p)
        if (needs[p] && (keep_all || info[p].feed != feed_kind::none)) last[owner(p)] = -1;
    first[owner(loss_slot)] = long(n);

    std::vector<std::size_t> order;
    for (std::size_t p = 0; p < n; ++p)
        if (needs[p] && owner(p) == p) order.push_back(p);
    // Largest first: a chain's gradients grow towards its input, and placing them in tape order would
    // leave every gap too small for the next one.
    // (Ties in tape order. std::sort, not stable_sort: no temporary buffer, whose nothrow operator new
    // a program counting allocations may not replace.)
    std::ranges::sort(order, [&](std::size_t a, std::size_t b) { return sizes[a] > sizes[b] || (sizes[a] == sizes[b] && a < b); });

    gradient_plan plan{std::vector<std::size_t>(n, npos), std::vector<bool>(n, false), std::vector<std::size_t>(n, npos),
                       std::vector<bool>(n, true), std::vector<std::array<bool, 2>>(n, {false, false}), 0};
    // A first writer that overwrites: it must take the buffer as exactly one of its inputs.
    for (const std::size_t g : order) {
        if (first[g] == long(n)) continue;
        const std::size_t c = std::size_t(first[g]);
        if (!info[c].writes_fresh_input_gradients || info[c].feed != feed_kind::none || (needs[c] && owner(c) == g)) continue;
        std::size_t uses = 0, input = 0;
        for (std::size_t k = 0; k < info[c].arity; ++k)
            if (const std::size_t q = info[c].inputs[k]; needs[q] && owner(q) == g) ++uses, input = k;
        if (uses != 1) continue;
        plan.fresh_inputs[c][input] = true;
        plan.zeroed[g] = false;
    }
    auto lives_overlap = [&](std::size_t a, std::size_t b) { return !(first[a] < last[b] || first[b] < last[a]); };
    std::vector<std::size_t> placed;
    for (const std::size_t g : order) {
        // The lowest offset clear of every placed buffer that is live at the same time.
        std::vector<std::size_t> busy;
        for (const std::size_t h : placed)
            if (lives_overlap(g, h)) busy.push_back(h);
        std::ranges::sort(busy, [&](std::size_t a, std::size_t b) { return plan.offset[a] < plan.offset[b]; });
        std::size_t at = 0;
        for (const std::size_t h : busy) {
            if (at + sizes[g] <= plan.offset[h]) break;
            at = std::max(at, plan.offset[h] + sizes[h]);
        }
        plan.offset[g] = at;
        plan.zero_when[g] = first[g] == long(n) ? npos : std::size_t(first[g]);
        plan.size = std::max(plan.size, at + sizes[g]);
        placed.push_back(g);
    }
    for (const std::size_t g : placed)
        for (const std::size_t h : placed) {
            const bool memory_overlaps = plan.offset[g] < plan.offset[h] + sizes[h] && plan.offset[h] < plan.offset[g] + sizes[g];
            if (memory_overlaps && first[g] < last[h]) plan.reused[h] = true;  // g starts after h's last use
        }
    for (std::size_t p = 0; p < n; ++p)
        if (needs[p] && owner(p) != p) {
            plan.offset[p] = plan.offset[owner(p)];
            plan.reused[p] = true;  // after its backward the buffer holds its input's gradient
        }
    return plan;
}

}  // namespace typegrad::tape
