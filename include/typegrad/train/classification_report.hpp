#pragma once
// A per-class summary of a confusion matrix, as scikit-learn's classification_report: precision,
// recall, F1 and support for each class, then the accuracy and the unweighted (macro) mean over
// classes. The macro mean counts a rare class as much as a common one, so it shows what accuracy
// hides on imbalanced data.
#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

#include <typegrad/train/confusion_matrix.hpp>

namespace typegrad {

inline void print_classification_report(std::ostream& out, const confusion_matrix& matrix, const std::vector<std::string>& names = {}) {
    const auto labels = class_names_or_indices(matrix, names);
    std::size_t name_width = std::string("macro mean").size();
    for (const auto& name : labels) name_width = std::max(name_width, name.size());
    const auto line = [&](const std::string& name, const std::string& columns) {
        out << name << std::string(name_width - name.size(), ' ') << columns << "\n";
    };
    const auto figures = [](double precision, double recall, double f1, std::size_t support) {
        char text[80];
        std::snprintf(text, sizeof text, "  %9.3f  %6.3f  %6.3f  %8zu", precision, recall, f1, support);
        return std::string(text);
    };

    line("", "  precision  recall      f1   support");
    double precision_sum = 0, recall_sum = 0, f1_sum = 0;
    for (std::size_t c = 0; c < matrix.classes(); ++c) {
        line(labels[c], figures(matrix.precision(c), matrix.recall(c), matrix.f1(c), matrix.support(c)));
        precision_sum += matrix.precision(c);
        recall_sum += matrix.recall(c);
        f1_sum += matrix.f1(c);
    }
    const double k = double(matrix.classes());
    line("macro mean", figures(precision_sum / k, recall_sum / k, f1_sum / k, matrix.total()));
    char accuracy[80];
    std::snprintf(accuracy, sizeof accuracy, "  %9s  %6s  %6.3f  %8zu", "", "", matrix.accuracy(), matrix.total());
    line("accuracy", accuracy);
}

}  // namespace typegrad
