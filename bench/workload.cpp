#include "workload.hpp"

#include <stdexcept>

namespace bench {

const char* name_of(workload w) {
    switch (w) {
        case workload::w1: return "W1";
        case workload::w2: return "W2";
        case workload::w3: return "W3";
        case workload::w4: return "W4";
    }
    return "?";
}

workload workload_named(const std::string& name) {
    for (const workload w : {workload::w1, workload::w2, workload::w3, workload::w4})
        if (name == name_of(w)) return w;
    throw std::invalid_argument("no workload named '" + name + "' (W1, W2, W3 or W4)");
}

const named_tensor& parameter_named(const workload_setup& setup, const std::string& name) {
    for (const named_tensor& t : setup.initial_parameters)
        if (t.name == name) return t;
    std::string known;
    for (const named_tensor& t : setup.initial_parameters) known += (known.empty() ? "" : ", ") + t.name;
    throw std::invalid_argument("the starting weights have no parameter '" + name + "' (they have " + known + ")");
}

}  // namespace bench
