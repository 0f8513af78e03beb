#include <typegrad/report/plots.hpp>

#include <cmath>
#include <cstdlib>
#include <fstream>

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

}  // namespace typegrad::report
