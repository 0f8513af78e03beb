// Data with several inputs: a source's features go to the first input of tg::inputs(...), each of its
// other inputs to the network input of its name, in memory and streamed from an HDF5 file alike;
// a missing, surplus or misshapen input is an error naming it.
#define BOOST_TEST_MODULE input_binding
#include <hdf5.h>

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <typegrad/typegrad.hpp>

#include "../message_has.hpp"
#include "../scratch_directory.hpp"

namespace tg = typegrad;
namespace fs = std::filesystem;
using tg::testing::message_says;
using tg::testing::scratch_directory;

namespace {

constexpr std::size_t samples = 120;
const auto image = tg::named_input<"image", 1, 2, 3>;
const auto redshift = tg::named_input<"redshift", 1>;
const auto flux = tg::named_input<"flux", 2>;
const auto labels = tg::named_labels<"labels", 2>;
// The class is the sign of the redshift: learnable only if the redshift reaches the network.
const auto logits = tg::concat(tg::concat(image | tg::flatten, redshift), flux) | tg::dense<8> | tg::relu | tg::dense<2>;

auto make_network() {
    auto net = tg::compile<float>(tg::cross_entropy(logits, labels), logits);
    net.initialize(5);
    return net;
}

struct data_sets {
    tg::dataset<float, std::int32_t> memory{.feature_size = 6};
    fs::path file;
};

// The same samples in memory and in a file (features, labels, and the datasets "redshift" [N] and "flux" [N, 2]).
data_sets make_data(const fs::path& directory) {
    data_sets sets;
    sets.file = directory / "galaxies.h5";
    tg::random_generator rng{7};
    std::vector<float> x(6), z(1), f(2);
    tg::io::hdf5_writer writer{sets.file, {.feature_shape = {1, 2, 3}, .other_inputs = {{"redshift", {}}, {"flux", {2}}}, .chunk_samples = 8}};
    sets.memory.other_inputs = {{.name = "redshift", .size = 1}, {.name = "flux", .size = 2}};
    for (std::size_t i = 0; i < samples; ++i) {
        for (auto& v : x) v = float(rng.normal());
        z[0] = float(rng.normal());
        for (auto& v : f) v = float(rng.normal());
        const std::int32_t label = z[0] > 0 ? 1 : 0;
        sets.memory.features.insert(sets.memory.features.end(), x.begin(), x.end());
        sets.memory.targets.push_back(label);
        sets.memory.other_inputs[0].values.push_back(z[0]);
        sets.memory.other_inputs[1].values.insert(sets.memory.other_inputs[1].values.end(), f.begin(), f.end());
        const std::span<const float> others[2] = {z, f};
        writer.append(std::span<const float>(x), std::span<const std::int32_t>(&label, 1), others);
    }
    writer.close();
    return sets;
}

tg::hdf5_dataset<float, std::int32_t> streamed(const fs::path& file, std::vector<tg::hdf5_input> others = {{.dataset = "redshift"}, {.dataset = "flux"}}) {
    return tg::hdf5_dataset<float, std::int32_t>{file, {.classes = 2}, std::move(others)};
}

std::vector<float> parameters_of(const auto& net) { return {net.parameters().begin(), net.parameters().end()}; }

}  // namespace

BOOST_AUTO_TEST_CASE(every_input_reaches_the_network) {
    const scratch_directory directory{"input_binding"};
    const data_sets data = make_data(directory.path);
    auto net = make_network();
    tg::adam<float> opt{{.learning_rate = 1e-2}};
    const auto before = tg::evaluate(net, data.memory, tg::inputs(image, redshift, flux), labels, logits);
    tg::fit(net, opt, data.memory, tg::inputs(image, redshift, flux), labels, logits, {.epochs = 40, .batch_size = 16, .seed = 1});
    const auto after = tg::evaluate(net, data.memory, tg::inputs(image, redshift, flux), labels, logits);
    BOOST_TEST(after.accuracy >= 0.95, "accuracy " << before.accuracy << " -> " << after.accuracy);
    BOOST_TEST(tg::accuracy(net, data.memory, tg::inputs(image, redshift, flux), logits) == after.accuracy);
    const tg::confusion_matrix confusion = tg::confusion_matrix_of(net, data.memory, tg::inputs(image, redshift, flux), logits);
    BOOST_TEST(confusion.accuracy() == after.accuracy);
}

// Bound by name: the order of the other inputs in tg::inputs(...) does not matter.
BOOST_AUTO_TEST_CASE(other_inputs_are_bound_by_name) {
    const scratch_directory directory{"input_binding"};
    const data_sets data = make_data(directory.path);
    auto a = make_network(), b = make_network();
    tg::adam<float> opt_a{{.learning_rate = 1e-2}}, opt_b{{.learning_rate = 1e-2}};
    tg::fit(a, opt_a, data.memory, tg::inputs(image, redshift, flux), labels, {.epochs = 2, .batch_size = 16, .seed = 1});
    tg::fit(b, opt_b, data.memory, tg::inputs(image, flux, redshift), labels, {.epochs = 2, .batch_size = 16, .seed = 1});
    BOOST_TEST(parameters_of(a) == parameters_of(b), boost::test_tools::per_element());
}

