#pragma once
// Synthetic Galaxy Zoo-like data: 3 x 64 x 64 images of galaxies in three bands (g, r, i-like) and, for
// each, the 37 vote fractions of the Galaxy Zoo 2 decision tree as the Kaggle "Galaxy Challenge" gave
// them (Class1.1 ... Class11.6), computed from the galaxy's true parameters through simulated voters.
//
// The galaxies: ellipticals (Sersic profiles with a redder core, any roundness, sometimes a lensed
// arc), discs with spiral arms (1 to 6 arms, tight to loose, a bulge of any prominence, sometimes a bar,
// a ring or star-forming clumps), edge-on discs (a rounded, boxy or no bulge, often a dust lane),
// mergers (two overlapping bodies with tidal tails) and stars or artefacts (a bright star with
// diffraction spikes, a double star, a satellite trail in one band), each at a random orientation, size
// and brightness, with faint field stars around. Each band has its own colour mix of old stars, disc and
// young stars (so its own profile), its own Gaussian PSF, sky and Poisson-like noise with read noise;
// the bands are stretched by asinh into [0, 1], as survey colour images are.
//
// The votes: 25 to 55 simulated volunteers walk the decision tree, answering each question with
// probabilities that follow the true parameters, blurred by how clearly the galaxy shows them (its
// size and surface brightness) and by a per-galaxy perturbation. The fractions are counts over the
// voters, so they obey the challenge's weighting exactly: the answers to a question sum to the fraction
// that reached it (Q2 to Class1.2, Q3, Q4 and Q5 to Class2.2, Q7 to Class1.1, Q8 to Class6.1, Q9 to
// Class2.1, Q10 and Q11 to Class4.1), and Q1 and Q6 sum to 1 (Q6, "anything odd?", is asked of every
// voter, as in the challenge's data).
//
// Galaxy i of a set depends only on (seed, i): a set can be generated in any order or in pieces. (No
// call takes two random draws as arguments, whose order C++ leaves to the compiler: a g++ and a
// clang++ build write the same file.)
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <typegrad/kernels/random.hpp>

namespace galaxy_zoo {

inline constexpr std::size_t bands = 3;  // g, r, i
inline constexpr std::size_t side = 64;
inline constexpr std::size_t image_size = bands * side * side;
inline constexpr std::size_t answer_count = 37;

enum class morphology : std::int32_t { elliptical, spiral, edge_on, merger, star_or_artefact };
inline constexpr std::size_t morphology_count = 5;
std::string_view name_of(morphology type);  // "elliptical", "spiral", "edge-on disc", "merger", "star/artefact"

// The challenge's column names, "Class1.1" ... "Class11.6", in its order.
extern const std::array<std::string_view, answer_count> answer_names;

// One question of the decision tree: its answers are [first, first + count) of the 37, and it is
// reached through the answer `parent` (an index into the 37), or by every voter (parent < 0).
struct question {
    std::string_view text;
    std::size_t first, count;
    int parent;
};
extern const std::array<question, 11> questions;

// The largest |sum of a question's answers - the fraction that reached it| over the 11 questions.
double sum_rule_violation(std::span<const float, answer_count> fractions);

// A galaxy's true parameters (lengths in pixels, angles in radians).
struct galaxy {
    morphology type = morphology::elliptical;
    double x = 31.5, y = 31.5;  // centre
    double angle = 0;           // position angle of the major axis
    double axis_ratio = 1;      // apparent b/a of the main body
    double radius = 4;          // half-light radius (ellipticals, bulges) or disc scale length
    double sersic = 4;          // profile index of the main body or bulge
    double flux = 1e4;          // total counts in r
    double bulge_fraction = 0;  // discs: the bulge's share of the light
    int arms = 0;               // spirals: 1 to 6
    double arm_strength = 0;    // 0 to 1
    double pitch = 0;           // arm pitch angle: small is tightly wound
    double bar = 0;             // bar strength, 0 for none
    bool ring = false;
    bool clumps = false;        // irregular star-forming knots
    double dust = 0;            // edge-on: depth of the dust lane, 0 for none
    int bulge_shape = 0;        // edge-on: 0 rounded, 1 boxy, 2 none
    bool lens_arc = false;      // ellipticals: a lensed arc around
    double companion = 0;       // mergers: flux ratio of the second body
    double tidal = 0;           // mergers: strength of the tidal tails
    int artefact = 0;           // stars/artefacts: 0 star, 1 double star, 2 satellite trail
    double psf = 1.2;           // Gaussian PSF sigma in r
    double clarity = 1;         // 0 to 1: how clearly its features show (size and surface brightness)
};

// Makes galaxies, their images and their votes; holds the scratch images, so that making one allocates
// nothing. Not shared between threads (each thread its own generator; the results do not depend on which).
class generator {
public:
    explicit generator(std::uint64_t seed);

    // Galaxy `index` of the set: its parameters, its image (3 x 64 x 64 values in [0, 1], bands g, r, i)
    // and its 37 vote fractions.
    galaxy make(std::uint64_t index, std::span<float, image_size> image, std::span<float, answer_count> fractions);

    // The parts, for tests: the parameters alone, an image of given parameters, votes on them.
    galaxy draw(typegrad::random_generator& rng) const;
    void render(const galaxy& g, typegrad::random_generator& rng, std::span<float, image_size> image);
    void vote(const galaxy& g, typegrad::random_generator& rng, std::span<float, answer_count> fractions) const;

private:
    std::uint64_t seed_;
    std::vector<float> layers_, bands_, scratch_;
};

struct file_options {
    std::size_t count = 1000;
    std::uint64_t seed = 1;
    bool float_images = false;   // float32 images (48 KiB each) rather than uint8 (12 KiB each; read as value / 255)
    int gzip_level = 0;          // the images are noisy: gzip gains little and slows random reads
    std::size_t batch = 256;     // galaxies generated, then written, at a time: the memory used
};

// Writes a set to an HDF5 file, streaming: "images" [N, 3, 64, 64] uint8 (or float32), "fractions"
// [N, 37] float32 and "labels" [N] int32 (the morphology, 0 to 4). `progress`, if given, is called
// with the count written so far after each batch. Returns the count of each morphology.
std::array<std::size_t, morphology_count> write_galaxy_file(const std::filesystem::path& path, const file_options& options,
                                                            const std::function<void(std::size_t)>& progress = {});

// A caption for a galaxy: its morphology and the leading answers of Q1 ("spiral\nsmooth .12 feat .85").
std::string caption_of(morphology type, std::span<const float, answer_count> fractions);

// A PNG grid of galaxy images (3 x 64 x 64 each, bands g, r, i, shown as i, r, g in red, green, blue)
// with a caption under each (several lines if it holds '\n'): the examples of a set, or a model's
// predicted fractions beside the true ones. Drawn by gnuplot (typegrad::report::plot_image_grid).
void plot_galaxies(std::span<const float> images, std::span<const std::string> captions, const std::filesystem::path& png,
                   std::size_t columns = 8, const std::string& title = {});

}  // namespace galaxy_zoo
