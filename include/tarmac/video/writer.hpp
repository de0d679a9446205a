#pragma once
// Motion-JPEG AVI output written under a temporary name and renamed by finish(), so an
// interrupted run never leaves a truncated video under the final name (and never replaces a
// good one). The output's folder is checked, and the temporary created, on construction:
// before any work.
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <system_error>

#include <opencv2/videoio.hpp>

#include "tarmac/core/error.hpp"

namespace tarmac::video {

class avi_writer {
 public:
  avi_writer(const std::filesystem::path& output, double fps) : output_(output), fps_(fps) {
    namespace fs = std::filesystem;
    if (output.extension() != ".avi") throw invalid_argument("output " + output.string() + ": the name must end in .avi");
    if (!(fps > 0 && fps <= 1000)) throw invalid_argument("frame rate must be in (0, 1000], got " + std::to_string(fps));
    const fs::path folder = output.has_parent_path() ? output.parent_path() : fs::path(".");
    std::error_code ec;
    if (!fs::is_directory(folder, ec)) throw io_error("cannot write " + output.string() + ": folder " + folder.string() + " does not exist");
    temporary_ = folder / (output.stem().string() + ".tmp-" + std::to_string(std::random_device{}()) + ".avi");
    if (!std::ofstream(temporary_, std::ios::binary))
      throw io_error("cannot write " + output.string() + ": cannot create a file in " + folder.string());
  }

  avi_writer(const avi_writer&) = delete;
  avi_writer& operator=(const avi_writer&) = delete;

  ~avi_writer() {
    if (finished_) return;
    writer_.release();
    std::error_code ec;
    std::filesystem::remove(temporary_, ec);
  }

  // The first frame fixes the size; later frames must have it.
  void write(const cv::Mat& frame) {
    if (!writer_.isOpened()) {
      // OpenCV's own MJPEG writer: no FFmpeg needed, the same file on every machine.
      if (!writer_.open(temporary_.string(), cv::CAP_OPENCV_MJPEG, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), fps_,
                        frame.size()))
        throw io_error("cannot write " + output_.string() + ": OpenCV cannot open a Motion-JPEG AVI writer");
      size_ = frame.size();
    }
    if (frame.size() != size_ || frame.type() != CV_8UC3)
      throw invalid_argument("avi_writer: frame " + std::to_string(frames_) + " is " + std::to_string(frame.cols) + "x" +
                             std::to_string(frame.rows) + ", the video is " + std::to_string(size_.width) + "x" +
                             std::to_string(size_.height) + " BGR");
    writer_.write(frame);
    ++frames_;
  }

  // Closes the video and renames it to the output name.
  void finish() {
    if (frames_ == 0) throw invalid_argument("cannot write " + output_.string() + ": no frames");
    writer_.release();
    std::error_code ec;
    std::filesystem::rename(temporary_, output_, ec);
    if (ec) throw io_error("cannot write " + output_.string() + ": rename failed (" + ec.message() + ")");
    finished_ = true;
  }

  std::size_t frames() const { return frames_; }

 private:
  std::filesystem::path output_, temporary_;
  double fps_;
  cv::VideoWriter writer_;
  cv::Size size_;
  std::size_t frames_ = 0;
  bool finished_ = false;
};

}  // namespace tarmac::video
