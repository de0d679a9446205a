// tarmac-synth: writes a generated road data set in the RTK training layout (type folders and
// per-type quality folders), optionally a continuous drive with its truth, and a preview sheet.
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>

#include <tarmac/core/progress.hpp>
#include <tarmac/core/stop.hpp>
#include <tarmac/image/io.hpp>
#include <tarmac/surface/synthetic_set.hpp>

#include "../common/cli.hpp"
#include "../common/image_output.hpp"

namespace {

cv::Size parse_size(const std::string& text) {
  int w = 0, h = 0;
  char x = 0;
  std::istringstream in(text);
  if (!(in >> w >> x >> h) || x != 'x' || !in.eof())
    throw tarmac::invalid_argument("--size must look like 352x288, got '" + text + "'");
  return {w, h};
}

}  // namespace

int main(int argc, char** argv) {
  return tarmac::cli::run("tarmac-synth", [&] {
    tarmac::cli::parser args("tarmac-synth",
                             "Generates road frames of every surface type and quality in the RTK training layout:\n"
                             "OUT/training_data_type/{asphalt,paved,unpaved} and OUT/training_data_<type>_quality/\n"
                             "(01asphalt(Good), ...; unpaved only Regular and Bad); --drive adds OUT/drive/%06d.png\n"
                             "with OUT/drive/truth.csv; --preview writes a contact sheet of frames, ROIs and views.");
    args.option("--out", "DIR", "output folder (must not already hold a data set)", "synthetic-roads");
    args.option("--per-class", "N", "frames per class folder", "100");
    args.option("--seed", "S", "random seed: the same seed gives the same frames", "1");
    args.option("--size", "WxH", "frame size", "352x288");
    args.option("--drive", "FRAMES", "also write a continuous drive of this many frames", "0");
    args.option("--preview", "FILE", "also write a PNG contact sheet (frames, ROI, RTK views, augmentation)", "");
    if (!args.parse(argc, argv)) return 0;
    const std::filesystem::path out = args.text("--out"), preview = args.text("--preview");
    tarmac::surface::synthetic_set_options options;
    options.per_class = std::size_t(args.integer("--per-class", 0, 1000000));
    options.seed = std::uint64_t(args.integer("--seed", 0, 2147483647L));
    options.drive_frames = std::size_t(args.integer("--drive", 0, 10000000));
    options.scene.size = parse_size(args.text("--size"));
    options.stop = tarmac::stop_requested;  // Ctrl-C, SIGTERM, SIGHUP: --out is left as it was
    tarmac::surface::check_synthetic_set(out, options);
    // The sheet may go into --out when the run creates it: that folder's checks come with the set's.
    const auto folder = [](const std::filesystem::path& p) { return std::filesystem::weakly_canonical(p).parent_path(); };
    if (!preview.empty() && !std::filesystem::exists(out) && folder(preview) == folder(out / "sheet"))
      tarmac::image::check_image_name(preview);
    else if (!preview.empty())
      tarmac::cli::check_image_output(preview, "--preview");

    tarmac::progress_bar bar("tarmac-synth", tarmac::surface::synthetic_set_frames(options), "frames");
    const auto written = tarmac::surface::write_synthetic_set(out, options, [&](std::size_t, std::size_t) { bar.advance(); });
    if (written.stopped) throw tarmac::error("stopped: no frames were kept");
    const double rate = bar.finish();
    if (!preview.empty()) {
      tarmac::image::write_image(preview, tarmac::surface::synthetic_preview(options.seed, options.scene));
      std::printf("preview: %s\n", preview.string().c_str());
    }
    std::printf("wrote %zu frames to %s (%.0f frames/s)\n", written.frames, out.string().c_str(), rate);
    return 0;
  });
}
