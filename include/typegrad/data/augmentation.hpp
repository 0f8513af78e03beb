#pragma once
// Data augmentation: seeded, per-sample transforms of (C, H, W) images (flips, quarter turns and crops),
// composed into one pipeline whose output shape is known at compile time:
//
//   const auto augment = tg::augment::compose(tg::shape<3, 64, 64>{}, tg::augment::flip_horizontal{0.5},
//                                             tg::augment::rotate_90{}, tg::augment::random_crop<56, 56>{});
//   static_assert(decltype(augment)::output_shape{} == tg::shape<3, 56, 56>{});
//   augment(images, out, rng);                   // training: each image its own random choices
//   augment.apply_for_evaluation(images, out);   // evaluation: no flip or random turn, the centre crop
//
// Every stage here moves pixels without changing them, so a pipeline is one map from output pixel to
// input pixel: the stages draw their choices in order, their maps are composed, and the image is read
// once, whatever the number of stages (no intermediate images, no allocation). Choices come from
// typegrad's random_generator, so a seed gives the same images with every compiler and library; each
// stage draws the same number of values whatever it decides (a flip one uniform, a turn one integer, a
// crop two), so a pipeline's stream of draws does not depend on the choices made.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <tuple>

#include <typegrad/kernels/random.hpp>
#include <typegrad/shape/shape.hpp>

namespace typegrad::augment {

// Where each output pixel is read from: input row = row_y*y + row_x*x + row_0, input column =
// col_y*y + col_x*x + col_0, for the output pixel at row y, column x. Flips, quarter turns and crops
// are all of this form, and so is any composition of them.
struct pixel_map {
    std::ptrdiff_t row_y = 1, row_x = 0, row_0 = 0;
    std::ptrdiff_t col_y = 0, col_x = 1, col_0 = 0;

    // The map of applying `later` to the output of this one: an output pixel of `later` is found in
    // this stage's output by `later`, and in this stage's input by this map.
    constexpr pixel_map then(const pixel_map& later) const {
        return {row_y * later.row_y + row_x * later.col_y, row_y * later.row_x + row_x * later.col_x, row_y * later.row_0 + row_x * later.col_0 + row_0,
                col_y * later.row_y + col_x * later.col_y, col_y * later.row_x + col_x * later.col_x, col_y * later.row_0 + col_x * later.col_0 + col_0};
    }
    constexpr bool operator==(const pixel_map&) const = default;
};

// Mirrors left and right (columns) with the given probability.
struct flip_horizontal {
    double probability = 0.5;

    template <std::size_t H, std::size_t W>
    static constexpr std::array<std::size_t, 2> output_size() { return {H, W}; }
    template <std::size_t H, std::size_t W>
    pixel_map draw(random_generator& rng) const {
        return rng.uniform() < probability ? pixel_map{1, 0, 0, 0, -1, std::ptrdiff_t(W) - 1} : pixel_map{};
    }
    template <std::size_t H, std::size_t W>
    pixel_map for_evaluation() const { return {}; }
};

// Mirrors top and bottom (rows) with the given probability.
struct flip_vertical {
    double probability = 0.5;

    template <std::size_t H, std::size_t W>
    static constexpr std::array<std::size_t, 2> output_size() { return {H, W}; }
    template <std::size_t H, std::size_t W>
    pixel_map draw(random_generator& rng) const {
        return rng.uniform() < probability ? pixel_map{-1, 0, std::ptrdiff_t(H) - 1, 0, 1, 0} : pixel_map{};
    }
    template <std::size_t H, std::size_t W>
    pixel_map for_evaluation() const { return {}; }
};

// Quarter turns counterclockwise (as numpy.rot90 over the (H, W) axes, with row 0 at the top) of a
// square image: a random number of them, 0 to 3 with probability 1/4 each, or always `turns` of them.
struct rotate_90 {
    std::optional<int> turns{};

    template <std::size_t H, std::size_t W>
    static constexpr std::array<std::size_t, 2> output_size() {
        static_assert(H == W, "typegrad: rotate_90 turns square images only (H == W); crop to a square first");
        return {H, W};
    }

