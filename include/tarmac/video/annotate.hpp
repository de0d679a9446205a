#pragma once
// The annotate pipeline: a reader thread decodes and preprocesses frames into batches, the
// calling thread runs the cascade on each batch (the networks use their own thread pools), and
// a writer thread draws the overlay and encodes the video. Bounded queues between the stages
// keep memory flat and let decoding, inference and encoding overlap.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "tarmac/core/files.hpp"
#include "tarmac/image/roi.hpp"
#include "tarmac/image/tensor.hpp"
#include "tarmac/surface/cascade.hpp"
#include "tarmac/surface/overlay.hpp"
#include "tarmac/surface/taxonomy.hpp"
#include "tarmac/video/detail/queue.hpp"
#include "tarmac/video/source.hpp"
#include "tarmac/video/writer.hpp"

namespace tarmac::video {

struct annotate_options {
  static constexpr std::size_t max_batch = 1024;  // a batch of 128x128 inputs is 200 KB a frame, times the network's activations
  std::size_t batch = 16;
  double smoothing = 0;  // exponential moving average of the probabilities over frames (0 = off)
  bool show_roi = false;
  std::optional<image::roi_rule> roi{};  // instead of the cascade's own rule
  std::function<bool()> stop{};  // polled before each frame is read; true (e.g. after Ctrl-C) ends reading
};

struct annotate_summary {
  std::size_t frames = 0, skipped = 0, resized = 0;  // skipped: frames, see frame_source::skipped()
  double seconds = 0;
  double frames_per_second() const { return seconds > 0 ? double(frames) / seconds : 0.0; }
};

// Called on the writer thread, in frame order, with each frame as written.
using frame_callback = std::function<void(const frame& original, const surface::cascade_result& result, const cv::Mat& annotated)>;

template <class Model>
annotate_summary annotate(frame_source& source, surface::basic_cascade<Model>& cascade, avi_writer& writer,
                          const annotate_options& options, const frame_callback& on_frame = {}) {
  if (options.batch == 0 || options.batch > annotate_options::max_batch)
    throw invalid_argument("annotate: batch size must be in [1, " + std::to_string(annotate_options::max_batch) + "], got " +
                           std::to_string(options.batch));
  surface::probability_smoother smoother(options.smoothing);
  struct batch {
    std::vector<frame> frames;
    xt::xtensor<float, 4> inputs;
  };
  struct classified {
    std::vector<frame> frames;
    std::vector<surface::cascade_result> results;
  };
  detail::bounded_queue<batch> to_classify(2);
  detail::bounded_queue<classified> to_write(2);
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto fail = [&] {
    {
      std::lock_guard lock(failure_mutex);
      if (!failure) failure = std::current_exception();
    }
    to_classify.cancel();
    to_write.cancel();
  };
  const image::input_size input = cascade.input();
  const image::roi_rule roi = options.roi.value_or(cascade.roi());
  // A frame too small for the models' region of interest is skipped and named, not fatal.
  source.set_filter([&](const cv::Mat& image) {
    try {
      roi.rect(image.size());
      return std::string();
    } catch (const invalid_argument& e) {
      return std::string(e.what());
    }
  });
  const auto start = std::chrono::steady_clock::now();

  std::thread reader([&] {
    try {
      for (bool more = true; more;) {
        batch b;
        b.inputs = xt::xtensor<float, 4>::from_shape({options.batch, std::size_t(input.height), std::size_t(input.width), 3});
        while (b.frames.size() < options.batch) {
          std::optional<frame> f;
          if (!(options.stop && options.stop())) f = source.next();
          if (!f) {
            more = false;
            break;
          }
          image::to_tensor_into(image::crop_roi(f->image, roi), b.inputs, b.frames.size());
          b.frames.push_back(std::move(*f));
        }
        if (!b.frames.empty() && !to_classify.push(std::move(b))) return;
      }
      to_classify.close();
    } catch (...) {
      fail();
    }
  });
  std::thread encoder([&] {
    try {
      const surface::overlay_options overlay{options.show_roi, roi};
      while (std::optional<classified> c = to_write.pop())
        for (std::size_t i = 0; i < c->frames.size(); ++i) {
          // Drawn in place (the reader is done with the frame), on a copy when the callback wants the original.
          cv::Mat annotated = on_frame ? c->frames[i].image.clone() : c->frames[i].image;
          surface::draw_overlay(annotated, c->results[i], overlay);
          writer.write(annotated);
          if (on_frame) on_frame(c->frames[i], c->results[i], annotated);
        }
    } catch (...) {
      fail();
    }
  });
  annotate_summary summary;
  try {
    while (std::optional<batch> b = to_classify.pop()) {
      classified c{std::move(b->frames), {}};
      c.results = cascade.classify(b->inputs, c.frames.size(), &smoother);
      summary.frames += c.frames.size();
      if (!to_write.push(std::move(c))) break;
    }
    to_write.close();
  } catch (...) {
    fail();
  }
  reader.join();
  encoder.join();
  if (failure) std::rethrow_exception(failure);
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  summary.skipped = source.skipped_frames();
  summary.resized = source.resized();
  if (summary.frames == 0 && !(options.stop && options.stop())) {
    // Every decodable frame refused by the ROI: the models' rule is what does not fit.
    const auto& s = source.skipped();
    const auto first = std::find_if(s.begin(), s.end(), [](const skipped_frame& f) { return f.frames > 0; });
    throw invalid_argument((source.refused() ? "the models' ROI (" + roi.to_string() + ") fits none of the frames"
                                             : std::string("no frame could be annotated")) +
                           (first == s.end() ? std::string() : " (" + first->name + ": " + first->reason + ")"));
  }
  return summary;
}

// What an annotation reports per frame: the CSV rows tarmac-annotate --csv writes (index, source,
// type, type probability, quality, quality probability) and how many frames got each type and
// each type and quality ("asphalt good"; the type alone when it has no quality model).
class annotation_log {
 public:
  void add(const frame& f, const surface::cascade_result& r) {
    const std::string quality = r.quality ? surface::quality_label(r.quality_class) : "";
    char probability[32];
    std::snprintf(probability, sizeof probability, ",%.4f,", r.type_probability);
    csv_ += std::to_string(f.index) + "," + csv_field(f.name) + "," + csv_field(r.type_class.label) + probability +
            csv_field(quality) + "," + (r.quality ? std::to_string(r.quality_probability) : std::string()) + "\n";
    ++frames_;
    ++types_[r.type_class.label];
    ++outcomes_[r.quality ? r.type_class.label + " " + quality : r.type_class.label];
  }

