#pragma once
// Generated data sets on disk, in the RTK training layout: a type folder per surface type (its
// qualities mixed) and a quality folder per type and quality, optionally a continuous drive with
// its truth, and a preview sheet. Every frame has its own seed, so any one can be regenerated
// alone; the set is written into a staging folder and moved into place only when complete, so a
// run that fails or is stopped leaves the output folder as it was.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <system_error>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "tarmac/core/error.hpp"
#include "tarmac/core/files.hpp"
#include "tarmac/image/augment.hpp"
#include "tarmac/image/io.hpp"
#include "tarmac/image/roi.hpp"
#include "tarmac/surface/synthetic.hpp"
#include "tarmac/surface/taxonomy.hpp"
#include "tarmac/surface/truth.hpp"

namespace tarmac::surface {

struct synthetic_set_options {
  std::size_t per_class = 100;   // frames in every type folder and every quality folder
  std::uint64_t seed = 1;        // the same seed gives the same frames
  std::size_t drive_frames = 0;  // frames of a continuous drive in drive/ (0: no drive)
  scene_options scene{};
  std::function<bool()> stop{};  // polled before each frame; true (e.g. after Ctrl-C) ends the run, keeping nothing
};

// A folder of the set: a type folder holds every quality of its type, a quality folder one.
struct synthetic_folder {
  std::filesystem::path path;  // relative to the set's root
  road_type type;
  std::optional<road_quality> quality;  // none: a type folder
};

// The drive's folder in the set: %06d.png frames and truth.csv.
inline const std::string drive_folder = "drive";

// The set's frame folders, type folders first; a frame's seed depends on its folder's place here.
inline std::vector<synthetic_folder> synthetic_folders() {
  std::vector<synthetic_folder> out;
  for (road_type t : road_types) out.push_back({std::filesystem::path(type_root) / type_folder(t), t, std::nullopt});
  for (road_type t : road_types)
    for (road_quality q : road_qualities)
      if (has_quality(t, q)) out.push_back({std::filesystem::path(quality_root(t)) / quality_folder(t, q), t, q});
  return out;
}

// Frames a set of these options holds, the drive's included.
inline std::size_t synthetic_set_frames(const synthetic_set_options& o) {
  return synthetic_folders().size() * o.per_class + o.drive_frames;
}

namespace detail {

// One independent seed per (folder, frame). Folder numbers past the frame folders name the
// drive (1000) and the preview (99).
inline std::uint64_t frame_seed(std::uint64_t seed, std::uint64_t folder, std::uint64_t index) {
  std::uint64_t z = seed * 0x9E3779B97F4A7C15ull + folder * 0xBF58476D1CE4E5B9ull + index * 0x94D049BB133111EBull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  return z ^ (z >> 31);
}

// The top-level entries of the set in its root: what must not exist there before.
inline std::vector<std::filesystem::path> set_tops(const synthetic_set_options& o) {
  std::vector<std::filesystem::path> tops;
  for (const synthetic_folder& f : synthetic_folders())
    if (std::find(tops.begin(), tops.end(), *f.path.begin()) == tops.end()) tops.push_back(*f.path.begin());
  if (o.drive_frames > 0) tops.push_back(drive_folder);
  return tops;
}

}  // namespace detail

// Frame `index` of folder `folder` (an index into synthetic_folders()) of the set with this seed,
// as write_synthetic_set draws it before encoding it as JPEG.
inline cv::Mat synthetic_set_frame(std::size_t folder, std::size_t index, std::uint64_t seed, const scene_options& scene = {}) {
  const std::vector<synthetic_folder> folders = synthetic_folders();
  if (folder >= folders.size())
    throw invalid_argument("synthetic_set_frame: folder " + std::to_string(folder) + " of " + std::to_string(folders.size()));
  const std::uint64_t s = detail::frame_seed(seed, folder, index);
  const synthetic_folder& f = folders[folder];
  // A type folder draws each frame's quality from its seed, among the qualities of its type.
  const road_quality q = f.quality ? *f.quality : f.type == road_type::unpaved ? road_qualities[1 + s % 2] : road_qualities[s % 3];
  return render_road_frame(f.type, q, s, scene);
}

// Throws unless a set of these options can be written into `out`: invalid_argument for frames
// too small, or when `out` already holds a folder of the set (nothing of an existing set is
// touched). Tools call it before any work; write_synthetic_set calls it too.
inline void check_synthetic_set(const std::filesystem::path& out, const synthetic_set_options& o) {
  detail::check_options(o.scene);
  for (const std::filesystem::path& top : detail::set_tops(o))
    if (std::filesystem::exists(out / top))
      throw invalid_argument(out.string() + " already holds " + top.string() + "; choose another folder or remove it");
}

struct synthetic_set_summary {
  std::size_t frames = 0;  // written into the output folder
  bool stopped = false;    // options.stop ended the run: nothing was written
};

// Called after each frame written, with the frames written so far and the set's total.
using synthetic_progress = std::function<void(std::size_t done, std::size_t total)>;

// Writes the set into `out` (created if missing): synthetic_folders() with per_class JPEG frames
// each (%05d.jpg), and drive/ with %06d.png frames and truth.csv when drive_frames > 0. A stop or
// an error removes every frame written and, if this call created it, `out`.
inline synthetic_set_summary write_synthetic_set(const std::filesystem::path& out, const synthetic_set_options& o,
                                                 const synthetic_progress& progress = {}) {
  namespace fs = std::filesystem;
  check_synthetic_set(out, o);
  const bool created_out = !fs::exists(out);
  const auto make_folder = [](const fs::path& folder) {
    std::error_code ec;
    fs::create_directories(folder, ec);
    if (ec) throw io_error("cannot create " + folder.string() + ": " + ec.message());
  };
  make_folder(out);
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
  check_writable(staging);

  const std::size_t total = synthetic_set_frames(o);
  std::size_t done = 0;
  const auto stopped = [&] { return o.stop && o.stop(); };
  const auto advance = [&] {
    if (progress) progress(++done, total);
  };
  const std::vector<synthetic_folder> folders = synthetic_folders();
  for (std::size_t j = 0; j < folders.size() && o.per_class > 0; ++j) {
    make_folder(staging / folders[j].path);
    for (std::size_t i = 0; i < o.per_class; ++i) {
      if (stopped()) return {0, true};
      char file[32];
      std::snprintf(file, sizeof file, "%05zu.jpg", i);
      image::write_image(staging / folders[j].path / file, synthetic_set_frame(j, i, o.seed, o.scene), {cv::IMWRITE_JPEG_QUALITY, 95});
      advance();
    }
  }
  if (o.drive_frames > 0) {
    const fs::path dir = staging / drive_folder;
    make_folder(dir);
    drive_generator drive(detail::frame_seed(o.seed, 1000, 0), o.scene);
    drive_truth truth;
    for (std::size_t i = 0; i < o.drive_frames; ++i) {
      if (stopped()) return {0, true};
      const drive_frame f = drive.next();
      char file[32];
      std::snprintf(file, sizeof file, "%06zu.png", i);
      image::write_image(dir / file, f.image);
      truth[i] = {name(f.type), name(f.quality)};
      advance();
    }
    write_truth(dir / "truth.csv", truth);
  }
  std::error_code ec;
  for (const fs::path& top : detail::set_tops(o)) {
    if (!fs::exists(staging / top)) continue;
    fs::rename(staging / top, out / top, ec);
    if (ec) throw io_error("cannot move " + (staging / top).string() + " into " + out.string() + ": " + ec.message());
  }
  fs::remove(staging, ec);
  guard.done = true;
  return {total, false};
}

// One row per type and quality: a frame, its ROI, the RTK brighter and darker views of the ROI
// and a strong random augmentation of it, each stretched to 220x180, the frame captioned.
inline cv::Mat synthetic_preview(std::uint64_t seed, const scene_options& scene = {}) {
  const cv::Size tile(220, 180);
  std::vector<cv::Mat> rows;
  image::random_engine rng(seed);
  for (road_type t : road_types)
    for (road_quality q : road_qualities) {
      if (!has_quality(t, q)) continue;
      const cv::Mat frame = render_road_frame(t, q, detail::frame_seed(seed, 99, rows.size()), scene);
      const cv::Mat roi = image::crop_roi(frame);
      std::vector<cv::Mat> tiles;
      for (const cv::Mat& m : {frame, roi, image::brighten_hsv(roi), image::adjust_gamma(roi), image::augmenter::strong()(roi, rng)}) {
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

}  // namespace tarmac::surface