    template <std::size_t S>
    static constexpr pixel_map quarter_turns(int k) {
        const auto last = std::ptrdiff_t(S) - 1;
        switch (((k % 4) + 4) % 4) {
            case 1: return {0, 1, 0, -1, 0, last};      // out(y, x) = in(x, S-1-y)
            case 2: return {-1, 0, last, 0, -1, last};  // out(y, x) = in(S-1-y, S-1-x)
            case 3: return {0, -1, last, 1, 0, 0};      // out(y, x) = in(S-1-x, y)
            default: return {};
        }
    }
    template <std::size_t H, std::size_t W>
    pixel_map draw(random_generator& rng) const {
        const int drawn = static_cast<int>(rng.below(4));
        return quarter_turns<H>(turns ? *turns : drawn);
    }
    template <std::size_t H, std::size_t W>
    pixel_map for_evaluation() const {
        return quarter_turns<H>(turns ? *turns : 0);  // a fixed turn is part of the data, not a random choice
    }
};

// A (h, w) window at a uniformly random position (each of the (H-h+1)(W-w+1) equally likely); in
// evaluation, the centre window (rounded towards the top left).
template <std::size_t Height, std::size_t Width>
struct random_crop {
    template <std::size_t H, std::size_t W>
    static constexpr std::array<std::size_t, 2> output_size() {
        static_assert(Height <= H && Width <= W, "typegrad: random_crop is larger than its input image");
        return {Height, Width};
    }
    template <std::size_t H, std::size_t W>
    pixel_map draw(random_generator& rng) const {
        const auto top = static_cast<std::ptrdiff_t>(rng.below(H - Height + 1));
        const auto left = static_cast<std::ptrdiff_t>(rng.below(W - Width + 1));
        return {1, 0, top, 0, 1, left};
    }
    template <std::size_t H, std::size_t W>
    pixel_map for_evaluation() const {
        return {1, 0, std::ptrdiff_t(H - Height) / 2, 0, 1, std::ptrdiff_t(W - Width) / 2};
    }
};

// The centre (h, w) window, in training and evaluation alike.
template <std::size_t Height, std::size_t Width>
struct centre_crop {
    template <std::size_t H, std::size_t W>
    static constexpr std::array<std::size_t, 2> output_size() {
        static_assert(Height <= H && Width <= W, "typegrad: centre_crop is larger than its input image");
        return {Height, Width};
    }
    template <std::size_t H, std::size_t W>
    pixel_map draw(random_generator&) const {
        return for_evaluation<H, W>();
    }
    template <std::size_t H, std::size_t W>
    pixel_map for_evaluation() const {
        return {1, 0, std::ptrdiff_t(H - Height) / 2, 0, 1, std::ptrdiff_t(W - Width) / 2};
    }
};

namespace detail {

// The (height, width) after the stages, applied in order to an (H, W) image.
template <std::size_t H, std::size_t W, class... Stages>
struct size_after;
template <std::size_t H, std::size_t W>
struct size_after<H, W> {
    static constexpr std::size_t height = H, width = W;
};
template <std::size_t H, std::size_t W, class First, class... Rest>
struct size_after<H, W, First, Rest...> {
    static constexpr auto next = First::template output_size<H, W>();
    static constexpr std::size_t height = size_after<next[0], next[1], Rest...>::height;
    static constexpr std::size_t width = size_after<next[0], next[1], Rest...>::width;
};

}  // namespace detail

template <class Input, class... Stages>
class augmentation;

// A pipeline of stages for images of shape (C, H, W), applied in the order given.
template <std::size_t C, std::size_t H, std::size_t W, class... Stages>
class augmentation<shape<C, H, W>, Stages...> {
public:
    using input_shape = shape<C, H, W>;
    using output_shape = shape<C, detail::size_after<H, W, Stages...>::height, detail::size_after<H, W, Stages...>::width>;

    constexpr explicit augmentation(Stages... stages) : stages_{stages...} {}

    // One map for one image: each stage's random choices, drawn in order, composed.
    pixel_map draw(random_generator& rng) const { return compose<H, W, 0>(pixel_map{}, &rng); }
    // The same in evaluation: no random flip or turn, crops at the centre.
    pixel_map for_evaluation() const { return compose<H, W, 0>(pixel_map{}, nullptr); }

