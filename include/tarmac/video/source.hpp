#pragma once
// Frames from a video file, a printf-style image sequence ("frames/%06d.png") or a folder of
// images (natural order: 2.png before 10.png). An unreadable image in a sequence or folder, a
// gap in a sequence's numbering and a video that stops decoding early are skipped and recorded,
// never fatal; frames whose size differs from the first are resized to it (counted, so the
// caller can warn once). A missing or unreadable input is an io_error.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <utility>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "tarmac/core/error.hpp"
#include "tarmac/core/files.hpp"
#include "tarmac/image/io.hpp"

namespace tarmac::video {

struct frame {
  cv::Mat image;     // BGR, 8-bit
  std::string name;  // file name, or "frame N" of a video
  std::size_t index = 0;         // position among the frames delivered
  std::size_t source_index = 0;  // the frame's number: of a sequence's file name, or its position in a folder or video
};

struct skipped_frame {
  std::string name, reason;
  std::size_t frames = 1;  // frames it stands for: 0 for an entry that is not a frame, more for a gap
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

// A printf-style file name pattern with one integer conversion ("%d", "%06d"), checked, so that
// a user's pattern cannot reach snprintf with anything else.
struct sequence_pattern {
  std::string text, prefix, suffix;  // prefix and suffix as they appear in file names ("%%" as "%")

  explicit sequence_pattern(const std::string& pattern) : text(pattern) {
    const std::string example = " (e.g. frames/%06d.png)";
    std::size_t conversions = 0;
    std::string* part = &prefix;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
      if (pattern[i] != '%') {
        *part += pattern[i];
        continue;
      }
      if (i + 1 < pattern.size() && pattern[i + 1] == '%') {
        *part += '%';
        ++i;
        continue;
      }
      std::size_t j = i + 1;
      while (j < pattern.size() && std::isdigit(static_cast<unsigned char>(pattern[j]))) ++j;
      if (j >= pattern.size() || pattern[j] != 'd')
        throw invalid_argument("image sequence pattern '" + pattern + "': only %d or %0Nd is allowed" + example);
      if (j - i > 3 || (j - i == 3 && std::stoi(pattern.substr(i + 1, 2)) > 20))
        throw invalid_argument("image sequence pattern '" + pattern + "': a field width of at most 20 digits is allowed" + example);
      ++conversions;
      part = &suffix;
      i = j;
    }
    if (conversions != 1)
      throw invalid_argument("image sequence pattern '" + pattern + "' must have exactly one %d" + example);
    if (suffix.find('/') != std::string::npos)
      throw invalid_argument("image sequence pattern '" + pattern + "': the %d must be in the file name, not in a folder name" + example);
  }

  std::string expand(std::size_t index) const {
    char buffer[512];
    const int n = std::snprintf(buffer, sizeof buffer, text.c_str(), int(index));  // files() keeps indices below 1e9
    if (n < 0 || std::size_t(n) >= sizeof buffer) throw invalid_argument("image sequence pattern '" + text + "' gives a name that is too long");
    return buffer;
  }

  // The sequence's files by number, found by listing the folder: a file belongs when the
  // pattern expands to exactly its name.
  std::vector<std::pair<std::size_t, std::string>> files() const {
    namespace fs = std::filesystem;
    const fs::path folder = fs::path(prefix).has_parent_path() ? fs::path(prefix).parent_path() : fs::path(".");
    const std::string name_prefix = fs::path(prefix).filename().string();
    std::error_code ec;
    if (!fs::is_directory(folder, ec))
      throw io_error("image sequence " + text + ": folder " + folder.string() + " does not exist");
    std::vector<std::pair<std::size_t, std::string>> out;
    for (const fs::path& file : list_folder(folder, "image sequence folder").files) {
      const std::string name = file.filename().string();
      if (name.size() <= name_prefix.size() + suffix.size() || !name.starts_with(name_prefix) || !name.ends_with(suffix)) continue;
      const std::string digits = name.substr(name_prefix.size(), name.size() - name_prefix.size() - suffix.size());
      if (digits.size() > 9 || !std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c); })) continue;
      const std::size_t index = std::stoul(digits);
      if (fs::path(expand(index)).filename() == name) out.emplace_back(index, file.string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }
};

}  // namespace detail

class frame_source {
 public:
  enum class kind { video, sequence, folder };

