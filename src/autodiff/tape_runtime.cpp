// The run-time half of a compiled graph (autodiff/tape_runtime.hpp), compiled once for float and double.
#include <typegrad/autodiff/tape_runtime.hpp>

#include <algorithm>
#include <iomanip>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include <typegrad/kernels/gemm.hpp>
#include <typegrad/io/safetensors.hpp>
#include <typegrad/kernels/init.hpp>

namespace typegrad {

template <class T>
tape_runtime<T>::tape_runtime(std::span<const position_info> info, const step_tables<T>& steps) : info_{info}, steps_{steps} {
    kernels::keep_blas_single_threaded();  // see set_threads()
}

template <class T>
void tape_runtime<T>::lay_out(std::vector<found_node> nodes, std::span<const node_id> root_keys) {
    std::ranges::stable_sort(nodes, {}, &found_node::position);
    const std::size_t position_count = info_.size();

    const std::size_t n = nodes.size();
    std::unordered_map<node_id, std::size_t> slot_of_key;
    first_slot_.assign(position_count + 1, 0);
    for (std::size_t s = 0; s < n; ++s) {
        slot_of_key.emplace(nodes[s].key, s);
        ++first_slot_[nodes[s].position + 1];
    }
    for (std::size_t p = 0; p < position_count; ++p) first_slot_[p + 1] += first_slot_[p];
    slots_.resize(n);
    ops_.resize(n);
    slot_position_.resize(n);
    ids_.resize(n);
    init_schemes_.resize(n);
    for (std::size_t s = 0; s < n; ++s) {
        slots_[s] = info_[nodes[s].position];
        for (std::size_t k = 0; k < slots_[s].arity; ++k) slots_[s].inputs[k] = slot_of_key.at(nodes[s].inputs[k]);
        ops_[s] = nodes[s].op;
        slot_position_[s] = nodes[s].position;
        ids_[s] = nodes[s].key;
        init_schemes_[s] = nodes[s].init;
    }
    root_slots_.clear();
    for (const node_id key : root_keys) root_slots_.push_back(slot_of_key.at(key));
    param_offset_.assign(n, npos);
    state_offset_.assign(n, npos);
    initialises_.assign(n, false);
    wants_gradient_.assign(n, false);
    value_.assign(n, nullptr);
    grad_.assign(n, nullptr);
    scratch_.assign(n, nullptr);
    feed_values_.assign(n, nullptr);
    feed_labels_.assign(n, nullptr);
    feed_sizes_.assign(n, 0);
    overwritten_by_.assign(n, npos);
    gradient_reused_.assign(n, false);
    fresh_inputs_.assign(n, {false, false});
    penalised_.resize(n);
    assign_parameters();
    // The weight blocks each penalty acts on, once the parameters are laid out. The finders point into
    // the graph being built, so none is kept.
    for (std::size_t s = 0; s < n; ++s)
        if (nodes[s].find_penalised) nodes[s].find_penalised(s);
    initialize(0);
}

template <class T>
void tape_runtime<T>::initialize(std::uint64_t seed) {
    random_generator rng{seed};
    dropout_rng_.reseed(~seed);  // a stream of its own, so masks do not depend on the parameter count
    for (std::size_t s = 0; s < slots_.size(); ++s) {
        if (!initialises_[s]) continue;
        std::size_t offset = param_offset_[s];
        for (const param_block& block : slots_[s].blocks) {
            kernels::initialise(init_schemes_[s], block, rng, params_.data() + offset);
            offset += block.size;
        }
        std::size_t state_offset = state_offset_[s];
        for (const state_block& block : slots_[s].state_blocks) {
            std::fill_n(state_.data() + state_offset, block.size, static_cast<T>(block.initial));
            state_offset += block.size;
        }
    }
}


template <class T>
void tape_runtime<T>::set_threads(std::size_t n) {
    if (n == 0) throw std::invalid_argument("typegrad: set_threads(0): a graph computes on at least one thread");
    if (n == threads()) return;
    pool_.reset();
    if (n == 1) return;
    pool_ = std::make_unique<kernels::thread_pool>(n);
}

template <class T>
void tape_runtime<T>::reserve(std::size_t capacity) {
    if (capacity == 0) throw std::invalid_argument("typegrad: reserve(0): a batch holds at least one sample");
    capacity_ = capacity;
    plan();
}

template <class T>
void tape_runtime<T>::forward(std::size_t batch) {
    if (batch == 0) throw std::invalid_argument("typegrad: forward(0): a batch holds at least one sample");
    if (!plan_valid_ || batch > capacity_) reserve(std::max(batch, capacity_));
    batch_ = batch;
    partial_forward_ = false;
    check_feeds();
    for (std::size_t s = 0; s < slots_.size(); ++s)
        if (const auto step = steps_.forward[slot_position_[s]]) step(ops_[s], args_for(s));
}

template <class T>
void tape_runtime<T>::unbind_all() {
    std::fill(feed_values_.begin(), feed_values_.end(), nullptr);
    std::fill(feed_labels_.begin(), feed_labels_.end(), nullptr);
    std::fill(feed_sizes_.begin(), feed_sizes_.end(), 0);
    set_batch_part(0, 0);
}

template <class T>
void tape_runtime<T>::forward_to(std::size_t batch, std::span<const std::size_t> output_slots) {
    if (batch == 0) throw std::invalid_argument("typegrad: forward(0): a batch holds at least one sample");
    if (!plan_valid_ || batch > capacity_) reserve(std::max(batch, capacity_));
    // Which slots run is worked out once per set of outputs, so a prediction loop allocates nothing.
    if (!std::equal(output_slots.begin(), output_slots.end(), partial_outputs_.begin(), partial_outputs_.end())) {
        partial_outputs_.assign(output_slots.begin(), output_slots.end());
        partial_runs_.assign(slots_.size(), 0);
        for (const std::size_t s : output_slots) partial_runs_[s] = 1;
        for (std::size_t s = slots_.size(); s-- > 0;)  // inputs come before their users
            if (partial_runs_[s])
                for (std::size_t i = 0; i < slots_[s].arity; ++i) partial_runs_[slots_[s].inputs[i]] = 1;
    }
    batch_ = batch;
    partial_forward_ = true;
    check_feeds(partial_runs_);
    for (std::size_t s = 0; s < slots_.size(); ++s)
        if (const auto step = steps_.forward[slot_position_[s]]; step && partial_runs_[s]) step(ops_[s], args_for(s));
}


template <class T>
void tape_runtime<T>::run_backward(gradients_ready ready) {
    if (batch_ == 0) throw std::logic_error("typegrad: backward() needs a forward() first");
    if (partial_forward_)
        throw std::logic_error("typegrad: backward() needs a full forward(batch); forward(batch, outputs...) computed only what those outputs need");
    std::fill(param_grads_.begin(), param_grads_.end(), T(0));
    std::size_t next_zeroing = 0;
    auto zero_gradients_due = [&](std::size_t when) {
        for (; next_zeroing < zero_schedule_.size() && zero_schedule_[next_zeroing].when == when; ++next_zeroing) {
            const std::size_t s = zero_schedule_[next_zeroing].slot;
            std::fill_n(grad_[s], value_count(s, batch_), T(0));
        }
    };
    zero_gradients_due(npos);
    grad_[root_slots_[0]][0] = T(1);
    for (std::size_t s = slots_.size(); s-- > 0;) {
        zero_gradients_due(s);
        if (const auto step = steps_.backward[slot_position_[s]]; step && grad_[s]) step(ops_[s], args_for(s));
        // Parameters are laid out in the order of their first use: done with that use, the block and
        // every one after it are final.
        if (ready.call && initialises_[s] && slots_[s].parameter_size > 0) ready.call(ready.context, param_offset_[s]);
    }
}

template <class T>
void tape_runtime<T>::assign_parameters() {
    struct named_block {
        std::string_view name;
        std::size_t slot;  // of its first use
        const position_info* info;
    };
    // Same operation and the same blocks (size, fan-in, fan-out): one layer's weights fit the other.
    auto same_layout = [](const position_info& a, const position_info& b) {
        return a.kind == b.kind && a.state_size == b.state_size &&
               std::equal(a.blocks.begin(), a.blocks.end(), b.blocks.begin(), b.blocks.end(), [](const auto& x, const auto& y) {
                   return x.size == y.size && x.fan_in == y.fan_in && x.fan_out == y.fan_out;
               });
    };
    std::vector<named_block> named;
    std::size_t total = 0, state_total = 0;
    for (std::size_t s = 0; s < slots_.size(); ++s) {
        const position_info& info = slots_[s];
        if (info.parameter_size == 0 && info.state_size == 0) continue;
        if (!info.name.empty()) {
            auto it = std::find_if(named.begin(), named.end(), [&](const named_block& b) { return b.name == info.name; });
            if (it != named.end()) {
                if (!same_layout(*it->info, info))
                    throw std::invalid_argument("typegrad: layer '" + std::string(info.name) + "' is used as " + layout_text(*it->info) +
                                                " and as " + layout_text(info) + "; shared weights need the same layer and input shape");
                param_offset_[s] = param_offset_[it->slot];
                state_offset_[s] = state_offset_[it->slot];
                continue;
            }
            named.push_back({info.name, s, &info});
        }
        if (info.parameter_size > 0) param_offset_[s] = total;
        if (info.state_size > 0) state_offset_[s] = state_total;
        initialises_[s] = true;
        total += info.parameter_size;
        state_total += info.state_size;
    }
    params_.assign(total, T(0));
    param_grads_.assign(total, T(0));
    state_.assign(state_total, T(0));
}


template <class T>
std::string tape_runtime<T>::layout_text(const position_info& info) {
    std::string text{info.kind};
    text += " with parameters";
    for (const param_block& b : info.blocks) {
        text += ' ';
        text += b.name;
        text += ' ';
        if (b.is_weight) {
            text += std::to_string(b.fan_out);
            text += 'x';
            text += std::to_string(b.fan_in);
        } else {
            text += std::to_string(b.size);
        }
    }
    return text;
}


template <class T>
std::vector<std::size_t> tape_runtime<T>::in_place_inputs() const {
    const std::size_t n = slots_.size();
    std::vector<std::size_t> uses(n, 0), input(n, npos);
    for (std::size_t s = 0; s < n; ++s)
        if (slots_[s].feed == feed_kind::none)
            for (std::size_t k = 0; k < slots_[s].arity; ++k) ++uses[slots_[s].inputs[k]];
    for (std::size_t r : root_slots_) ++uses[r];
    if (keep_intermediates_) return input;
    for (std::size_t s = 0; s < n; ++s) {
        const position_info& info = slots_[s];
        if (!info.runs_in_place || info.arity != 1) continue;
        const std::size_t q = info.inputs[0];
        if (slots_[q].feed == feed_kind::none && uses[q] == 1 && !slots_[q].backward_reads_output && slots_[q].batched == info.batched)
            input[s] = q;
    }
    return input;
}

template <class T>
void tape_runtime<T>::plan() {
    const std::size_t n = slots_.size();
    std::vector<bool> needs(n, false);
    for (std::size_t s = 0; s < n; ++s) {
        const position_info& info = slots_[s];
        if (info.feed != feed_kind::none) {
            needs[s] = wants_gradient_[s];
            continue;
        }
        bool any = param_offset_[s] != npos || info.penalty;
        for (std::size_t i = 0; i < info.arity; ++i) any = any || needs[info.inputs[i]];
        needs[s] = any;
    }
    needs[root_slots_[0]] = true;

    constexpr std::size_t align = 64 / sizeof(T);
    auto round_up = [](std::size_t count) { return (count + align - 1) / align * align; };
    std::size_t size = 0;
    std::vector<std::size_t> value_at(n, npos), grad_at(n, npos), scratch_at(n, npos);
    const std::vector<std::size_t> runs_in_place_on = in_place_inputs();
    std::fill(overwritten_by_.begin(), overwritten_by_.end(), npos);
    for (std::size_t s = 0; s < n; ++s) {
        if (slots_[s].feed != feed_kind::none) continue;
        if (const std::size_t q = runs_in_place_on[s]; q != npos) {
            value_at[s] = value_at[q];
            overwritten_by_[q] = s;
        } else {
            value_at[s] = size;
            size += round_up(value_count(s, capacity_));
        }
    }
    std::vector<std::size_t> shares(n, npos), grad_sizes(n, 0);
    for (std::size_t s = 0; s < n; ++s) {
        const std::size_t q = runs_in_place_on[s];
        shares[s] = q != npos && needs[s] && needs[q] ? q : npos;
        grad_sizes[s] = needs[s] ? round_up(value_count(s, capacity_)) : 0;
    }
    const tape::gradient_plan gradients = tape::plan_gradients(slots_, needs, shares, grad_sizes, root_slots_[0], keep_intermediates_);
    zero_schedule_.clear();
    for (std::size_t s = 0; s < n; ++s) {
        if (gradients.offset[s] != npos) grad_at[s] = size + gradients.offset[s];
        gradient_reused_[s] = gradients.reused[s];
        if (needs[s] && shares[s] == npos && gradients.zeroed[s]) zero_schedule_.push_back({gradients.zero_when[s], s});
        fresh_inputs_[s] = gradients.fresh_inputs[s];
    }
    std::ranges::sort(zero_schedule_, [](const auto& a, const auto& b) { return a.when > b.when; });  // backward's order; npos: first
    size += gradients.size;
    for (std::size_t s = 0; s < n; ++s) {
        const std::size_t bytes = steps_.scratch_size[slot_position_[s]](capacity_);
        if (bytes > 0) {
            scratch_at[s] = size;
            size += round_up(bytes);
        }
    }
    arena_.assign(size, T(0));
    for (std::size_t s = 0; s < n; ++s) {
        value_[s] = value_at[s] == npos ? nullptr : arena_.data() + value_at[s];
        grad_[s] = grad_at[s] == npos ? nullptr : arena_.data() + grad_at[s];
        scratch_[s] = scratch_at[s] == npos ? nullptr : arena_.data() + scratch_at[s];
    }
    plan_valid_ = true;
}

template <class T>
void tape_runtime<T>::check_feeds(std::span<const char> runs) const {
    for (std::size_t s = 0; s < slots_.size(); ++s) {
        const position_info& info = slots_[s];
        if (info.feed == feed_kind::none || (!runs.empty() && !runs[s])) continue;
        const bool bound = info.feed == feed_kind::labels ? feed_labels_[s] != nullptr : feed_values_[s] != nullptr;
        const std::size_t needed = batch_ * info.size;
        if (bound && feed_sizes_[s] >= needed) continue;
        const std::string what = std::string(info.kind) + " '" + std::string(info.name) + "' of shape " + info.shape_text();
        if (!bound) throw std::logic_error("typegrad: " + what + " is not bound: call bind() before forward()");
        throw std::invalid_argument("typegrad: " + what + " is bound to " + std::to_string(feed_sizes_[s]) + " values; a batch of " +
                                    std::to_string(batch_) + " needs " + std::to_string(needed));
    }
}

template <class T>
op_args<T> tape_runtime<T>::args_for(std::size_t s) {
    op_args<T> a;
    a.batch = batch_;
    for (std::size_t k = 0; k < slots_[s].arity; ++k) set_input(a, k, slots_[s].inputs[k]);
    a.out = value_[s];
    a.grad_out = grad_[s];
    a.grad_in_fresh = fresh_inputs_[s];
    if (param_offset_[s] != npos) {
        a.params = params_.data() + param_offset_[s];
        a.param_grads = param_grads_.data() + param_offset_[s];
    }
    if (state_offset_[s] != npos) a.state = state_.data() + state_offset_[s];
    a.scratch = scratch_[s];
    a.all_params = params_.data();
    a.all_param_grads = param_grads_.data();
    a.penalised = penalised_[s];
    a.training = training_;
    a.rng = &dropout_rng_;
    a.rows_before = rows_before_;
    a.rows_after = rows_after_;
    a.pool = pool_.get();
    return a;
}
template <class T>
void tape_runtime<T>::set_input(op_args<T>& a, std::size_t k, std::size_t q) const {
    a.in[k] = feed_values_[q] ? feed_values_[q] : value_[q];
    a.labels[k] = feed_labels_[q];
    a.grad_in[k] = grad_[q];
}


// Calls add(slot, layer) for every layer that owns parameters or state (not one sharing a name's),
// `layer` being its name or else its index among the graph's operations in tape order.
template <class T>
template <class Add>
void tape_runtime<T>::for_each_owning_layer(Add&& add) const {
    std::size_t layer_index = 0;
    for (std::size_t s = 0; s < slots_.size(); ++s) {
        const position_info& info = slots_[s];
        if (info.feed != feed_kind::none) continue;
        const std::size_t index = layer_index++;
        if (initialises_[s]) add(s, info.name.empty() ? std::to_string(index) : std::string(info.name));
    }
}

template <class Block>
std::vector<std::size_t> shape_of(const Block& block) {
    std::vector<std::size_t> shape;
    for (const std::size_t d : block.dims)
        if (d != 0) shape.push_back(d);
    return shape;
}

template <class T>
template <class BlocksOf>
std::vector<parameter_tensor> tape_runtime<T>::tensors_of(const std::vector<std::size_t>& offsets, BlocksOf blocks_of) const {
    std::vector<parameter_tensor> tensors;
    for_each_owning_layer([&](std::size_t s, const std::string& layer) {
        std::size_t offset = offsets[s];
        for (const auto& block : blocks_of(slots_[s])) {
            parameter_tensor tensor{layer + "." + std::string(block.name), offset, block.size, shape_of(block)};
            if constexpr (requires { block.is_count; }) tensor.is_count = block.is_count;
            tensors.push_back(std::move(tensor));
            offset += block.size;
        }
    });
    return tensors;
}

template <class T>
std::vector<parameter_tensor> tape_runtime<T>::parameter_tensors() const {
    return tensors_of(param_offset_, [](const position_info& info) { return info.blocks; });
}

template <class T>
std::vector<parameter_tensor> tape_runtime<T>::state_tensors() const {
    return tensors_of(state_offset_, [](const position_info& info) { return info.state_blocks; });
}

namespace {

// For each of `to`'s tensors, the tensor of the same name and shape in `from`.
std::vector<const parameter_tensor*> counterparts(const std::vector<parameter_tensor>& to, const std::vector<parameter_tensor>& from,
                                                  std::string_view what) {
    std::vector<const parameter_tensor*> found;
    for (const parameter_tensor& tensor : to) {
        const auto it = std::find_if(from.begin(), from.end(), [&](const parameter_tensor& t) { return t.name == tensor.name; });
        if (it == from.end())
            throw std::invalid_argument("typegrad: copy_parameters_from(): the source graph has no " + std::string(what) + " tensor '" + tensor.name +
                                        "' " + io::shape_text(tensor.shape));
        if (it->shape != tensor.shape)
            throw std::invalid_argument("typegrad: copy_parameters_from(): " + std::string(what) + " tensor '" + tensor.name + "' is " +
                                        io::shape_text(tensor.shape) + " here but " + io::shape_text(it->shape) + " in the source graph");
        found.push_back(&*it);
    }
    return found;
}

template <class T>
void copy_tensors(const std::vector<parameter_tensor>& to, std::span<T> to_values, const std::vector<const parameter_tensor*>& from,
                  std::span<const T> from_values) {
    for (std::size_t i = 0; i < to.size(); ++i)
        std::copy_n(from_values.begin() + std::ptrdiff_t(from[i]->offset), to[i].size, to_values.begin() + std::ptrdiff_t(to[i].offset));
}

}  // namespace

template <class T>
void tape_runtime<T>::copy_parameters_from(const tape_runtime& source) {
    const std::vector<parameter_tensor> parameters = parameter_tensors(), states = state_tensors();
    const std::vector<parameter_tensor> source_parameters = source.parameter_tensors(), source_states = source.state_tensors();
    // Every tensor is matched before any is copied: a mismatch leaves this graph as it was.
    const auto parameter_sources = counterparts(parameters, source_parameters, "parameter");
    const auto state_sources = counterparts(states, source_states, "state");
    copy_tensors(parameters, std::span<T>(params_), parameter_sources, source.parameters());
    copy_tensors(states, std::span<T>(state_), state_sources, source.state());
}

template <class T>
void tape_runtime<T>::summary(std::ostream& out) const {
    std::ostringstream table;
    table << std::left << std::setw(5) << "#" << std::setw(34) << "layer" << std::setw(22) << "output shape" << std::right
          << std::setw(12) << "parameters" << '\n'
          << std::string(73, '-') << '\n';
    for (std::size_t s = 0; s < slots_.size(); ++s) {
        const position_info& info = slots_[s];
        std::string layer{info.kind};
        if (!info.name.empty()) layer += " '" + std::string(info.name) + "'";
        std::string shape = info.shape_text();
        if (info.batched) shape = shape.size() > 2 ? "(B, " + shape.substr(1) : "(B)";
        std::string params = "0";
        if (param_offset_[s] != npos) params = initialises_[s] ? std::to_string(info.parameter_size) : "shared";
        table << std::left << std::setw(5) << s << std::setw(34) << layer << std::setw(22) << shape << std::right << std::setw(12)
              << params << '\n';
    }
    table << std::string(73, '-') << '\n'
          << "parameters: " << parameter_count() << ", FLOPs per sample: " << flops_per_sample() << '\n';
    out << table.str();
}


template class tape_runtime<float>;
template class tape_runtime<double>;

}  // namespace typegrad
