#pragma once
// Frames from a video file, a printf-style image sequence ("frames/%06d.png") or a folder of
// images (natural order: 2.png before 10.png). An unreadable image in a sequence or folder is
// skipped and recorded, never fatal; frames whose size differs from the first are resized to
// it (counted, so the caller can warn once). A missing or unreadable input is an io_error.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "tarmac/core/error.hpp"

namespace tarmac::video {

struct frame {
  cv::Mat image;     // BGR, 8-bit
  std::string name;  // file name, or "frame N" of a video
  std::size_t index = 0;         // position among the frames delivered
  std::size_t source_index = 0;  // the frame's number: of a sequence's file name, or its position in a folder or video
};

struct skipped_frame {
  std::string name, reason;
};

// "frame2.png" < "frame10.png": digit runs compare as numbers, the rest as text.
inline bool natural_less(const std::string& a, const std::string& b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) && std::isdigit(static_cast<unsigned char>(b[j]))) {
      std::size_t ei = i, ej = j;
      while (ei < a.size() && std::isdigit(static_cast<unsigned char>(a[ei]))) ++ei;
      while (ej < b.size() && std::isdigit(static_cast<unsigned char>(b[ej]))) ++ej;
      // Compare without leading zeros: longer is larger, then digit by digit.
      std::size_t zi = i, zj = j;
      while (zi + 1 < ei && a[zi] == '0') ++zi;
      while (zj + 1 < ej && b[zj] == '0') ++zj;
      if (ei - zi != ej - zj) return ei - zi < ej - zj;
      if (int c = a.compare(zi, ei - zi, b, zj, ej - zj); c != 0) return c < 0;
      if (ei - i != ej - j) return ei - i < ej - j;  // "01" before "001" only to keep the order strict
      i = ei, j = ej;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i, ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

namespace detail {

inline bool image_extension(const std::filesystem::path& p) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  for (const char* known : {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".ppm", ".pgm", ".pnm", ".webp"})
    if (e == known) return true;
  return false;
}

// The one integer conversion of a printf-style pattern ("%d", "%06d"), checked, so that a
// user's pattern cannot reach snprintf with anything else.
inline void check_pattern(const std::string& pattern) {
  std::size_t conversions = 0;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '%') continue;
    if (i + 1 < pattern.size() && pattern[i + 1] == '%') {
      ++i;
      continue;
    }
    std::size_t j = i + 1;
    while (j < pattern.size() && std::isdigit(static_cast<unsigned char>(pattern[j]))) ++j;
    if (j >= pattern.size() || pattern[j] != 'd' || j - i > 4)
      throw invalid_argument("image sequence pattern '" + pattern + "': only %d or %0Nd is allowed (e.g. frames/%06d.png)");
    ++conversions;
    i = j;
  }
  if (conversions != 1)
    throw invalid_argument("image sequence pattern '" + pattern + "' must have exactly one %d (e.g. frames/%06d.png)");
}

inline std::string expand(const std::string& pattern, std::size_t index) {
  std::vector<char> out(pattern.size() + 32);
  std::snprintf(out.data(), out.size(), pattern.c_str(), int(index));
  return out.data();
}

}  // namespace detail

class frame_source {
 public:
  enum class kind { video, sequence, folder };

