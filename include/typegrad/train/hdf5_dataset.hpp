#pragma once
// A data set streamed from an HDF5 file (io/hdf5.hpp), for data that does not fit in memory: fit(),
// evaluate(), accuracy(), confusion_matrix_of() and predict() take it where they take an in-memory
// dataset, and read it a minibatch at a time, ahead of the training on a background thread
// (fit_options::prefetch, evaluation_options::prefetch; train/batch_loader.hpp).
//
// It describes rows [first, first + size()) of a features and a targets dataset of one file, so
// splits by index ranges, or by separate datasets, are hdf5_datasets of their own:
//
//   const tg::hdf5_dataset<float> galaxies{"galaxies.h5", {.features = "images", .targets = "fractions"}};
//   const auto train = galaxies.rows(0, 50000), test = galaxies.rows(50000, galaxies.size() - 50000);
//
// Other inputs of each sample, datasets [N, ...] of the same file, are read along and bound by name
// to the network's inputs of that name (tg::inputs(image, redshift), train/input_binding.hpp):
//
//   const tg::hdf5_dataset<float> galaxies{"galaxies.h5", {.features = "images", .targets = "fractions"}, {{.dataset = "redshift"}}};
//
// Target is std::int32_t for integer class labels [N] (the reader's options.classes required) and T
// for values [N, K]. Opening checks the file (io::hdf5_reader's checks, and that its targets are of
// the kind Target says); fit() and the others check the per-sample shapes against the network's input
// and target before they read anything, with an error naming the file, the dataset and both shapes.
// Each pass opens a reader of its own, used by one thread: a dataset may be read by several passes
// one after the other (training, then validation), and copies are cheap.
//
// What a pass holds in memory is its batches (the prefetch depth's worth), the reader's chunk caches
// and, when training shuffles, the epoch's order of the samples (8 bytes per sample, as in memory).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <typegrad/io/hdf5.hpp>
#include <typegrad/io/io_error.hpp>
#include <typegrad/train/checkpoint.hpp>
#include <typegrad/train/dataset.hpp>

namespace typegrad {

// An input of every sample besides the features: a dataset [N, ...] of the same file, read as
// features are (uint8 as value / 255 unless the file or scale and offset say otherwise).
struct hdf5_input {
    std::string dataset;             // its path in the file
    std::string name{};              // the network input it is bound to; empty: `dataset`
    std::optional<double> scale{};   // as hdf5_reader_options' scale and offset
    std::optional<double> offset{};
};

template <class T, class Target = T>
class hdf5_dataset {
    static_assert(std::is_floating_point_v<T>, "typegrad: hdf5_dataset<T, Target>: T is the network's value type, float or double");
    static_assert(std::is_same_v<Target, T> || std::is_same_v<Target, std::int32_t>,
                  "typegrad: hdf5_dataset<T, Target>: Target is T (values) or std::int32_t (class labels)");

public:
    using value_type = T;
    using target_type = Target;
    static constexpr bool streamed = true;

    explicit hdf5_dataset(std::filesystem::path path, io::hdf5_reader_options options = {}, std::vector<hdf5_input> other_inputs = {})
        : description_{std::make_shared<const io::hdf5_reader>(path, options)}, others_{open_others(*description_, std::move(other_inputs))} {
        const io::hdf5_reader& file = *description_;
        constexpr bool labels = std::is_same_v<Target, std::int32_t> && !std::is_same_v<T, std::int32_t>;
        if (file.has_labels() != labels)
            throw io::io_error(file.path() + ": dataset \"" + file.options().targets + "\" holds " +
                               (file.has_labels() ? "integer class labels; read it as hdf5_dataset<T, std::int32_t>"
                                                  : "values of shape " + io::shape_tuple(file.target_shape()) + ", not class labels; read it as hdf5_dataset<T, T>"));
        feature_size = file.feature_size();
        target_size = file.target_size();
        count_ = file.size();
    }

    // Rows [first, first + count) of this data set (its own rows, numbered from 0).
    hdf5_dataset rows(std::size_t first, std::size_t count) const {
        if (first > count_ || count > count_ - first)
            throw std::out_of_range("typegrad: hdf5_dataset: " + path() + ": rows [" + std::to_string(first) + ", " + std::to_string(first + count) +
                                    ") of a data set of " + std::to_string(count_));
        hdf5_dataset part = *this;
        part.first_ = first_ + first;
        part.count_ = count;
        return part;
    }

    std::size_t size() const { return count_; }
    std::size_t first_row() const { return first_; }  // in the file
    const std::string& path() const { return description_->path(); }
    const io::hdf5_reader& file() const { return *description_; }  // shapes, types, scale in effect

    std::vector<input_description> other_input_descriptions() const {
        std::vector<input_description> descriptions;
        for (const other_input& other : *others_)
            descriptions.push_back({other.name, other.file.feature_size(), other.file.feature_shape(), path() + ": dataset \"" + other.file.options().features + "\""});
        return descriptions;
    }

