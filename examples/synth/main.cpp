// tarmac-synth: writes a generated road data set in the RTK training layout (type folders and
// per-type quality folders), optionally a continuous drive with its truth, and a preview sheet.
#include <cstdio>
#include <algorithm>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <tarmac/core/files.hpp>
#include <tarmac/core/progress.hpp>
#include <tarmac/core/stop.hpp>
#include <tarmac/surface/synthetic.hpp>
#include <tarmac/image/augment.hpp>
#include <tarmac/image/io.hpp>
#include <tarmac/image/roi.hpp>
#include <tarmac/surface/truth.hpp>

#include "../common/cli.hpp"
#include "../common/image_output.hpp"

namespace {

namespace fs = std::filesystem;
using namespace tarmac::surface;

// One independent seed per (folder, frame), so any frame can be regenerated alone.
std::uint64_t frame_seed(std::uint64_t seed, std::uint64_t folder, std::uint64_t index) {
  std::uint64_t z = seed * 0x9E3779B97F4A7C15ull + folder * 0xBF58476D1CE4E5B9ull + index * 0x94D049BB133111EBull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  return z ^ (z >> 31);
}

cv::Size parse_size(const std::string& text) {
  int w = 0, h = 0;
  char x = 0;
  std::istringstream in(text);
  if (!(in >> w >> x >> h) || x != 'x' || !in.eof())
    throw tarmac::invalid_argument("--size must look like 352x288, got '" + text + "'");
  return {w, h};
}

// One row per type and quality: the frame, its ROI, the RTK brighter and darker views, and a
// strong random augmentation of the ROI.
cv::Mat preview(std::uint64_t seed, const scene_options& options) {
  const cv::Size tile(220, 180);
  std::vector<cv::Mat> rows;
  tarmac::image::random_engine rng(seed);
  for (road_type t : road_types)
    for (road_quality q : road_qualities) {
      if (!has_quality(t, q)) continue;
      const cv::Mat frame = render_road_frame(t, q, frame_seed(seed, 99, rows.size()), options);
      const cv::Mat roi = tarmac::image::crop_roi(frame);
      std::vector<cv::Mat> tiles;
      for (const cv::Mat& m : {frame, roi, tarmac::image::brighten_hsv(roi), tarmac::image::adjust_gamma(roi),
                               tarmac::image::augmenter::strong()(roi, rng)}) {
        cv::Mat r;
        cv::resize(m, r, tile);
        tiles.push_back(r);
      }
      cv::putText(tiles[0], name(t) + " / " + name(q), {6, 18}, cv::FONT_HERSHEY_SIMPLEX, 0.5, {0, 0, 0}, 3, cv::LINE_AA);
      cv::putText(tiles[0], name(t) + " / " + name(q), {6, 18}, cv::FONT_HERSHEY_SIMPLEX, 0.5, {255, 255, 255}, 1, cv::LINE_AA);
      cv::Mat row;
      cv::hconcat(tiles, row);
      rows.push_back(row);
    }
  cv::Mat sheet;
  cv::vconcat(rows, sheet);
  return sheet;
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
    const fs::path out = args.text("--out");
    const auto per_class = std::size_t(args.integer("--per-class", 0, 1000000));
    const auto seed = std::uint64_t(args.integer("--seed", 0, 2147483647L));
    const auto drive_frames = std::size_t(args.integer("--drive", 0, 10000000));
    scene_options options;
    options.size = parse_size(args.text("--size"));
    render_road_frame(road_type::asphalt, road_quality::good, 0, options);  // rejects a bad size before any work

    struct job {
      fs::path folder;  // relative to the data set's root
      road_type type;
      bool any_quality;  // type folders mix the qualities of their type
      road_quality quality;
    };
    std::vector<job> jobs;
    for (road_type t : road_types) jobs.push_back({fs::path(type_root) / type_folder(t), t, true, road_quality::regular});
    for (road_type t : road_types)
      for (road_quality q : road_qualities)
        if (has_quality(t, q))
          jobs.push_back({fs::path(quality_root(t)) / quality_folder(t, q), t, false, q});
    // Nothing of a data set already in --out is touched.
    std::vector<fs::path> tops;
    for (const job& j : jobs)
      if (std::find(tops.begin(), tops.end(), *j.folder.begin()) == tops.end()) tops.push_back(*j.folder.begin());
    if (drive_frames > 0) tops.push_back("drive");
    for (const fs::path& top : tops)
      if (fs::exists(out / top))
        throw tarmac::invalid_argument(out.string() + " already holds " + top.string() + "; choose another --out or remove it");
    const bool created_out = !fs::exists(out);
    std::error_code ec;
    fs::create_directories(out, ec);
    if (ec) throw tarmac::io_error("--out: cannot create " + out.string() + ": " + ec.message());
    // Frames go to a staging folder inside --out, moved into place when all are written: a run
    // that fails or is stopped leaves --out as it was, so it can simply be run again.
    const fs::path staging = out / (".tarmac-synth.tmp-" + std::to_string(std::random_device{}()));
    struct cleanup {
      fs::path staging, out;
      bool remove_out, done = false;
      ~cleanup() {
        if (done) return;
        std::error_code ec;
        fs::remove_all(staging, ec);
        if (remove_out) fs::remove(out, ec);  // only if still empty
      }
    } guard{staging, out, created_out};
    tarmac::cli::check_output(staging, "--out");
    if (!args.text("--preview").empty()) tarmac::cli::check_image_output(args.text("--preview"), "--preview");
    auto check_stop = [] {
      if (tarmac::stop_requested()) throw tarmac::error("stopped: no frames were kept");
    };

    tarmac::progress_bar bar("tarmac-synth", jobs.size() * per_class + drive_frames, "frames");
    for (std::size_t j = 0; j < jobs.size() && per_class > 0; ++j) {
      fs::create_directories(staging / jobs[j].folder);
      for (std::size_t i = 0; i < per_class; ++i) {
        check_stop();
        const std::uint64_t s = frame_seed(seed, j, i);
        road_quality q = jobs[j].quality;
        if (jobs[j].any_quality)
          q = jobs[j].type == road_type::unpaved ? road_qualities[1 + s % 2] : road_qualities[s % 3];
        char file[32];
        std::snprintf(file, sizeof file, "%05zu.jpg", i);
        tarmac::image::write_image(staging / jobs[j].folder / file, render_road_frame(jobs[j].type, q, s, options),
                                   {cv::IMWRITE_JPEG_QUALITY, 95});
        bar.advance();
      }
    }
    if (drive_frames > 0) {
      const fs::path dir = staging / "drive";
      fs::create_directories(dir);
      drive_generator drive(frame_seed(seed, 1000, 0), options);
      drive_truth truth;
      for (std::size_t i = 0; i < drive_frames; ++i) {
        check_stop();
        const drive_frame f = drive.next();
        char file[32];
        std::snprintf(file, sizeof file, "%06zu.png", i);
        tarmac::image::write_image(dir / file, f.image);
        truth[i] = {name(f.type), name(f.quality)};
        bar.advance();
      }
      write_truth(dir / "truth.csv", truth);
    }
    for (const fs::path& top : tops)
      if (fs::exists(staging / top)) fs::rename(staging / top, out / top);
    fs::remove(staging);
    guard.done = true;
    const double rate = bar.finish();
    if (!args.text("--preview").empty()) {
      const fs::path sheet = args.text("--preview");
      tarmac::image::write_image(sheet, preview(seed, options));
      std::printf("preview: %s\n", sheet.string().c_str());
    }
    std::printf("wrote %zu frames to %s (%.0f frames/s)\n", jobs.size() * per_class + drive_frames, out.string().c_str(), rate);
    return 0;
  });
}