  explicit frame_source(const std::string& input) : input_(input) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (input.find('%') != std::string::npos) {
      kind_ = kind::sequence;
      detail::check_pattern(input);
      // Like OpenCV, the sequence starts at the first of indices 0..4 that exists, and runs to the first gap.
      std::size_t first = 0;
      while (first < 5 && !fs::exists(detail::expand(input, first), ec)) ++first;
      if (first == 5) throw io_error("image sequence " + input + ": no file for index 0 to 4 (" + detail::expand(input, 0) + ")");
      for (std::size_t i = first; fs::exists(detail::expand(input, i), ec); ++i) files_.push_back(detail::expand(input, i));
      first_number_ = first;
    } else if (fs::is_directory(input, ec)) {
      kind_ = kind::folder;
      for (const auto& entry : fs::directory_iterator(input, ec))
        if (entry.is_regular_file() && detail::image_extension(entry.path())) files_.push_back(entry.path().string());
      if (ec) throw io_error("cannot list " + input + ": " + ec.message());
      std::sort(files_.begin(), files_.end(), [](const std::string& a, const std::string& b) {
        return natural_less(fs::path(a).filename().string(), fs::path(b).filename().string());
      });
      if (files_.empty()) throw io_error("folder " + input + " has no image files (.png, .jpg, ...)");
    } else if (fs::is_regular_file(input, ec)) {
      kind_ = kind::video;
      // FFmpeg reads every common container; OpenCV's own reader covers Motion-JPEG AVI where
      // FFmpeg is missing. Not CAP_ANY: probing GStreamer and camera backends on a file leaks and
      // logs. Refusals are silenced; the error below says it once.
      const auto level = cv::utils::logging::getLogLevel();
      cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
      bool opened = false;
      for (int backend : {cv::CAP_FFMPEG, cv::CAP_OPENCV_MJPEG})
        if (!opened) opened = capture_.open(input, backend) && capture_.isOpened();
      cv::utils::logging::setLogLevel(level);
      if (!opened)
        throw io_error("cannot open video " + input + ": not a video format OpenCV can read");
    } else {
      throw io_error("input " + input + " does not exist (give a video file, a folder of images or a pattern such as frames/%06d.png)");
    }
  }

  kind source_kind() const { return kind_; }

  // Frames in total when known (sequences and folders; a video's own count, which may be 0).
  std::size_t count() const {
    if (kind_ != kind::video) return files_.size();
    const double n = capture_.get(cv::CAP_PROP_FRAME_COUNT);
    return n > 0 ? std::size_t(n) : 0;
  }

  // The next readable frame, or nothing at the end.
  std::optional<frame> next() {
    frame f;
    if (kind_ == kind::video) {
      if (!capture_.read(f.image) || f.image.empty()) {
        if (delivered_ == 0 && position_ == 0) throw io_error("video " + input_ + ": no frame could be decoded");
        // A stream that stops well before its announced length is damaged, not finished: say so.
        if (count() > position_ + 1 && !ended_)
          skipped_.push_back({input_, "decoding stopped at frame " + std::to_string(position_) + " of " + std::to_string(count())});
        ended_ = true;
        return std::nullopt;
      }
      f.source_index = position_;
      f.name = "frame " + std::to_string(position_++);
      if (f.image.channels() == 1) cv::cvtColor(f.image, f.image, cv::COLOR_GRAY2BGR);
    } else {
      for (;;) {
        if (position_ >= files_.size()) {
          if (delivered_ == 0) throw io_error(input_ + ": none of its " + std::to_string(files_.size()) + " images could be read");
          return std::nullopt;
        }
        f.source_index = first_number_ + position_;
        const std::string& path = files_[position_++];
        f.image = cv::imread(path, cv::IMREAD_COLOR);
        f.name = std::filesystem::path(path).filename().string();
        if (!f.image.empty()) break;
        skipped_.push_back({path, "cannot be decoded"});
      }
    }
    if (delivered_ == 0) size_ = f.image.size();
    else if (f.image.size() != size_) {
      cv::resize(f.image, f.image, size_, 0, 0, cv::INTER_AREA);
      ++resized_;
    }
    f.index = delivered_++;
    return f;
  }

  const std::vector<skipped_frame>& skipped() const { return skipped_; }
  std::size_t resized() const { return resized_; }  // frames resized to the first frame's size
  cv::Size frame_size() const { return size_; }     // of the first frame

 private:
  std::string input_;
  kind kind_ = kind::folder;
  std::vector<std::string> files_;
  cv::VideoCapture capture_;
  std::size_t position_ = 0, delivered_ = 0, resized_ = 0, first_number_ = 0;
  bool ended_ = false;
  cv::Size size_;
  std::vector<skipped_frame> skipped_;
};

}  // namespace tarmac::video