    // Transforms each of the images in `in` (a whole number of (C, H, W) images) into `out` (as many
    // output_shape images), each with its own draws from `rng`, in order.
    void operator()(std::span<const float> in, std::span<float> out, random_generator& rng) const { apply(in, out, &rng); }
    void operator()(std::span<const double> in, std::span<double> out, random_generator& rng) const { apply(in, out, &rng); }

    // The same in evaluation: one fixed map for every image.
    void apply_for_evaluation(std::span<const float> in, std::span<float> out) const { apply(in, out, nullptr); }
    void apply_for_evaluation(std::span<const double> in, std::span<double> out) const { apply(in, out, nullptr); }

    // Reads one output image through `map`, channel by channel.
    template <class T>
    static void gather(const pixel_map& map, const T* in, T* out) {
        constexpr std::size_t h = output_shape::dims[1], w = output_shape::dims[2];
        const std::ptrdiff_t step = map.row_x * std::ptrdiff_t(W) + map.col_x;  // along an output row
        for (std::size_t c = 0; c < C; ++c) {
            const T* plane = in + c * H * W;
            for (std::size_t y = 0; y < h; ++y) {
                const std::ptrdiff_t row = map.row_y * std::ptrdiff_t(y) + map.row_0, col = map.col_y * std::ptrdiff_t(y) + map.col_0;
                const T* source = plane + row * std::ptrdiff_t(W) + col;
                T* target = out + (c * h + y) * w;
                for (std::size_t x = 0; x < w; ++x) target[x] = source[std::ptrdiff_t(x) * step];
            }
        }
    }

private:
    // Composes the maps of stages I, I+1, ... onto `so_far`, for an (Hi, Wi) image entering stage I.
    template <std::size_t Hi, std::size_t Wi, std::size_t I>
    pixel_map compose(const pixel_map& so_far, random_generator* rng) const {
        if constexpr (I == sizeof...(Stages)) {
            return so_far;
        } else {
            using stage = std::tuple_element_t<I, std::tuple<Stages...>>;
            const stage& s = std::get<I>(stages_);
            const pixel_map own = rng ? s.template draw<Hi, Wi>(*rng) : s.template for_evaluation<Hi, Wi>();
            constexpr auto next = stage::template output_size<Hi, Wi>();
            return compose<next[0], next[1], I + 1>(so_far.then(own), rng);
        }
    }

    template <class T>
    void apply(std::span<const T> in, std::span<T> out, random_generator* rng) const {
        const std::size_t count = checked_count(in.size(), out.size());
        const pixel_map fixed = for_evaluation();
        for (std::size_t i = 0; i < count; ++i) gather(rng ? draw(*rng) : fixed, in.data() + i * input_shape::size, out.data() + i * output_shape::size);
    }

    static std::size_t checked_count(std::size_t in, std::size_t out) {
        const std::size_t count = in / input_shape::size;
        if (in % input_shape::size != 0 || out != count * output_shape::size)
            throw std::invalid_argument("typegrad: augmentation: " + std::to_string(in) + " input values are not whole images of shape " +
                                        input_shape::to_string() + " matching " + std::to_string(out) + " output values of shape " +
                                        output_shape::to_string());
        return count;
    }

    std::tuple<Stages...> stages_;
};

template <std::size_t C, std::size_t H, std::size_t W, class... Stages>
constexpr augmentation<shape<C, H, W>, Stages...> compose(shape<C, H, W>, Stages... stages) {
    return augmentation<shape<C, H, W>, Stages...>{stages...};
}

// A seed for one sample in one epoch, from the run's seed: a loader in any thread, reading samples in
// any order, draws the same augmentation for the same (epoch, sample).
constexpr std::uint64_t seed_for(std::uint64_t seed, std::uint64_t epoch, std::uint64_t sample) {
    auto mix = [](std::uint64_t z) {  // splitmix64's finaliser
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    };
    return mix(mix(mix(seed) ^ (epoch + 0x9e3779b97f4a7c15ULL)) ^ (sample + 0x632be59bd9b4e019ULL));
}

}  // namespace typegrad::augment