    // Values per sample; read-only (public as dataset's are, so that code can take either).
    std::size_t feature_size = 0;
    std::size_t target_size = 1;

    // One pass's reader: reads samples by their index in this data set, ascending.
    class cursor {
    public:
        static constexpr bool wants_sorted = true;  // one read per run of consecutive rows

        explicit cursor(const hdf5_dataset& data) : reader_{data.path(), data.file().options()}, first_{data.first_} {
            for (const other_input& other : *data.others_) others_.emplace_back(data.path(), other.file.options());
        }

        // `others`: buffers of the other inputs, in their order (an empty span skips one).
        void read(std::span<const std::size_t> ascending, std::span<T> features, std::span<Target> targets, std::span<const std::span<T>> others = {}) {
            rows_.resize(ascending.size());  // no allocation after the first batch: the capacity stays
            std::transform(ascending.begin(), ascending.end(), rows_.begin(), [&](std::size_t i) { return first_ + i; });
            reader_.read_sorted(rows_, features, targets);
            for (std::size_t k = 0; k < others.size(); ++k)
                if (!others[k].empty()) others_[k].read_sorted(rows_, others[k], std::span<T>{});
        }

    private:
        io::hdf5_reader reader_;
        std::vector<io::hdf5_reader> others_;
        std::size_t first_;
        std::vector<std::size_t> rows_;
    };

    // A 64-bit hash of what checkpoints must find again on resuming: the datasets' names, types and
    // shapes, the rows, and the values of up to 16 rows at each end (not the whole file, which may be
    // terabytes).
    std::uint64_t fingerprint() const {
        const io::hdf5_reader& file = *description_;
        std::string description = file.options().features + "|" + file.options().targets + "|" + std::string(io::name_of(file.feature_type())) +
                                  io::shape_tuple(file.feature_shape()) + io::shape_tuple(file.target_shape()) + "|" + std::to_string(first_) + "+" +
                                  std::to_string(count_) + "|" + std::to_string(file.scale()) + "," + std::to_string(file.offset());
        for (const other_input& other : *others_)
            description += "|" + other.name + "=" + other.file.options().features + ":" + std::string(io::name_of(other.file.feature_type())) +
                           io::shape_tuple(other.file.feature_shape()) + std::to_string(other.file.scale()) + "," + std::to_string(other.file.offset());
        const std::size_t ends = std::min<std::size_t>(16, count_);
        std::vector<std::size_t> rows;
        for (std::size_t i = 0; i < ends; ++i) rows.push_back(i);
        for (std::size_t i = std::max(ends, count_ - ends); i < count_; ++i) rows.push_back(i);
        std::vector<T> features(rows.size() * feature_size);
        std::vector<Target> targets(rows.size() * target_size);
        std::vector<std::vector<T>> others;
        for (const other_input& other : *others_) others.emplace_back(rows.size() * other.file.feature_size());
        const std::vector<std::span<T>> other_spans(others.begin(), others.end());
        cursor{*this}.read(rows, features, targets, other_spans);
        for (const std::vector<T>& values : others) features.insert(features.end(), values.begin(), values.end());
        const std::uint64_t values = checkpoint_fingerprint(std::as_bytes(std::span(features)), std::as_bytes(std::span(targets)));
        return checkpoint_fingerprint(std::as_bytes(std::span(description)), std::as_bytes(std::span(&values, 1)));
    }

private:
    struct other_input {
        std::string name;
        io::hdf5_reader file;  // opened once, to check and describe the dataset; never read from
    };

    // Opens each other input's dataset (features only), checking it holds as many samples as the features.
    static std::shared_ptr<const std::vector<other_input>> open_others(const io::hdf5_reader& main, std::vector<hdf5_input> inputs) {
        auto others = std::make_shared<std::vector<other_input>>();
        for (hdf5_input& input : inputs) {
            const std::string name = input.name.empty() ? input.dataset : input.name;
            for (const other_input& earlier : *others)
                if (earlier.name == name) throw std::invalid_argument("typegrad: hdf5_dataset: " + main.path() + ": two other inputs are named '" + name + "'");
            io::hdf5_reader_options options{.features = input.dataset, .targets = "", .scale = input.scale, .offset = input.offset,
                                            .chunk_cache_bytes = main.options().chunk_cache_bytes};
            io::hdf5_reader file{main.path(), options};
            if (file.size() != main.size())
                throw io::io_error(main.path() + ": dataset \"" + input.dataset + "\" holds " + std::to_string(file.size()) + " samples but dataset \"" +
                                   main.options().features + "\" holds " + std::to_string(main.size()));
            others->push_back({name, std::move(file)});
        }
        return others;
    }

    std::shared_ptr<const io::hdf5_reader> description_;  // opened once, to check and describe the file; never read from
    std::shared_ptr<const std::vector<other_input>> others_;
    std::size_t first_ = 0, count_ = 0;
};

}  // namespace typegrad
