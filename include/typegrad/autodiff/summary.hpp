#pragma once
// graph::summary(): a Keras-style table of the layers of a compiled graph.
#include <iomanip>
#include <ostream>
#include <sstream>
#include <string>

#include <typegrad/autodiff/graph.hpp>

namespace typegrad {

template <class T, class... Roots>
void graph<T, Roots...>::summary(std::ostream& out) const {
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

}  // namespace typegrad
