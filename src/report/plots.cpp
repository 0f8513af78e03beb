#include <typegrad/report/plots.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <vector>

#include <typegrad/io/io_error.hpp>

namespace typegrad::report {

namespace {

std::ofstream open_for_writing(const std::filesystem::path& path) {
    std::ofstream out(path);
    if (!out) throw io::io_error(path.string() + ": cannot write");
    out.precision(8);
    return out;
}

// gnuplot's "not a number", which it leaves out of a curve.
std::string number(double value) { return std::isnan(value) ? "NaN" : std::to_string(value); }

// Quotes a path for the shell (single quotes, with embedded ones escaped).
std::string quoted(const std::string& text) {
    std::string out = "'";
    for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

void run_gnuplot(const std::filesystem::path& script, const std::filesystem::path& png) {
    const std::string command = "gnuplot " + quoted(script.string()) + " 2>" + quoted(script.string() + ".log");
    const int status = std::system(command.c_str());
    if (status != 0)
        throw io::io_error(png.string() + ": gnuplot failed (exit status " + std::to_string(status) + ", see " + script.string() +
                           ".log); install the Debian package gnuplot-nox");
    std::error_code ignored;
    std::filesystem::remove(script.string() + ".log", ignored);  // only kept to explain a failure
}

// A gnuplot double-quoted string: backslashes and quotes escaped, line breaks as \n.
std::string gnuplot_string(const std::string& text) {
    std::string out = "\"";
    for (const char c : text) {
        if (c == '\n')
            out += "\\n";
        else if (c == '"' || c == '\\')
            out += std::string("\\") + c;
        else
            out += c;
    }
    return out + "\"";
}

}  // namespace

void plot_learning_curve(std::span<const epoch_report> history, const std::filesystem::path& png) {
    auto data_path = png, script_path = png;
    data_path.replace_extension(".dat");
    script_path.replace_extension(".gp");
    {
        auto data = open_for_writing(data_path);
        data << "# epoch loss accuracy validation_loss validation_accuracy\n";
        for (const auto& e : history)
            data << e.epoch << ' ' << number(e.loss) << ' ' << number(e.accuracy) << ' ' << number(e.validation_loss) << ' '
                 << number(e.validation_accuracy) << '\n';
    }
    {
        auto script = open_for_writing(script_path);
        script << "set terminal pngcairo size 1200,480 font 'sans,11'\n"
               << "set output " << quoted(png.string()) << "\n"
               << "set datafile missing 'NaN'\nset grid\nset xlabel 'epoch'\n"
               << "set xrange [0.5:" << double(history.size()) + 0.5 << "]\n" << (history.size() <= 20 ? "set xtics 1\n" : "")
               << "set multiplot layout 1,2 title 'Learning curve'\n"
               << "set key top right\nset ylabel 'loss'\n"
               << "plot " << quoted(data_path.string()) << " using 1:2 with linespoints title 'training', '' using 1:4 with linespoints title 'validation'\n"
               << "set key bottom right\nset ylabel 'accuracy (%)'\n"
               << "plot " << quoted(data_path.string())
               << " using 1:($3*100) with linespoints title 'training', '' using 1:($5*100) with linespoints title 'validation'\n"
               << "unset multiplot\n";
    }
    run_gnuplot(script_path, png);
}

void plot_confusion_matrix(const confusion_matrix& matrix, const std::vector<std::string>& class_names, const std::filesystem::path& png) {
    const auto names = class_names_or_indices(matrix, class_names);
    auto data_path = png, script_path = png;
    data_path.replace_extension(".dat");
    script_path.replace_extension(".gp");
    const std::size_t n = matrix.classes();
    {
        auto data = open_for_writing(data_path);
        data << "# predicted true count share_of_true_class\n";
        for (std::size_t t = 0; t < n; ++t)
            for (std::size_t p = 0; p < n; ++p) {
                const double support = double(matrix.support(t));
                data << p << ' ' << t << ' ' << matrix.count(t, p) << ' ' << (support > 0 ? double(matrix.count(t, p)) / support : 0.0) << '\n';
            }
    }
    {
        auto script = open_for_writing(script_path);
        script << "set terminal pngcairo size 900,800 font 'sans,10'\n"
               << "set output " << quoted(png.string()) << "\n"
               << "set title 'Confusion matrix (rows: true class, columns: predicted)'\n"
               << "set xrange [-0.5:" << n - 0.5 << "]\nset yrange [" << n - 0.5 << ":-0.5]\n"
               << "set cbrange [0:1]\nset palette defined (0 'white', 1 '#1f4e99')\nunset colorbox\nset tics scale 0\n"
               << "set xtics rotate by 45 right (";
        for (std::size_t c = 0; c < n; ++c) script << (c ? ", " : "") << '"' << names[c] << "\" " << c;
        script << ")\nset ytics (";
        for (std::size_t c = 0; c < n; ++c) script << (c ? ", " : "") << '"' << names[c] << "\" " << c;
        script << ")\nset xlabel 'predicted'\nset ylabel 'true'\n"
               << "plot " << quoted(data_path.string()) << " using 1:2:4 with image notitle, '' using 1:2:(sprintf('%d', $3)):($4 > 0.5 ? 0xffffff : 0) "
               << "with labels tc rgb variable notitle\n";
    }
    run_gnuplot(script_path, png);
}

void plot_image_grid(std::span<const float> images, std::span<const std::string> captions, const image_grid_options& options,
                     const std::filesystem::path& png) {
    const std::size_t c = options.channels, h = options.height, w = options.width, zoom = std::max<std::size_t>(1, options.zoom);
    if ((c != 1 && c != 3) || h == 0 || w == 0 || options.columns == 0)
        throw std::invalid_argument(png.string() + ": an image grid needs 1 or 3 channels, a height, a width and at least one column");
    const std::size_t image_size = c * h * w, count = images.size() / image_size;
    if (images.size() % image_size != 0 || count == 0)
        throw std::invalid_argument(png.string() + ": " + std::to_string(images.size()) + " values are not whole images of " + std::to_string(c) + " x " +
                                    std::to_string(h) + " x " + std::to_string(w));
    if (!captions.empty() && captions.size() != count)
        throw std::invalid_argument(png.string() + ": " + std::to_string(count) + " images but " + std::to_string(captions.size()) + " captions");

    // Layout in screen pixels: each cell is the zoomed image and its caption's lines under it.
    std::size_t lines = 0;
    for (const auto& caption : captions) lines = std::max<std::size_t>(lines, 1 + std::size_t(std::count(caption.begin(), caption.end(), '\n')));
    constexpr std::size_t gap = 10, line_height = 14;
    const std::size_t columns = std::min(options.columns, count), rows = (count + columns - 1) / columns;
    const std::size_t title_height = options.title.empty() ? 0 : 28, caption_height = lines == 0 ? 0 : lines * line_height + 4;
    const std::size_t cell_w = w * zoom + gap, cell_h = h * zoom + caption_height + gap;
    const std::size_t width = columns * cell_w + gap, height = title_height + rows * cell_h + gap;

    // The grid as one RGB image on white, each image pixel a zoom x zoom block: gnuplot then maps one
    // data pixel to one screen pixel, with no resampling.
    std::vector<std::uint8_t> rgb(width * height * 3, 255);
    for (std::size_t i = 0; i < count; ++i) {
        const float* image = images.data() + i * image_size;
        const std::size_t left = gap + (i % columns) * cell_w, top = title_height + gap + (i / columns) * cell_h;
        for (std::size_t y = 0; y < h * zoom; ++y)
            for (std::size_t x = 0; x < w * zoom; ++x)
                for (std::size_t k = 0; k < 3; ++k) {
                    const float value = image[(c == 3 ? k : 0) * h * w + (y / zoom) * w + x / zoom];
                    const float clamped = std::isnan(value) ? 0.0f : std::clamp(value, 0.0f, 1.0f);
                    rgb[((top + y) * width + left + x) * 3 + k] = static_cast<std::uint8_t>(std::lround(clamped * 255.0f));
                }
    }
    auto data_path = png, script_path = png;
    data_path.replace_extension(".rgb");
    script_path.replace_extension(".gp");
    {
        auto data = open_for_writing(data_path);
        data.write(reinterpret_cast<const char*>(rgb.data()), static_cast<std::streamsize>(rgb.size()));
        if (!data) throw io::io_error(data_path.string() + ": cannot write");
    }
    {
        auto script = open_for_writing(script_path);
        script << "set terminal pngcairo size " << width << "," << height << " font 'sans,9'\n"
               << "set output " << quoted(png.string()) << "\n"
               << "set lmargin at screen 0\nset rmargin at screen 1\nset tmargin at screen 1\nset bmargin at screen 0\n"
               << "unset border\nunset tics\nunset key\nunset colorbox\n"
               << "set xrange [-0.5:" << width - 0.5 << "]\nset yrange [" << height - 0.5 << ":-0.5]\n";  // row 0 at the top
        if (!options.title.empty())
            script << "set label " << gnuplot_string(options.title) << " at " << width / 2 << "," << title_height / 2 + 4
                   << " center front noenhanced font 'sans,12'\n";
        for (std::size_t i = 0; i < captions.size(); ++i) {
            const std::size_t x = gap + (i % columns) * cell_w + w * zoom / 2;
            const std::size_t y = title_height + gap + (i / columns) * cell_h + h * zoom + 2 + line_height / 2;
            script << "set label " << gnuplot_string(captions[i]) << " at " << x << "," << y << " center front noenhanced\n";
        }
        script << "plot " << quoted(data_path.string()) << " binary array=(" << width << "," << height
               << ") format='%uchar%uchar%uchar' with rgbimage\n";
    }
    run_gnuplot(script_path, png);
}

}  // namespace typegrad::report