  explicit frame_source(const std::string& input) : input_(input) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (input.find('%') != std::string::npos) {
      kind_ = kind::sequence;
      const detail::sequence_pattern pattern(input);
      const auto found = pattern.files();
      if (found.empty()) throw io_error("image sequence " + input + ": no file matches (e.g. " + pattern.expand(0) + ")");
      // A gap in the numbering is reported, counted as skipped frames, and read past.
      for (std::size_t k = 0; k < found.size(); ++k) {
        if (k > 0 && found[k].first > found[k - 1].first + 1) {
          const std::size_t from = found[k - 1].first + 1, to = found[k].first - 1;
          gaps_.push_back({files_.size(), {pattern.expand(from) + (to > from ? " to " + pattern.expand(to) : ""),
                                           "missing from the sequence (a gap in its numbering)", to - from + 1}});
        }
        files_.push_back(found[k].second);
        numbers_.push_back(found[k].first);
      }
    } else if (fs::is_directory(input, ec)) {
      kind_ = kind::folder;
      const folder_listing listing = list_folder(input, "input folder");
      for (const fs::path& file : listing.files)
        if (detail::image_extension(file)) files_.push_back(file.string());
      for (const auto& p : listing.problems)  // unreadable entries: frames when named like images
        skipped_.push_back({p.path.string(), p.reason, detail::image_extension(p.path) ? 1u : 0u});
      std::sort(files_.begin(), files_.end(), [](const std::string& a, const std::string& b) {
        return natural_less(fs::path(a).filename().string(), fs::path(b).filename().string());
      });
      if (files_.empty()) throw io_error("folder " + input + " has no image files (.png, .jpg, ...)");
      for (std::size_t k = 0; k < files_.size(); ++k) numbers_.push_back(k);
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
    } else if (ec && ec != std::errc::no_such_file_or_directory) {
      throw io_error("input " + input + " cannot be read (" + ec.message() + ")");
    } else {
      throw io_error("input " + input + " does not exist (give a video file, a folder of images or a pattern such as frames/%06d.png)");
    }
  }

  kind source_kind() const { return kind_; }

  // Frames a filter refuses are skipped and recorded with its reason: the annotate pipeline
  // refuses frames too small for the models' region of interest. Refused frames never fix the
  // size later frames are resized to.
  void set_filter(std::function<std::string(const cv::Mat&)> refuse) { refuse_ = std::move(refuse); }

  // Frames in total when known (sequences and folders; a video's own count, which may be 0).
  std::size_t count() const {
    if (kind_ != kind::video) return files_.size();
    const double n = capture_.get(cv::CAP_PROP_FRAME_COUNT);
    return n > 0 ? std::size_t(n) : 0;
  }

  // The next usable frame, or nothing at the end.
  std::optional<frame> next() {
    frame f;
    for (;;) {
      if (!read(f)) return std::nullopt;
      if (std::string reason = refuse_ ? refuse_(f.image) : std::string(); !reason.empty()) {
        skipped_.push_back({f.name, reason, 1});
        ++refused_;
        continue;
      }
      break;
    }
    if (delivered_ == 0) size_ = f.image.size();
    else if (f.image.size() != size_) {
      cv::resize(f.image, f.image, size_, 0, 0, cv::INTER_AREA);
      ++resized_;
    }
    f.index = delivered_++;
    return f;
  }

  // What was not delivered, in order: unreadable or refused frames, gaps, an early end.
  const std::vector<skipped_frame>& skipped() const { return skipped_; }
  std::size_t skipped_frames() const {
    std::size_t n = 0;
    for (const skipped_frame& s : skipped_) n += s.frames;
    return n;
  }
  std::size_t refused() const { return refused_; }  // frames the filter refused
  std::size_t resized() const { return resized_; }  // frames resized to the first frame's size
  cv::Size frame_size() const { return size_; }     // of the first frame

 private:
  // The next decodable frame, recording the ones that are not.
  bool read(frame& f) {
    if (kind_ == kind::video) {
      if (!capture_.read(f.image) || f.image.empty()) {
        if (delivered_ == 0 && position_ == 0) throw io_error("video " + input_ + ": no frame could be decoded");
        // A stream that stops well before its announced length is damaged, not finished: say so.
        if (count() > position_ + 1 && !ended_)
          skipped_.push_back({input_, "decoding stopped at frame " + std::to_string(position_) + " of " + std::to_string(count()),
                              count() - position_});
        ended_ = true;
        return false;
      }
      f.source_index = position_;
      f.name = "frame " + std::to_string(position_++);
      if (f.image.channels() == 1) cv::cvtColor(f.image, f.image, cv::COLOR_GRAY2BGR);
      return true;
    }
    for (;;) {
      while (!gaps_.empty() && gaps_.front().first == position_) {
        skipped_.push_back(gaps_.front().second);
        gaps_.erase(gaps_.begin());
      }
      if (position_ >= files_.size()) {
        if (delivered_ == 0 && refused_ == 0)
          throw io_error(input_ + ": none of its " + std::to_string(files_.size()) + " images could be used" +
                         (skipped_.empty() ? "" : " (" + skipped_.front().name + ": " + skipped_.front().reason + ")"));
        return false;
      }
      f.source_index = numbers_[position_];
      const std::string& path = files_[position_++];
      std::string reason;
      f.image = image::read_image(path, reason);
      f.name = std::filesystem::path(path).filename().string();
      if (!f.image.empty()) return true;
      skipped_.push_back({path, reason, 1});
    }
  }

  std::string input_;
  kind kind_ = kind::folder;
  std::vector<std::string> files_;
  std::vector<std::size_t> numbers_;                         // each file's number (sequence) or position (folder)
  std::vector<std::pair<std::size_t, skipped_frame>> gaps_;  // reported when reading reaches them
  cv::VideoCapture capture_;
  std::function<std::string(const cv::Mat&)> refuse_;
  std::size_t position_ = 0, delivered_ = 0, resized_ = 0, refused_ = 0;
  bool ended_ = false;
  cv::Size size_;
  std::vector<skipped_frame> skipped_;
};

}  // namespace tarmac::video