// The file's other inputs are read with the features, ahead on a thread or not, and give what memory gives.
BOOST_AUTO_TEST_CASE(streamed_other_inputs_equal_in_memory) {
    const scratch_directory directory{"input_binding"};
    const data_sets data = make_data(directory.path);
    const auto file = streamed(data.file);
    auto reference = make_network();
    tg::adam<float> reference_opt{{.learning_rate = 1e-2}};
    const tg::fit_options unshuffled{.epochs = 2, .batch_size = 16, .shuffle = false};
    tg::fit(reference, reference_opt, data.memory, tg::inputs(image, redshift, flux), labels, unshuffled);
    for (const std::size_t prefetch : {0, 2}) {
        auto net = make_network();
        tg::adam<float> opt{{.learning_rate = 1e-2}};
        tg::fit_options options = unshuffled;
        options.prefetch = prefetch;
        tg::fit(net, opt, file, tg::inputs(image, redshift, flux), labels, options);
        BOOST_TEST(parameters_of(net) == parameters_of(reference), boost::test_tools::per_element());
        const auto memory = tg::evaluate(reference, data.memory, tg::inputs(image, redshift, flux), labels, logits, {.batch_size = 32});
        const auto read = tg::evaluate(net, file, tg::inputs(image, redshift, flux), labels, logits, {.batch_size = 32, .prefetch = prefetch});
        BOOST_TEST(read.loss == memory.loss);
        BOOST_TEST(read.accuracy == memory.accuracy);
        const auto predicted = tg::predict(net, file, tg::inputs(image, redshift, flux), logits, {.batch_size = 32, .prefetch = prefetch});
        BOOST_TEST(predicted == tg::predict(reference, data.memory, tg::inputs(image, redshift, flux), logits), boost::test_tools::per_element());
    }
    // Shuffled, a streamed batch is its samples in ascending rows: the same training up to rounding.
    auto memory_net = make_network(), file_net = make_network();
    tg::adam<float> memory_opt{{.learning_rate = 1e-2}}, file_opt{{.learning_rate = 1e-2}};
    tg::fit(memory_net, memory_opt, data.memory, tg::inputs(image, redshift, flux), labels, {.epochs = 2, .batch_size = 16, .seed = 3});
    tg::fit(file_net, file_opt, file, tg::inputs(image, redshift, flux), labels, {.epochs = 2, .batch_size = 16, .seed = 3});
    const auto m = parameters_of(memory_net), f = parameters_of(file_net);
    for (std::size_t i = 0; i < m.size(); ++i) BOOST_TEST(std::abs(m[i] - f[i]) <= 1e-4f);
}

// An other input is carried through a validation split, an augmentation and a checkpoint's fingerprint.
BOOST_AUTO_TEST_CASE(other_inputs_are_kept_by_splits_augmentation_and_checkpoints) {
    const scratch_directory directory{"input_binding"};
    const data_sets data = make_data(directory.path);
    const auto [train, validation] = tg::split_validation(data.memory, 0.25, 1);
    BOOST_TEST(train.size() + validation.size() == samples);
    for (const auto* part : {&train, &validation}) {
        BOOST_REQUIRE_EQUAL(part->other_inputs.size(), 2u);
        BOOST_TEST(part->other_inputs[0].values.size() == part->size());
        BOOST_TEST(part->other_inputs[1].values.size() == 2 * part->size());
        for (std::size_t i = 0; i < part->size(); ++i)  // each sample's redshift still says its label
            BOOST_TEST((part->other_inputs[0].values[i] > 0) == (part->targets[i] == 1));
    }
    auto net = make_network();
    tg::adam<float> opt{{.learning_rate = 1e-2}};
    const auto flipped = tg::augmented(train, tg::augment::compose(tg::shape<1, 2, 3>{}, tg::augment::flip_horizontal{}), 9);
    const auto history = tg::fit(net, opt, tg::with_validation(flipped, validation), tg::inputs(image, redshift, flux), labels, logits,
                                 {.epochs = 30, .batch_size = 16, .seed = 1});
    BOOST_TEST(history.back().validation_accuracy >= 0.9);

    // Other values in an other input: a checkpoint of the first data refuses them.
    const fs::path checkpoint = directory.path / "run.ckpt";
    auto first = make_network();
    tg::adam<float> first_opt{{.learning_rate = 1e-2}};
    tg::fit(first, first_opt, data.memory, tg::inputs(image, redshift, flux), labels, {.epochs = 1, .batch_size = 16, .checkpoint = checkpoint.string()});
    auto changed = data.memory;
    changed.other_inputs[1].values[5] += 1;
    auto second = make_network();
    tg::adam<float> second_opt{{.learning_rate = 1e-2}};
    BOOST_CHECK_EXCEPTION(tg::fit(second, second_opt, changed, tg::inputs(image, redshift, flux), labels, {.epochs = 2, .batch_size = 16, .resume = checkpoint.string()}),
                          std::exception, message_says({"the training data differ from the run's"}));
}