  const std::string& csv() const { return csv_; }
  std::size_t frames() const { return frames_; }
  const std::map<std::string, std::size_t>& type_frames() const { return types_; }
  const std::map<std::string, std::size_t>& outcome_frames() const { return outcomes_; }

 private:
  static std::string csv_field(std::string s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    for (std::size_t i = 0; (i = s.find('"', i)) != std::string::npos; i += 2) s.insert(i, 1, '"');
    return "\"" + s + "\"";
  }

  std::string csv_ = "index,source,type,type_probability,quality,quality_probability\n";
  std::size_t frames_ = 0;
  std::map<std::string, std::size_t> types_, outcomes_;
};

// Finishes an annotation's outputs together: every file (path, bytes; an empty path is skipped)
// is complete on disk before any of them replaces what the user had, and the video goes first,
// so a failure anywhere (a full disk) leaves every old file in place.
inline void commit_outputs(avi_writer& video, const std::vector<std::pair<std::filesystem::path, std::string_view>>& files) {
  std::deque<atomic_file> written;  // atomic_file does not move
  for (const auto& [path, bytes] : files) {
    if (path.empty()) continue;
    written.emplace_back(path);
    written.back().file().write(bytes);
    written.back().close();
  }
  video.finish();
  for (atomic_file& f : written) f.commit();
}

}  // namespace tarmac::video
