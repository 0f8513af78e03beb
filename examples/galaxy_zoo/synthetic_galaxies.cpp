#include "synthetic_galaxies.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

#include <typegrad/io/hdf5_writer.hpp>
#include <typegrad/report/plots.hpp>

namespace galaxy_zoo {

namespace {

using typegrad::random_generator;
constexpr std::size_t area = side * side;
constexpr double pi = std::numbers::pi;

// The 37 answers, by name.
enum answer : std::size_t {
    smooth, features, star_or_artefact_answer,
    edge_on_yes, edge_on_no,
    bar_yes, bar_no,
    spiral_yes, spiral_no,
    bulge_none, bulge_noticeable, bulge_obvious, bulge_dominant,
    odd_yes, odd_no,
    round_completely, round_in_between, round_cigar,
    odd_ring, odd_lens_or_arc, odd_disturbed, odd_irregular, odd_other, odd_merger, odd_dust_lane,
    edge_bulge_rounded, edge_bulge_boxy, edge_bulge_none,
    winding_tight, winding_medium, winding_loose,
    arms_one, arms_two, arms_three, arms_four, arms_more, arms_cant_tell,
};

}  // namespace

const std::array<std::string_view, answer_count> answer_names{
    "Class1.1", "Class1.2", "Class1.3", "Class2.1", "Class2.2", "Class3.1", "Class3.2", "Class4.1", "Class4.2", "Class5.1",
    "Class5.2", "Class5.3", "Class5.4", "Class6.1", "Class6.2", "Class7.1", "Class7.2", "Class7.3", "Class8.1", "Class8.2",
    "Class8.3", "Class8.4", "Class8.5", "Class8.6", "Class8.7", "Class9.1", "Class9.2", "Class9.3", "Class10.1", "Class10.2",
    "Class10.3", "Class11.1", "Class11.2", "Class11.3", "Class11.4", "Class11.5", "Class11.6"};

const std::array<question, 11> questions{{
    {"Is the galaxy simply smooth and rounded, with no sign of a disk?", smooth, 3, -1},
    {"Could this be a disk viewed edge-on?", edge_on_yes, 2, features},
    {"Is there a sign of a bar feature through the centre of the galaxy?", bar_yes, 2, edge_on_no},
    {"Is there any sign of a spiral arm pattern?", spiral_yes, 2, edge_on_no},
    {"How prominent is the central bulge, compared with the rest of the galaxy?", bulge_none, 4, edge_on_no},
    {"Is there anything odd?", odd_yes, 2, -1},
    {"How rounded is it?", round_completely, 3, smooth},
    {"Is the odd feature a ring, or is the galaxy disturbed or irregular?", odd_ring, 7, odd_yes},
    {"Does the galaxy have a bulge at its centre? If so, what shape?", edge_bulge_rounded, 3, edge_on_yes},
    {"How tightly wound do the spiral arms appear?", winding_tight, 3, spiral_yes},
    {"How many spiral arms are there?", arms_one, 6, spiral_yes},
}};

std::string_view name_of(morphology type) {
    switch (type) {
        case morphology::elliptical: return "elliptical";
        case morphology::spiral: return "spiral";
        case morphology::edge_on: return "edge-on disc";
        case morphology::merger: return "merger";
        case morphology::star_or_artefact: return "star/artefact";
    }
    return "unknown";
}

double sum_rule_violation(std::span<const float, answer_count> fractions) {
    double worst = 0;
    for (const question& q : questions) {
        double sum = 0;
        for (std::size_t a = q.first; a < q.first + q.count; ++a) sum += fractions[a];
        const double reached = q.parent < 0 ? 1.0 : double(fractions[std::size_t(q.parent)]);
        worst = std::max(worst, std::abs(sum - reached));
    }
    return worst;
}

namespace {

double log_uniform(random_generator& rng, double low, double high) { return low * std::pow(high / low, rng.uniform()); }
double clamp01(double x) { return std::clamp(x, 0.0, 1.0); }

// Relative flux in g, r, i of the three stellar populations each image mixes (r = 1).
using colour = std::array<double, bands>;
constexpr colour old_stars{0.45, 1.0, 1.35}, disc_stars{0.75, 1.0, 1.15}, young_stars{1.7, 1.0, 0.65};
enum layer : std::size_t { old_layer, disc_layer, young_layer, layer_count };

// An image-sized buffer of one component before it is normalised to its flux.
using plane = std::span<float, area>;

// Adds `flux` times `shape` (any non-negative image) normalised to unit sum, into `target`.
void add_normalised(plane target, plane shape, double flux) {
    double sum = 0;
    for (const float v : shape) sum += v;
    if (!(sum > 0)) return;
    const auto k = static_cast<float>(flux / sum);
    for (std::size_t i = 0; i < area; ++i) target[i] += k * shape[i];
}

// Coordinates of a pixel in a body's frame: u along its major axis, v along its minor axis.
struct frame {
    double x, y, cosine, sine;
    frame(double cx, double cy, double angle) : x{cx}, y{cy}, cosine{std::cos(angle)}, sine{std::sin(angle)} {}
};

// A radial profile f(r), r in [0, reach], tabulated where it changes fastest (r = reach (k / N)^2, dense
// at the centre) and read by linear interpolation: one square root per pixel instead of a logarithm and
// two exponentials. Beyond `reach`, f(reach).
class radial_table {
public:
    template <class Profile>
    radial_table(double reach, Profile&& f) : scale_{float(256.0 * steps * steps / reach)} {
        for (std::size_t k = 0; k <= steps; ++k) table_[k] = static_cast<float>(f(reach * double(k * k) / double(steps * steps)));
    }
    // r of at most about 8000 reaches (the fixed-point position stays within int32).
    float operator()(float r) const {
        const auto fixed = std::min(static_cast<std::int32_t>(std::sqrt(r * scale_) * 16.0f), std::int32_t{256 * steps - 1});
        const auto k = static_cast<std::size_t>(fixed >> 8);
        return table_[k] + float(fixed & 255) * (1.0f / 256) * (table_[k + 1] - table_[k]);
    }

private:
    static constexpr std::size_t steps = 512;
    float scale_;
    std::array<float, steps + 1> table_{};
};

// A Sersic profile exp(-b ((r / R)^(1/n) - 1)) on elliptical (boxiness 2) or boxy (> 2) isophotes.
void sersic(plane out, const frame& f, double axis_ratio, double radius, double n, double boxiness = 2) {
    const double b = 2 * n - 1.0 / 3 + 0.009876 / n;  // half the light within `radius`
    const double reach = std::sqrt(2.0) * side / (radius * axis_ratio) + 1;  // no pixel is farther, in units of the radius
    // r is at least 0.05 radius, the pixel's own extent: no infinite cusp at the centre.
    const radial_table profile(reach, [&](double r) { return std::exp(-b * (std::pow(std::max(r, 0.05), 1 / n) - 1)); });
    const auto inverse_radius = static_cast<float>(1 / radius), inverse_q = static_cast<float>(1 / axis_ratio);
    const auto c = static_cast<float>(f.cosine), s = static_cast<float>(f.sine), power = float(boxiness);
    for (std::size_t py = 0; py < side; ++py)
        for (std::size_t px = 0; px < side; ++px) {
            const auto dx = static_cast<float>(double(px) - f.x), dy = static_cast<float>(double(py) - f.y);
            const float u = (dx * c + dy * s) * inverse_radius, v = (-dx * s + dy * c) * inverse_radius * inverse_q;
            const float r = boxiness == 2 ? std::sqrt(u * u + v * v) : std::pow(std::pow(std::abs(u), power) + std::pow(std::abs(v), power), 1 / power);
            out[py * side + px] = profile(r);
        }
}

// A Gaussian blob (sigma in pixels) of the given flux, added where it is not negligible.
void blob(plane target, double x, double y, double sigma, double flux) {
    const double reach = 3.5 * sigma;
    const auto x0 = static_cast<std::ptrdiff_t>(std::max(0.0, std::floor(x - reach))), x1 = static_cast<std::ptrdiff_t>(std::min(side - 1.0, std::ceil(x + reach)));
    const auto y0 = static_cast<std::ptrdiff_t>(std::max(0.0, std::floor(y - reach))), y1 = static_cast<std::ptrdiff_t>(std::min(side - 1.0, std::ceil(y + reach)));
    const double k = flux / (2 * pi * sigma * sigma), inverse = 1 / (2 * sigma * sigma);
    for (auto py = y0; py <= y1; ++py)
        for (auto px = x0; px <= x1; ++px) {
            const double dx = double(px) - x, dy = double(py) - y;
            target[std::size_t(py) * side + std::size_t(px)] += static_cast<float>(k * std::exp(-(dx * dx + dy * dy) * inverse));
        }
}

// A point source: its flux shared bilinearly between the four nearest pixels (the PSF spreads it).
void point(plane target, double x, double y, double flux) {
    const double fx = std::floor(x), fy = std::floor(y), ax = x - fx, ay = y - fy;
    const auto put = [&](double px, double py, double w) {
        if (px >= 0 && py >= 0 && px < side && py < side) target[std::size_t(py) * side + std::size_t(px)] += static_cast<float>(flux * w);
    };
    put(fx, fy, (1 - ax) * (1 - ay));
    put(fx + 1, fy, ax * (1 - ay));
    put(fx, fy + 1, (1 - ax) * ay);
    put(fx + 1, fy + 1, ax * ay);
}

// Separable Gaussian blur of one band, zero outside the image (the sky is added afterwards).
void blur(plane image, plane scratch, double sigma) {
    const int reach = std::max(1, static_cast<int>(std::ceil(3 * sigma)));
    std::array<float, 32> kernel{};
    float total = 0;
    for (int k = -reach; k <= reach; ++k) total += kernel[std::size_t(k + reach)] = static_cast<float>(std::exp(-0.5 * k * k / (sigma * sigma)));
    for (int k = 0; k <= 2 * reach; ++k) kernel[std::size_t(k)] /= total;
    // Each tap added across a whole row at a time: loops over pixels that vectorise, rather than a sum per
    // pixel whose additions wait on one another.
    std::array<float, side + 64> row{};
    for (std::size_t y = 0; y < side; ++y) {  // along rows
        std::copy_n(image.begin() + std::ptrdiff_t(y * side), side, row.begin() + reach);
        float* out = scratch.data() + y * side;
        std::fill_n(out, side, 0.0f);
        for (int k = 0; k <= 2 * reach; ++k) {
            const float w = kernel[std::size_t(k)];
            const float* in = row.data() + k;
            for (std::size_t x = 0; x < side; ++x) out[x] += w * in[x];
        }
    }
    std::fill(image.begin(), image.end(), 0.0f);
    for (int k = -reach; k <= reach; ++k) {  // along columns: whole rows shifted by k
        const float w = kernel[std::size_t(k + reach)];
        for (std::size_t y = std::size_t(std::max(0, -k)); y < side - std::size_t(std::max(0, k)); ++y) {
            const float* in = scratch.data() + (std::ptrdiff_t(y) + k) * std::ptrdiff_t(side);
            float* out = image.data() + y * side;
            for (std::size_t x = 0; x < side; ++x) out[x] += w * in[x];
        }
    }
}

// A normal deviate from one 64-bit draw: the sum of four 16-bit uniforms, scaled to unit variance
// (good to about 3.5 sigma, which is all an image's noise needs, at a quarter of Box-Muller's cost).
float quick_normal(random_generator& rng) {
    const std::uint64_t bits = rng.next();
    const auto sum = float((bits & 0xffff) + ((bits >> 16) & 0xffff) + ((bits >> 32) & 0xffff) + (bits >> 48));
    return (sum * (1.0f / 65536.0f) - 2.0f) * 1.7320508f;
}

// Image units: counts per pixel in r. The stretch maps sky-subtracted counts to [0, 1] by asinh.
constexpr std::array<double, bands> sky{45, 60, 85};
constexpr double read_noise = 5, stretch_softening = 12, stretch_saturation = 5000;

// asinh(counts / softening) / asinh(saturation / softening), clamped to [0, 1]: a table on [0, saturation]
// read with linear interpolation (within 1e-5 of the function, far below the uint8 file's 1/255; an
// asinh per pixel was most of the time of making a galaxy).
class asinh_stretch {
public:
    asinh_stretch() {
        const double normaliser = 1 / std::asinh(stretch_saturation / stretch_softening);
        for (std::size_t k = 0; k <= steps; ++k)
            table_[k] = static_cast<float>(std::asinh(double(k) * stretch_saturation / steps / stretch_softening) * normaliser);
    }
    // Counts of magnitude below 2.5 million (a pixel holds at most a bright star's 200,000); outside
    // [0, saturation], the ends of the table. The
    // position is fixed-point (1/256 of a step) and clamped as an integer: no branch on the noisy sign
    // of a sky pixel, which the processor could not predict.
    float operator()(float counts) const {
        const auto fixed = std::clamp(static_cast<std::int32_t>(counts * float(256 * steps / stretch_saturation)), std::int32_t{0},
                                      std::int32_t{256 * steps - 1});
        const auto k = static_cast<std::size_t>(fixed >> 8);
        return table_[k] + float(fixed & 255) * (1.0f / 256) * (table_[k + 1] - table_[k]);
    }

private:
    static constexpr std::size_t steps = 16384;
    std::array<float, steps + 1> table_{};
};
const asinh_stretch stretch;

}  // namespace

generator::generator(std::uint64_t seed)
    : seed_{seed}, layers_(layer_count * area), bands_(bands * area), scratch_(2 * area) {}

galaxy generator::draw(random_generator& rng) const {
    galaxy g;
    const double pick = rng.uniform();
    g.type = pick < 0.30 ? morphology::elliptical : pick < 0.64 ? morphology::spiral : pick < 0.78 ? morphology::edge_on : pick < 0.88 ? morphology::merger
                                                                                                                           : morphology::star_or_artefact;
    g.x = 31.5 + rng.uniform(-2, 2);
    g.y = 31.5 + rng.uniform(-2, 2);
    g.angle = rng.uniform(0, pi);
    g.psf = rng.uniform(0.9, 1.6);
    switch (g.type) {
        case morphology::elliptical:
            g.sersic = rng.uniform(2.5, 5.5);
            g.axis_ratio = rng.uniform() < 0.15 ? rng.uniform(0.22, 0.4) : rng.uniform(0.4, 1.0);
            g.radius = log_uniform(rng, 3, 11);
            g.flux = log_uniform(rng, 3000, 60000);
            g.bulge_fraction = 1;
            g.lens_arc = rng.uniform() < 0.06;
            break;
        case morphology::spiral: {
            g.radius = log_uniform(rng, 2.8, 8);  // disc scale length
            g.axis_ratio = rng.uniform(0.3, 1.0);
            g.flux = log_uniform(rng, 3000, 60000);
            g.bulge_fraction = 0.7 * std::pow(rng.uniform(), 1.5);
            g.sersic = rng.uniform(1.0, 4.0);
            const double arms = rng.uniform();
            g.arms = arms < 0.05 ? 1 : arms < 0.60 ? 2 : arms < 0.80 ? 3 : arms < 0.92 ? 4 : 5 + int(rng.below(2));
            g.arm_strength = rng.uniform(0.25, 1.0);
            g.pitch = rng.uniform(8, 40) * pi / 180;
            g.bar = rng.uniform() < 0.35 ? rng.uniform(0.3, 1.0) : 0;
            g.ring = rng.uniform() < 0.10;
            g.clumps = rng.uniform() < 0.12;
            break;
        }
        case morphology::edge_on:
            g.radius = log_uniform(rng, 3, 9);
            g.axis_ratio = rng.uniform(0.08, 0.22);
            g.flux = log_uniform(rng, 3000, 60000);
            g.bulge_shape = rng.uniform() < 0.5 ? 0 : rng.uniform() < 0.5 ? 1 : 2;
            g.bulge_fraction = g.bulge_shape == 2 ? 0 : rng.uniform(0.1, 0.5);
            g.sersic = rng.uniform(1.5, 4.0);
            g.dust = rng.uniform() < 0.7 ? rng.uniform(0.3, 0.9) : 0;
            break;
        case morphology::merger:
            g.radius = log_uniform(rng, 2.5, 7);
            g.axis_ratio = rng.uniform(0.45, 1.0);
            g.sersic = rng.uniform(1.0, 4.0);
            g.flux = log_uniform(rng, 5000, 60000);
            g.companion = rng.uniform(0.3, 1.0);
            g.tidal = rng.uniform(0.05, 0.3);
            g.clumps = rng.uniform() < 0.3;
            g.bulge_fraction = 0.6;
            break;
        case morphology::star_or_artefact: {
            const double kind = rng.uniform();
            g.artefact = kind < 0.65 ? 0 : kind < 0.8 ? 1 : 2;
            g.flux = log_uniform(rng, 4000, 200000);
            g.radius = 1.5;
            g.axis_ratio = 0.95;
            g.bulge_fraction = 0.5;
            break;
        }
    }
    // How clearly the features show: surface brightness against the sky noise, and size against the PSF.
    const double half_light = g.type == morphology::spiral || g.type == morphology::edge_on ? 1.68 * g.radius : g.radius;
    const double surface = g.flux / (2 * pi * half_light * half_light * std::max(g.axis_ratio, 0.3));
    const double signal_to_noise = surface / std::sqrt(sky[1] + read_noise * read_noise);
    g.clarity = std::clamp((std::log2(signal_to_noise) + 1.5) / 4.5, 0.1, 1.0) * std::clamp((half_light - 1.5) / 5.0, 0.2, 1.0);
    return g;
}

void generator::render(const galaxy& g, random_generator& rng, std::span<float, image_size> image) {
    std::fill(layers_.begin(), layers_.end(), 0.0f);
    std::fill(bands_.begin(), bands_.end(), 0.0f);
    const auto layer_plane = [&](std::size_t k) { return plane(layers_.data() + k * area, area); };
    const auto band_plane = [&](std::size_t b) { return plane(bands_.data() + b * area, area); };
    plane shape(scratch_.data(), area), extra(scratch_.data() + area, area);
    const frame body(g.x, g.y, g.angle);

    switch (g.type) {
        case morphology::elliptical: {
            // A redder, more concentrated core inside a bluer envelope: the colour gradient of real ellipticals.
            sersic(shape, body, g.axis_ratio, 0.6 * g.radius, g.sersic);
            add_normalised(layer_plane(old_layer), shape, 0.45 * g.flux);
            sersic(shape, body, g.axis_ratio, 1.25 * g.radius, std::max(1.0, g.sersic - 1));
            add_normalised(layer_plane(disc_layer), shape, 0.55 * g.flux);
            if (g.lens_arc) {  // a lensed background galaxy: blue blobs along a circular arc
                const double einstein = rng.uniform(1.6, 2.6) * g.radius, start = rng.uniform(0, 2 * pi), span = rng.uniform(0.8, 2.0);
                for (int k = 0; k < 24; ++k) {
                    const double a = start + span * k / 23.0;
                    blob(layer_plane(young_layer), g.x + einstein * std::cos(a), g.y + einstein * std::sin(a), 0.8, 0.05 * g.flux / 24);
                }
            }
            break;
        }
        case morphology::spiral: {
            const double bulge_radius = g.radius * rng.uniform(0.3, 0.6);
            sersic(shape, body, std::max(g.axis_ratio, 0.7), bulge_radius, g.sersic);
            add_normalised(layer_plane(old_layer), shape, g.bulge_fraction * g.flux);
            // The disc and its arms, in the disc's own plane (minor axis divided by the axis ratio).
            const double disc_flux = (1 - g.bulge_fraction) * g.flux, phase = rng.uniform(0, 2 * pi);
            const double winding = 1 / std::tan(g.pitch), inner = 0.8 * bulge_radius + (g.bar > 0 ? g.radius : 0.5 * g.radius);
            const double spin = rng.uniform() < 0.5 ? 1 : -1;  // clockwise or anticlockwise
            const auto c = float(body.cosine), s = float(body.sine), inverse_q = float(1 / g.axis_ratio), inverse_h = float(1 / g.radius);
            const auto m = float(g.arms), twist = float(spin * winding), offset = float(phase), inverse_inner = float(1 / (inner * inner));
            const auto base = float(1 - 0.6 * g.arm_strength), contrast = float(1.2 * g.arm_strength);
            for (std::size_t py = 0; py < side; ++py)
                for (std::size_t px = 0; px < side; ++px) {
                    const auto dx = float(double(px) - g.x), dy = float(double(py) - g.y);
                    const float u = dx * c + dy * s, v = (-dx * s + dy * c) * inverse_q;
                    const float r = std::max(std::sqrt(u * u + v * v), 0.3f), theta = std::atan2(v, u);
                    const float wave = 0.5f * (1 + std::cos(m * (theta - twist * std::log(r * inverse_h)) + offset));
                    const float pattern = wave * wave * wave * (1 - std::exp(-(r * r) * inverse_inner));  // cubed: narrow arms
                    const float disc = std::exp(-r * inverse_h);
                    shape[py * side + px] = disc * (base + contrast * pattern);
                    extra[py * side + px] = disc * pattern;
                }
            add_normalised(layer_plane(disc_layer), shape, (1 - 0.5 * g.arm_strength) * disc_flux);
            add_normalised(layer_plane(young_layer), extra, 0.5 * g.arm_strength * disc_flux);
            if (g.bar > 0) {  // a Gaussian-like bar (Sersic n = 0.5) at its own angle in the disc's plane
                const double bar_angle = rng.uniform(0, pi), length = g.radius * rng.uniform(1.0, 2.0);
                const double bu = std::cos(bar_angle), bv = std::sin(bar_angle) * g.axis_ratio;  // the bar's axis, projected
                const double apparent = std::atan2(bu * body.sine + bv * body.cosine, bu * body.cosine - bv * body.sine);
                const double foreshortening = std::hypot(bu, bv);
                sersic(shape, frame(g.x, g.y, apparent), std::clamp(0.28 / foreshortening, 0.2, 0.9), length * foreshortening, 0.5);
                add_normalised(layer_plane(old_layer), shape, 0.2 * g.bar * g.flux);
            }
            if (g.ring) {
                const double ring_radius = g.radius * rng.uniform(1.8, 3.0), width = rng.uniform(0.8, 1.6);
                for (std::size_t py = 0; py < side; ++py)
                    for (std::size_t px = 0; px < side; ++px) {
                        const double dx = double(px) - g.x, dy = double(py) - g.y;
                        const double u = dx * body.cosine + dy * body.sine, v = (-dx * body.sine + dy * body.cosine) / g.axis_ratio;
                        const double d = (std::sqrt(u * u + v * v) - ring_radius) / width;
                        shape[py * side + px] = static_cast<float>(std::exp(-0.5 * d * d));
                    }
                add_normalised(layer_plane(young_layer), shape, 0.12 * g.flux);
            }
            break;
        }
        case morphology::edge_on: {
            const double thickness = g.axis_ratio * g.radius;
            for (std::size_t py = 0; py < side; ++py)
                for (std::size_t px = 0; px < side; ++px) {
                    const double dx = double(px) - g.x, dy = double(py) - g.y;
                    const double u = dx * body.cosine + dy * body.sine, v = -dx * body.sine + dy * body.cosine;
                    const double vertical = 1 / std::cosh(v / thickness);
                    shape[py * side + px] = static_cast<float>(std::exp(-std::hypot(u, 0.5 * g.radius) / g.radius) * vertical * vertical);
                }
            add_normalised(layer_plane(disc_layer), shape, (1 - g.bulge_fraction) * g.flux);
            if (g.bulge_shape != 2) {
                const double boxiness = g.bulge_shape == 1 ? 3.5 : 2;
                const double bulge_q = rng.uniform(0.6, 0.9), bulge_radius = g.radius * rng.uniform(0.4, 0.8);
                sersic(shape, body, bulge_q, bulge_radius, g.bulge_shape == 1 ? 1.5 : g.sersic, boxiness);
                add_normalised(layer_plane(old_layer), shape, g.bulge_fraction * g.flux);
            }
            break;
        }
        case morphology::merger: {
            const double separation = rng.uniform(0.9, 2.4) * g.radius, direction = rng.uniform(0, 2 * pi);
            const double share = 1 / (1 + g.companion);
            const double x2 = g.x + separation * std::cos(direction), y2 = g.y + separation * std::sin(direction);
            const double x1 = g.x - separation * std::cos(direction) * (1 - share), y1 = g.y - separation * std::sin(direction) * (1 - share);
            sersic(shape, frame(x1, y1, g.angle), g.axis_ratio, g.radius, g.sersic);
            add_normalised(layer_plane(old_layer), shape, 0.6 * share * (1 - g.tidal) * g.flux);
            add_normalised(layer_plane(disc_layer), shape, 0.4 * share * (1 - g.tidal) * g.flux);
            const double angle2 = rng.uniform(0, pi), q2 = rng.uniform(0.4, 1.0), radius2 = g.radius * rng.uniform(0.5, 1.0), n2 = rng.uniform(1.0, 4.0);
            sersic(shape, frame(x2, y2, angle2), q2, radius2, n2);
            add_normalised(layer_plane(disc_layer), shape, (1 - share) * (1 - g.tidal) * g.flux);
            // Tidal tails: blobs along curved arcs leaving each body away from the other.
            for (int tail = 0; tail < 2; ++tail) {
                const double cx = tail == 0 ? x1 : x2, cy = tail == 0 ? y1 : y2, away = direction + (tail == 0 ? pi : 0);
                const double turn = rng.uniform(1.0, 2.5), bend = rng.uniform() < 0.5 ? turn : -turn, length = rng.uniform(2.0, 4.0);
                for (int k = 0; k < 30; ++k) {
                    const double t = k / 29.0, a = away + bend * t, r = g.radius * (0.8 + length * t);
                    blob(layer_plane(k % 2 ? young_layer : disc_layer), cx + r * std::cos(a), cy + r * std::sin(a), 1.0 + 1.5 * t,
                         0.5 * g.tidal * g.flux / 30 * (1 - 0.6 * t));
                }
            }
            break;
        }
        case morphology::star_or_artefact:
            break;  // drawn per band below
    }
    if (g.clumps) {  // star-forming knots scattered over the body
        const int count = 3 + int(rng.below(6));
        for (int k = 0; k < count; ++k) {
            const double r = g.radius * 1.6 * std::sqrt(rng.uniform()), a = rng.uniform(0, 2 * pi);
            blob(layer_plane(young_layer), g.x + r * std::cos(a), g.y + r * std::sin(a), rng.uniform(0.7, 1.5), 0.15 * g.flux / count);
        }
    }

    // The bands: each population in its colour (the colours vary a little from galaxy to galaxy).
    const colour populations[layer_count] = {old_stars, disc_stars, young_stars};
    for (std::size_t k = 0; k < layer_count; ++k)
        for (std::size_t b = 0; b < bands; ++b) {
            const auto weight = static_cast<float>(populations[k][b] * (b == 1 ? 1.0 : rng.uniform(0.88, 1.12)));
            const plane from = layer_plane(k), to = band_plane(b);
            for (std::size_t i = 0; i < area; ++i) to[i] += weight * from[i];
        }
    if (g.dust > 0) {  // a dust lane along the mid-plane, slightly off centre, deeper in the bluer bands
        const double offset = rng.uniform(-0.5, 0.5) * g.axis_ratio * g.radius, width = 0.45 * g.axis_ratio * g.radius + 0.4;
        constexpr colour depth{1.0, 0.8, 0.6};
        for (std::size_t py = 0; py < side; ++py)
            for (std::size_t px = 0; px < side; ++px) {
                const double dx = double(px) - g.x, dy = double(py) - g.y;
                const double u = dx * body.cosine + dy * body.sine, v = -dx * body.sine + dy * body.cosine - offset;
                const double lane = g.dust * std::exp(-0.5 * v * v / (width * width)) * std::exp(-std::abs(u) / (3 * g.radius));
                for (std::size_t b = 0; b < bands; ++b) band_plane(b)[py * side + px] *= static_cast<float>(1 - depth[b] * lane);
            }
    }
    // Stars: the object itself (stars and artefacts) and faint field stars anywhere.
    const auto star = [&](double x, double y, double flux, bool spikes) {
        const colour c{rng.uniform(0.5, 1.6), 1.0, rng.uniform(0.7, 1.3)};
        const double spike_angle = rng.uniform() < 0.7 ? pi / 4 : rng.uniform(0, pi / 2);
        for (std::size_t b = 0; b < bands; ++b) {
            point(band_plane(b), x, y, 0.92 * c[b] * flux);
            blob(band_plane(b), x, y, 4.0, 0.05 * c[b] * flux);  // the scattered halo
            if (!spikes) continue;
            for (int arm = 0; arm < 4; ++arm) {  // diffraction spikes
                const double a = spike_angle + arm * pi / 2;
                for (int k = 1; k <= 40; ++k)
                    point(band_plane(b), x + 0.5 * k * std::cos(a), y + 0.5 * k * std::sin(a), 0.03 * c[b] * flux * std::exp(-k / 12.0) / 12.0);
            }
        }
    };
    if (g.type == morphology::star_or_artefact) {
        if (g.artefact == 0) star(g.x, g.y, g.flux, g.flux > 20000);
        if (g.artefact == 1) {
            const double separation = rng.uniform(3, 8), a = rng.uniform(0, 2 * pi);
            star(g.x, g.y, g.flux, false);
            star(g.x + separation * std::cos(a), g.y + separation * std::sin(a), g.flux * rng.uniform(0.2, 1.0), false);
        }
        if (g.artefact == 2) {  // a satellite trail, in one band only (the bands are exposed one after another)
            const double a = rng.uniform(0, pi), offset = rng.uniform(-10, 10), peak = rng.uniform(150, 600);
            const plane trail = band_plane(rng.below(bands));
            for (std::size_t py = 0; py < side; ++py)
                for (std::size_t px = 0; px < side; ++px) {
                    const double d = (double(px) - g.x) * std::sin(a) - (double(py) - g.y) * std::cos(a) - offset;
                    trail[py * side + px] += static_cast<float>(peak * std::exp(-0.5 * d * d / 0.5));
                }
            star(g.x, g.y, 0.1 * g.flux, false);  // something faint where the trail was centred on
        }
    }
    const int field_stars = int(rng.below(4));
    for (int k = 0; k < field_stars; ++k) {
        const double x = rng.uniform(0, side - 1), y = rng.uniform(0, side - 1), flux = log_uniform(rng, 200, 4000);
        star(x, y, flux, false);
    }

    // Seeing, noise, stretch: per band.
    constexpr colour seeing{1.08, 1.0, 0.95};
    for (std::size_t b = 0; b < bands; ++b) {
        const plane p = band_plane(b);
        blur(p, shape, g.psf * seeing[b]);
        const auto background = static_cast<float>(sky[b] + read_noise * read_noise);
        float* out = image.data() + b * area;
        // Sky-subtracted counts with Poisson-like and read noise (the blurred light is never negative).
        for (std::size_t i = 0; i < area; ++i) p[i] += std::sqrt(p[i] + background) * quick_normal(rng);
        for (std::size_t i = 0; i < area; ++i) out[i] = stretch(p[i]);
    }
}

void generator::vote(const galaxy& g, random_generator& rng, std::span<float, answer_count> fractions) const {
    const double c = g.clarity;
    std::array<std::array<double, 7>, 11> p{};  // each question's answer probabilities, in the order of `questions`
    const auto set = [&](std::size_t q, std::initializer_list<double> weights) {
        std::size_t i = 0;
        for (const double w : weights) p[q][i++] = std::max(w, 0.0);
    };
    const auto kernel = [](double x, double centre, double width) { return std::exp(-(x - centre) * (x - centre) / (width * width)); };
    const bool spiral = g.type == morphology::spiral;

    // Q1: smooth, features or disk, star or artefact.
    switch (g.type) {
        case morphology::elliptical: set(0, {0.88, 0.10 + (g.lens_arc ? 0.1 : 0), 0.02}); break;
        case morphology::spiral: {
            const double visible = clamp01(0.3 + 0.5 * g.arm_strength + 0.3 * g.bar - 0.5 * g.bulge_fraction + (g.clumps ? 0.2 : 0) + (g.ring ? 0.2 : 0));
            const double f = 0.2 + 0.75 * c * visible;
            set(0, {0.98 - f, f, 0.02});
            break;
        }
        case morphology::edge_on: {
            const double f = 0.45 + 0.5 * c;
            set(0, {0.98 - f, f, 0.02});
            break;
        }
        case morphology::merger: {
            const double f = 0.45 + 0.35 * c;
            set(0, {0.96 - f, f, 0.04});
            break;
        }
        case morphology::star_or_artefact: {
            const double s = 0.55 + 0.4 * c;
            set(0, {0.6 * (1 - s), 0.4 * (1 - s), s});
            break;
        }
    }
    // Q2: edge-on?
    const double edge_on = g.type == morphology::edge_on ? 0.75 + 0.2 * c
                           : spiral                        ? 0.04 + 0.8 * clamp01((0.5 - g.axis_ratio) / 0.25)
                           : g.type == morphology::elliptical ? 0.05 + 0.5 * clamp01((0.5 - g.axis_ratio) / 0.3)
                                                               : 0.08;
    set(1, {edge_on, 1 - edge_on});
    // Q3: bar? Q4: spiral arms?
    const double bar = 0.06 + 0.85 * g.bar * (0.4 + 0.6 * c);
    set(2, {bar, 1 - bar});
    const double arms = spiral                              ? 0.12 + 0.83 * std::pow(g.arm_strength, 0.7) * (0.3 + 0.7 * c)
                        : g.type == morphology::merger       ? 0.25 + 0.4 * g.tidal
                        : g.type == morphology::edge_on      ? 0.15
                                                             : 0.08;
    set(3, {arms, 1 - arms});
    // Q5: bulge prominence, from the bulge's share of the light.
    {
        const double b = g.bulge_fraction, blur = (1 - c) * 0.5;
        std::array<double, 4> w{kernel(b, 0.0, 0.08), kernel(b, 0.15, 0.1), kernel(b, 0.35, 0.12), kernel(b, 0.7, 0.2)};
        const double sum = w[0] + w[1] + w[2] + w[3];
        set(4, {(1 - blur) * w[0] / sum + blur / 4, (1 - blur) * w[1] / sum + blur / 4, (1 - blur) * w[2] / sum + blur / 4, (1 - blur) * w[3] / sum + blur / 4});
    }
    // Q6: anything odd?
    {
        double odd = 0.06;
        if (g.type == morphology::merger) odd += 0.55 + 0.3 * c;
        if (g.ring) odd += 0.45 * (0.4 + 0.6 * c);
        if (g.lens_arc) odd += 0.45 * (0.4 + 0.6 * c);
        if (g.clumps) odd += 0.3;
        if (g.dust > 0) odd += 0.4 * g.dust;
        if (g.type == morphology::star_or_artefact && g.artefact == 2) odd += 0.25;
        odd = std::min(odd, 0.95);
        set(5, {odd, 1 - odd});
    }
    // Q7: how rounded (asked of smooth answers), from the apparent axis ratio.
    {
        const double q = g.axis_ratio;
        const std::array<double, 3> w{kernel(q, 1.0, 0.15), kernel(q, 0.65, 0.15), kernel(q, 0.3, 0.15)};
        set(6, {w[0] + 0.03, w[1] + 0.03, w[2] + 0.03});
    }
    // Q8: which odd feature: ring, lens or arc, disturbed, irregular, other, merger, dust lane.
    {
        std::array<double, 7> w{0.05, 0.05, 0.1, 0.1, 0.25, 0.05, 0.05};
        if (g.ring) w[0] += 2.5;
        if (g.lens_arc) w[1] += 2.5;
        if (g.clumps) w[3] += 1.5, w[2] += 0.3;
        if (g.type == morphology::merger) w[5] += 3.0, w[2] += 1.2 * (0.5 + g.tidal), w[3] += 0.4;
        if (g.dust > 0) w[6] += 2.5 * g.dust;
        if (g.type == morphology::star_or_artefact) w[4] += 1.5;
        set(7, {w[0], w[1], w[2], w[3], w[4], w[5], w[6]});
    }
    // Q9: the edge-on bulge's shape: rounded, boxy, none.
    {
        std::array<double, 3> w{0.4, 0.4, 0.4};
        if (g.type == morphology::edge_on)
            w[std::size_t(g.bulge_shape)] += 3 * c;
        else
            w = {1.0, 0.3, 0.5};
        set(8, {w[0], w[1], w[2]});
    }
    // Q10: winding (tight, medium, loose), from the pitch angle; Q11: arm count.
    {
        const double degrees = g.pitch * 180 / pi;
        if (spiral)
            set(9, {kernel(degrees, 10, 7) + 0.1, kernel(degrees, 22, 7) + 0.1, kernel(degrees, 35, 7) + 0.1});
        else
            set(9, {0.3, 0.4, 0.3});
        std::array<double, 6> w{0.2, 0.2, 0.2, 0.2, 0.2, 0.4};
        if (spiral) {
            const auto truth = static_cast<std::size_t>(std::min(g.arms, 5) - 1);
            w[truth] += 3;
            if (truth > 0) w[truth - 1] += 0.8;
            if (truth < 4) w[truth + 1] += 0.8;
            w[5] += 2.5 * (1 - c * g.arm_strength);
        } else {
            w[5] += 2;
        }
        set(10, {w[0], w[1], w[2], w[3], w[4], w[5]});
    }
    // Each galaxy's crowd has its own leanings: every probability perturbed (log-normally), then each
    // question normalised.
    for (std::size_t q = 0; q < questions.size(); ++q) {
        double sum = 0;
        for (std::size_t a = 0; a < questions[q].count; ++a) sum += p[q][a] *= std::exp(0.3 * rng.normal());
        for (std::size_t a = 0; a < questions[q].count; ++a) p[q][a] /= sum;
    }
    const auto ask = [&](std::size_t q) {
        double u = rng.uniform();
        for (std::size_t a = 0; a + 1 < questions[q].count; ++a) {
            if (u < p[q][a]) return a;
            u -= p[q][a];
        }
        return questions[q].count - 1;
    };

    // The voters walk the tree; each answer given counts once.
    std::array<int, answer_count> counts{};
    const int voters = 25 + int(rng.below(31));
    for (int v = 0; v < voters; ++v) {
        const auto vote = [&](std::size_t q) {
            const std::size_t a = ask(q);
            ++counts[questions[q].first + a];
            return questions[q].first + a;
        };
        const std::size_t first = vote(0);
        if (first == smooth) {
            vote(6);
        } else if (first == features) {
            if (vote(1) == edge_on_yes) {
                vote(8);
            } else {
                vote(2);
                if (vote(3) == spiral_yes) {
                    vote(9);
                    vote(10);
                }
                vote(4);
            }
        }
        if (vote(5) == odd_yes) vote(7);  // every voter, as the challenge's Q6 sums to 1
    }
    for (std::size_t a = 0; a < answer_count; ++a) fractions[a] = static_cast<float>(counts[a]) / static_cast<float>(voters);
}

galaxy generator::make(std::uint64_t index, std::span<float, image_size> image, std::span<float, answer_count> fractions) {
    // Galaxy `index` of the set: its own stream, from the set's seed and its index only.
    random_generator rng{seed_ * 0x9e3779b97f4a7c15ULL + index};
    random_generator rng_for_votes{(seed_ ^ 0x5851f42d4c957f2dULL) * 0xbf58476d1ce4e5b9ULL + index};
    const galaxy g = draw(rng);
    render(g, rng, image);
    vote(g, rng_for_votes, fractions);
    return g;
}

std::array<std::size_t, morphology_count> write_galaxy_file(const std::filesystem::path& path, const file_options& options,
                                                            const std::function<void(std::size_t)>& progress) {
    if (options.batch == 0) throw std::invalid_argument("galaxy_zoo: the batch size must be positive");
    typegrad::io::hdf5_writer_options layout;
    layout.features = "images";
    layout.feature_shape = {bands, side, side};
    layout.feature_type = options.float_images ? typegrad::io::hdf5_feature_type::float32 : typegrad::io::hdf5_feature_type::uint8;
    layout.targets = "fractions";
    layout.target_values = answer_count;
    layout.extra_labels = "labels";
    layout.gzip_level = options.gzip_level;
    typegrad::io::hdf5_writer writer(path, layout);

    generator make(options.seed);
    std::vector<float> images(options.batch * image_size), fractions(options.batch * answer_count);
    std::vector<std::uint8_t> bytes(options.float_images ? 0 : options.batch * image_size);
    std::vector<std::int32_t> labels(options.batch);
    std::array<std::size_t, morphology_count> counts{};
    for (std::size_t first = 0; first < options.count; first += options.batch) {
        const std::size_t n = std::min(options.batch, options.count - first);
        for (std::size_t i = 0; i < n; ++i) {
            const galaxy g = make.make(first + i, std::span<float, image_size>(images.data() + i * image_size, image_size),
                                       std::span<float, answer_count>(fractions.data() + i * answer_count, answer_count));
            labels[i] = static_cast<std::int32_t>(g.type);
            ++counts[std::size_t(g.type)];
        }
        const std::span<const float> values(fractions.data(), n * answer_count);
        const std::span<const std::int32_t> kinds(labels.data(), n);
        if (options.float_images) {
            writer.append(std::span<const float>(images.data(), n * image_size), values, kinds);
        } else {
            for (std::size_t i = 0; i < n * image_size; ++i) bytes[i] = static_cast<std::uint8_t>(images[i] * 255.0f + 0.5f);  // in [0, 1]: rounds
            writer.append(std::span<const std::uint8_t>(bytes.data(), n * image_size), values, kinds);
        }
        if (progress) progress(first + n);
    }
    writer.close();
    return counts;
}

std::string caption_of(morphology type, std::span<const float, answer_count> fractions) {
    char text[96];
    std::snprintf(text, sizeof text, "%s\nsmooth %.2f feat %.2f star %.2f", std::string(name_of(type)).c_str(), double(fractions[smooth]),
                  double(fractions[features]), double(fractions[star_or_artefact_answer]));
    return text;
}

void plot_galaxies(std::span<const float> images, std::span<const std::string> captions, const std::filesystem::path& png, std::size_t columns,
                   const std::string& title) {
    if (images.size() % image_size != 0) throw std::invalid_argument(png.string() + ": the images are not whole 3 x 64 x 64 galaxies");
    // Bands g, r, i shown as blue, green, red: the reddest band red, as survey colour images do.
    std::vector<float> rgb(images.size());
    for (std::size_t i = 0; i < images.size() / image_size; ++i)
        for (std::size_t b = 0; b < bands; ++b)
            std::copy_n(images.begin() + std::ptrdiff_t(i * image_size + b * area), area, rgb.begin() + std::ptrdiff_t(i * image_size + (bands - 1 - b) * area));
    typegrad::report::image_grid_options options;
    options.channels = bands;
    options.height = options.width = side;
    options.columns = columns;
    options.zoom = 3;
    options.title = title;
    typegrad::report::plot_image_grid(rgb, captions, options, png);
}

}  // namespace galaxy_zoo
