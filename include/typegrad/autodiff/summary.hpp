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
    for (std::size_t p = 0; p < position_count; ++p) {
        const position_info& info = info_[p];
        if (canonical_[p] != p) continue;
        std::string layer{info.kind};
        if (!info.name.empty()) layer += " '" + std::string(info.name) + "'";
        std::string shape = info.shape_text();
        if (info.batched) shape = shape.size() > 2 ? "(B, " + shape.substr(1) : "(B)";
        std::string params = "0";
        if (param_offset_[p] != npos) params = initialises_[p] ? std::to_string(info.parameter_size) : "shared";
        table << std::left << std::setw(5) << p << std::setw(34) << layer << std::setw(22) << shape << std::right << std::setw(12)
              << params << '\n';
    }
    table << std::string(73, '-') << '\n'
          << "parameters: " << parameter_count() << ", FLOPs per sample: " << flops << '\n';
    out << table.str();
}

}  // namespace typegrad
