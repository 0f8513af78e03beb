#pragma once
// The confusion matrix of a classifier: counts[true class][predicted class], and the per-class
// metrics read from it. Rows are true classes, columns predicted classes.
//
//   precision(c) = count(c, c) / predicted_count(c)    of the samples called c, the share that are c
//   recall(c)    = count(c, c) / support(c)            of the samples that are c, the share called c
//   f1(c)        = 2 precision recall / (precision + recall)
//
// A ratio whose denominator is 0 (a class never predicted, a class with no samples) is defined as
// 0, as scikit-learn's zero_division=0: a class the classifier never gets right scores 0 rather
// than NaN, and averages over classes stay finite.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <typegrad/train/dataset.hpp>
#include <typegrad/train/predictions.hpp>

namespace typegrad {

class confusion_matrix {
public:
    // An empty matrix over `classes` classes.
    explicit confusion_matrix(std::size_t classes) : classes_{classes}, counts_(classes * classes, 0) {
        if (classes == 0) throw std::invalid_argument("typegrad: confusion_matrix: the number of classes must be positive");
    }

    // From the true label and the predicted class of each sample; both must name classes in [0, classes).
    confusion_matrix(std::size_t classes, std::span<const std::int32_t> labels, std::span<const std::int32_t> predictions)
        : confusion_matrix(classes) {
        if (labels.size() != predictions.size())
            throw std::invalid_argument("typegrad: confusion_matrix: " + std::to_string(labels.size()) + " labels but " +
                                        std::to_string(predictions.size()) + " predictions");
        for (std::size_t i = 0; i < labels.size(); ++i)
            add(class_of_label(labels[i], classes, i, "confusion_matrix"),
                class_of_prediction(predictions[i], i));
    }

    // Counts one more sample of class `true_class` predicted as `predicted_class`.
    void add(std::size_t true_class, std::size_t predicted_class, std::size_t times = 1) {
        check_class(true_class, "add: true class");
        check_class(predicted_class, "add: predicted class");
        counts_[true_class * classes_ + predicted_class] += times;
    }

    std::size_t classes() const { return classes_; }
    std::size_t count(std::size_t true_class, std::size_t predicted_class) const {
        check_class(true_class, "count: true class");
        check_class(predicted_class, "count: predicted class");
        return counts_[true_class * classes_ + predicted_class];
    }
    std::size_t total() const {
        std::size_t sum = 0;
        for (std::size_t n : counts_) sum += n;
        return sum;
    }
    // Samples whose true class is c (the row sum).
    std::size_t support(std::size_t c) const {
        check_class(c, "support: class");
        std::size_t sum = 0;
        for (std::size_t p = 0; p < classes_; ++p) sum += counts_[c * classes_ + p];
        return sum;
    }
    // Samples predicted as class c (the column sum).
    std::size_t predicted_count(std::size_t c) const {
        check_class(c, "predicted_count: class");
        std::size_t sum = 0;
        for (std::size_t t = 0; t < classes_; ++t) sum += counts_[t * classes_ + c];
        return sum;
    }

    double accuracy() const {
        std::size_t correct = 0;
        for (std::size_t c = 0; c < classes_; ++c) correct += counts_[c * classes_ + c];
        return ratio(correct, total());
    }
    double precision(std::size_t c) const { return ratio(count(c, c), predicted_count(c)); }
    double recall(std::size_t c) const { return ratio(count(c, c), support(c)); }
    double f1(std::size_t c) const {
        const double p = precision(c), r = recall(c);
        return p + r == 0 ? 0.0 : 2 * p * r / (p + r);
    }

