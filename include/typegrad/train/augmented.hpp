#pragma once
// A training set seen through an augmentation pipeline (data/augmentation.hpp): each sample is
// transformed as it is read, on the reading thread (fit_options::prefetch), with draws seeded by the
// run's seed, the epoch and the sample (augment::seed_for), so a run is the same whatever the prefetch
// depth, and a resumed run draws what the straight run drew.
//
//   const auto pipeline = tg::augment::compose(tg::shape<3, 64, 64>{}, tg::augment::flip_horizontal{}, tg::augment::rotate_90{});
//   tg::fit(net, opt, tg::with_validation(tg::augmented(train, pipeline, seed), validation), image, target, options);
//
// Augmentation is for training only: evaluate(), predict() and the metrics refuse an augmented
// source (at compile time); they take the data it wraps. It refers to that data, which must outlive it.
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <typegrad/data/augmentation.hpp>
#include <typegrad/kernels/random.hpp>
#include <typegrad/train/batch_loader.hpp>
#include <typegrad/train/checkpoint.hpp>

namespace typegrad {

template <sample_source Data, class Pipeline>
class augmented_source {
    using stored_shape = typename Pipeline::input_shape;

public:
    using value_type = typename Data::value_type;
    using target_type = typename Data::target_type;
    using output_shape = typename Pipeline::output_shape;
    static constexpr bool streamed = true;  // read through a batch_loader, ahead of the training
    static constexpr bool augmented = true;

    augmented_source(const Data& data, Pipeline pipeline, std::uint64_t seed)
        : feature_size{output_shape::size}, target_size{data.target_size}, data_{&data}, pipeline_{pipeline}, seed_{seed} {
        if constexpr (requires { data.file(); })
            data.file().check_feature_shape(stored_shape{});
        else if (data.feature_size != stored_shape::size)
            throw std::invalid_argument("typegrad: augmented: the data's samples have " + std::to_string(data.feature_size) + " values, the augmentation takes images of shape " +
                                        stored_shape::to_string() + " (" + std::to_string(stored_shape::size) + " values)");
    }

    std::size_t size() const { return data_->size(); }
    std::vector<input_description> other_input_descriptions() const { return detail::other_inputs_of(*data_); }  // read as they are
    const Data& source() const { return *data_; }
    std::uint64_t fingerprint() const {
        const std::uint64_t parts[2] = {seed_, detail::fingerprint_of(*data_)};
        return checkpoint_fingerprint(std::as_bytes(std::span(parts)), {});
    }

    std::size_t feature_size;  // of the augmented samples
    std::size_t target_size;

    class cursor {
    public:
        static constexpr bool wants_sorted = detail::cursor_of<Data>::wants_sorted;

        explicit cursor(const augmented_source& source) : inner_{detail::open_cursor(*source.data_)}, pipeline_{source.pipeline_}, seed_{source.seed_} {}

        // The pass (an epoch) whose draws the next reads take.
        void start_pass(std::uint64_t pass) { pass_ = pass; }

        void read(std::span<const std::size_t> samples, std::span<value_type> features, std::span<target_type> targets,
                  std::span<const std::span<value_type>> others) {
            stored_.resize(samples.size() * stored_shape::size);  // no allocation after the first batch
            inner_.read(samples, stored_, targets, others);
            random_generator rng;
            for (std::size_t i = 0; i < samples.size(); ++i) {
                rng.reseed(augment::seed_for(seed_, pass_, samples[i]));
                Pipeline::gather(pipeline_.draw(rng), stored_.data() + i * stored_shape::size, features.data() + i * output_shape::size);
            }
        }

    private:
        detail::cursor_of<Data> inner_;
        Pipeline pipeline_;
        std::uint64_t seed_, pass_ = 0;
        std::vector<value_type> stored_;
    };

private:
    const Data* data_;
    Pipeline pipeline_;
    std::uint64_t seed_;
};

// `data` (in memory or streamed) seen through `pipeline`, drawn from `seed`.
template <sample_source Data, class Pipeline>
augmented_source<Data, Pipeline> augmented(const Data& data, Pipeline pipeline, std::uint64_t seed) {
    return {data, pipeline, seed};
}

}  // namespace typegrad