BOOST_AUTO_TEST_CASE(missing_surplus_and_misshapen_inputs_are_named) {
    const scratch_directory directory{"input_binding"};
    data_sets data = make_data(directory.path);
    auto net = make_network();
    tg::adam<float> opt;
    // An input of the data that the network is not given.
    const auto image_only = image | tg::flatten | tg::dense<2>;
    auto plain = tg::compile<float>(tg::cross_entropy(image_only, labels), image_only);
    BOOST_CHECK_EXCEPTION(tg::fit(plain, opt, data.memory, image, labels, {.epochs = 1}), std::invalid_argument,
                          message_says({"fit", "the dataset's other input 'redshift' goes to no input of the network", "tg::inputs(the input named 'redshift')"}));
    BOOST_CHECK_EXCEPTION(tg::fit(net, opt, data.memory, tg::inputs(image, redshift), labels, {.epochs = 1}), std::invalid_argument,
                          message_says({"'flux' goes to no input", "tg::inputs(..., the input named 'flux')"}));
    // An input of the network that the data lacks.
    auto renamed = data.memory;
    renamed.other_inputs[0].name = "z";
    BOOST_CHECK_EXCEPTION(tg::evaluate(net, renamed, tg::inputs(image, redshift, flux), labels), std::invalid_argument,
                          message_says({"evaluate", "the data has no input named 'redshift' for the network's input 'redshift' of shape (1)",
                                        "its other inputs are 'z', 'flux'"}));
    // Another size per sample.
    auto wider = data.memory;
    wider.other_inputs[0] = {.name = "redshift", .size = 2, .values = std::vector<float>(2 * samples)};
    BOOST_CHECK_EXCEPTION(tg::predict(net, wider, tg::inputs(image, redshift, flux), logits), std::invalid_argument,
                          message_says({"predict", "the dataset's other input 'redshift' has 2 values per sample but input 'redshift' of shape (1) takes 1"}));
    // An inconsistent data set.
    auto short_values = data.memory;
    short_values.other_inputs[1].values.pop_back();
    BOOST_CHECK_EXCEPTION(tg::accuracy(net, short_values, tg::inputs(image, redshift, flux), logits), std::invalid_argument,
                          message_says({"other input 'flux'", "120 samples of 2 values need 240 values, got 239"}));
    auto twice = data.memory;
    twice.other_inputs[1].name = "redshift";
    BOOST_CHECK_EXCEPTION(twice.validate(), std::invalid_argument, message_says({"other input 'redshift' is given twice"}));

    // From a file: a missing dataset, another shape, and a dataset of other length, each naming the file.
    const std::string path = data.file.string();
    BOOST_CHECK_EXCEPTION(streamed(data.file, {{.dataset = "photometry"}}), tg::io::io_error, message_says({path, "no dataset \"photometry\""}));
    const auto as_redshift = streamed(data.file, {{.dataset = "flux", .name = "redshift"}, {.dataset = "redshift", .name = "flux"}});
    BOOST_CHECK_EXCEPTION(tg::evaluate(net, as_redshift, tg::inputs(image, redshift, flux), labels), tg::io::io_error,
                          message_says({path + ": dataset \"flux\" holds samples of shape (2); the network's input 'redshift' takes (1)"}));
    {
        const fs::path odd = directory.path / "odd.h5";
        fs::copy_file(data.file, odd);
        const hid_t file = H5Fopen(odd.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
        BOOST_REQUIRE(file >= 0);
        const hsize_t dims[1] = {samples - 1};
        const hid_t space = H5Screate_simple(1, dims, nullptr);
        const hid_t dataset = H5Dcreate2(file, "short", H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        BOOST_REQUIRE(dataset >= 0);
        H5Dclose(dataset);
        H5Sclose(space);
        H5Fclose(file);
        BOOST_CHECK_EXCEPTION(streamed(odd, {{.dataset = "short"}}), tg::io::io_error,
                              message_says({odd.string(), "dataset \"short\" holds 119 samples but dataset \"features\" holds 120"}));
    }
    BOOST_CHECK_EXCEPTION(streamed(data.file, {{.dataset = "flux"}, {.dataset = "redshift", .name = "flux"}}), std::invalid_argument,
                          message_says({path, "two other inputs are named 'flux'"}));
}