    bool operator==(const confusion_matrix&) const = default;

private:
    static double ratio(std::size_t numerator, std::size_t denominator) {
        return denominator == 0 ? 0.0 : double(numerator) / double(denominator);
    }
    void check_class(std::size_t c, std::string_view what) const {
        if (c >= classes_)
            throw std::invalid_argument("typegrad: confusion_matrix::" + std::string(what) + " " + std::to_string(c) + " is not in [0, " +
                                        std::to_string(classes_) + ")");
    }
    std::size_t class_of_prediction(std::int32_t predicted, std::size_t sample) const {
        if (predicted < 0 || static_cast<std::size_t>(predicted) >= classes_)
            throw std::invalid_argument("typegrad: confusion_matrix: prediction " + std::to_string(predicted) + " of sample " +
                                        std::to_string(sample) + " is not a class in [0, " + std::to_string(classes_) + ")");
        return static_cast<std::size_t>(predicted);
    }

    std::size_t classes_;
    std::vector<std::size_t> counts_;  // row-major: [true class][predicted class]
};

// The confusion matrix of the classifier `logits` (a rank-1 node of the graph) over `data`: the
// same arguments, evaluation (evaluation mode, only what `logits` needs) and label checks as
// tg::accuracy. A one-output `logits` is a binary classifier with two classes.
template <class Graph, sample_source Data, class Input, class Logits>
confusion_matrix confusion_matrix_of(Graph& graph, const Data& data, const Input& input, const Logits& logits,
                                     const evaluation_options& options = {}) {
    constexpr std::size_t classes = classes_of<Logits>;
    // Counted as doubles (exact below 2^53) so that data-parallel ranks can sum them.
    std::vector<double> counts(classes * classes, 0.0);
    for_each_prediction(graph, data, input, logits, options, "confusion_matrix_of()",
                        [&](std::size_t true_class, std::size_t predicted) { counts[true_class * classes + predicted] += 1; });
    if (options.ranks) options.ranks->sum(std::span<double>(counts));
    confusion_matrix matrix{classes};
    for (std::size_t t = 0; t < classes; ++t)
        for (std::size_t p = 0; p < classes; ++p)
            matrix.add(t, p, std::size_t(counts[t * classes + p]));
    return matrix;
}

// The names to print for a matrix's classes: `names` if given (one per class), else "0", "1", ...
inline std::vector<std::string> class_names_or_indices(const confusion_matrix& matrix, const std::vector<std::string>& names) {
    if (names.empty()) {
        std::vector<std::string> indices;
        for (std::size_t c = 0; c < matrix.classes(); ++c) indices.push_back(std::to_string(c));
        return indices;
    }
    if (names.size() != matrix.classes())
        throw std::invalid_argument("typegrad: " + std::to_string(names.size()) + " class names given for a confusion matrix of " +
                                    std::to_string(matrix.classes()) + " classes");
    return names;
}

// Prints the matrix as a table, one row per true class and one column per predicted class. Each
// column is as wide as its class name or its largest count, whichever is wider.
inline void print_confusion_matrix(std::ostream& out, const confusion_matrix& matrix, const std::vector<std::string>& names = {}) {
    const auto labels = class_names_or_indices(matrix, names);
    const std::string corner = "true \\ predicted";
    std::size_t row_label_width = corner.size();
    for (const auto& name : labels) row_label_width = std::max(row_label_width, name.size());
    std::vector<std::size_t> widths(matrix.classes());
    for (std::size_t p = 0; p < matrix.classes(); ++p) {
        widths[p] = labels[p].size();
        for (std::size_t t = 0; t < matrix.classes(); ++t) widths[p] = std::max(widths[p], std::to_string(matrix.count(t, p)).size());
    }
    const auto pad_right = [&](const std::string& text, std::size_t width) { out << text << std::string(width - text.size(), ' '); };
    const auto pad_left = [&](const std::string& text, std::size_t width) { out << std::string(width - text.size(), ' ') << text; };

    pad_right(corner, row_label_width);
    for (std::size_t p = 0; p < matrix.classes(); ++p) {
        out << "  ";
        pad_left(labels[p], widths[p]);
    }
    out << "\n";
    for (std::size_t t = 0; t < matrix.classes(); ++t) {
        pad_right(labels[t], row_label_width);
        for (std::size_t p = 0; p < matrix.classes(); ++p) {
            out << "  ";
            pad_left(std::to_string(matrix.count(t, p)), widths[p]);
        }
        out << "\n";
    }
}

}  // namespace typegrad
