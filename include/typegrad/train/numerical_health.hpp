#pragma once
// The NaN/Inf guard of fit() (fit_options::check_finite): the first value that is not finite stops
// training with a non_finite_error naming the tensor, what it holds and the step, instead of
// training on (NaN spreads to every weight within a step or two, and the run is lost).
#include <cmath>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <typegrad/expr/parameters.hpp>

namespace typegrad {

class non_finite_error : public std::runtime_error {
public:
    non_finite_error(std::string tensor, std::string kind, std::size_t epoch, std::size_t batch, const std::string& message)
        : std::runtime_error(message), tensor_{std::move(tensor)}, kind_{std::move(kind)}, epoch_{epoch}, batch_{batch} {}
    const std::string& tensor() const { return tensor_; }  // a parameter tensor's name ("3.weight"), or a layer's output ("log at #3")
    const std::string& kind() const { return kind_; }      // "activation", "gradient", "parameter"
    std::size_t epoch() const { return epoch_; }           // from 1
    std::size_t batch() const { return batch_; }           // from 1; 0: at the epoch's end

private:
    std::string tensor_, kind_;
    std::size_t epoch_, batch_;
};

// Index of the first NaN or infinity, or values.size().
template <class T>
std::size_t first_non_finite(std::span<const T> values) {
    for (std::size_t i = 0; i < values.size(); ++i)
        if (!std::isfinite(values[i])) return i;
    return values.size();
}

namespace detail {

// Where fit() is when it checks, for the message.
struct check_point {
    std::size_t epoch, batch;
    std::string after;  // e.g. "; the checkpoint file out/checkpoint.safetensors was not overwritten"
};

template <class T>
void require_finite(std::span<const T> values, const std::string& tensor, const char* kind, const check_point& at) {
    const std::size_t i = first_non_finite(values);
    if (i == values.size()) return;
    const std::string value = std::isnan(values[i]) ? "nan" : values[i] > 0 ? "inf" : "-inf";
    const std::string where = std::string_view(kind) == "activation" ? "the output of " + tensor
                              : tensor.starts_with("the ")           ? tensor
                                                                     : "tensor \"" + tensor + "\"";
    const std::string step = at.batch ? "epoch " + std::to_string(at.epoch) + ", batch " + std::to_string(at.batch)
                                      : "the end of epoch " + std::to_string(at.epoch);
    throw non_finite_error(tensor, kind, at.epoch, at.batch,
                           "typegrad: fit: non-finite " + std::string(kind) + " in " + where + " (" + value + " at index " + std::to_string(i) +
                               ") at " + step + "; training stopped" + at.after);
}

// Per parameter tensor, each named as in model files ("0.weight").
template <class T>
void require_finite(std::span<const T> flat, const std::vector<parameter_tensor>& tensors, const char* kind, const check_point& at) {
    if (first_non_finite(flat) == flat.size()) return;  // one pass in the usual case
    for (const auto& t : tensors) require_finite(flat.subspan(t.offset, t.size), t.name, kind, at);
    require_finite(flat, "the parameter vector", kind, at);
}

}  // namespace detail

}  // namespace typegrad
