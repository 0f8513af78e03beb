#include "agreement.hpp"

#include <algorithm>
#include <cmath>

namespace bench {

namespace {

double relative_difference(double value, double reference) {
    const double difference = std::abs(value - reference);
    return reference == 0 ? difference : difference / std::abs(reference);
}

double relative_difference(const std::vector<float>& values, const std::vector<float>& reference) {
    double largest_difference = 0, scale = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
        largest_difference = std::max(largest_difference, std::abs(double(values[i]) - double(reference[i])));
        scale = std::max(scale, std::abs(double(reference[i])));
    }
    return scale == 0 ? largest_difference : largest_difference / scale;
}

const named_tensor* find(const std::vector<named_tensor>& tensors, const std::string& name) {
    auto it = std::find_if(tensors.begin(), tensors.end(), [&](const named_tensor& t) { return t.name == name; });
    return it == tensors.end() ? nullptr : &*it;
}

}  // namespace

std::vector<step_record> first_two_steps(workload_runner& runner, workload w) {
    std::vector<step_record> steps;
    for (int i = 0; i < 2; ++i) {
        runner.step();
        steps.push_back(runner.last_step());
    }
    if (w == workload::w5) steps[1].tensors.clear();
    return steps;
}

agreement compare_steps(const std::vector<step_record>& reference, const std::vector<step_record>& other) {
    agreement result;
    auto note = [&](double difference, std::string where) {
        // NaN compares false with everything: let it win, so that it is reported.
        if (!(difference <= result.largest_relative_difference)) {
            result.largest_relative_difference = difference;
            result.where = std::move(where);
        }
    };
    if (reference.size() != other.size()) {
        result.problem = std::to_string(other.size()) + " steps recorded, " + std::to_string(reference.size()) + " expected";
        return result;
    }
    for (std::size_t s = 0; s < reference.size(); ++s) {
        const std::string step = "step " + std::to_string(s + 1);
        note(relative_difference(other[s].loss, reference[s].loss), "loss of " + step);
        if (other[s].tensors.size() != reference[s].tensors.size()) {
            result.problem = step + " has " + std::to_string(other[s].tensors.size()) + " tensors, typegrad's " +
                             std::to_string(reference[s].tensors.size());
            return result;
        }
        for (const named_tensor& expected : reference[s].tensors) {
            const named_tensor* actual = find(other[s].tensors, expected.name);
            if (!actual || actual->shape != expected.shape || actual->values.size() != expected.values.size()) {
                result.problem = step + ": tensor " + expected.name + (actual ? " has another shape" : " is missing");
                return result;
            }
            const std::string what = expected.name == "output" ? "output" : "gradient of " + expected.name;
            note(relative_difference(actual->values, expected.values), what + " in " + step);
        }
    }
    return result;
}

}  // namespace bench
