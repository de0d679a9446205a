#pragma once
// Image files: written under a temporary name and renamed, like every tarmac output.
#include <filesystem>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "tarmac/core/error.hpp"
#include "tarmac/core/files.hpp"

namespace tarmac::image {

// Throws invalid_argument unless OpenCV has a writer for the name's extension: tools check
// their image outputs with it before any work.
inline void check_image_name(const std::filesystem::path& path) {
  if (!cv::haveImageWriter(path.string()))
    throw invalid_argument("cannot write an image to " + path.string() + ": give a name ending in .png, .jpg, ...");
}

// The format follows the extension (.png, .jpg, ...); params as for cv::imwrite.
inline void write_image(const std::filesystem::path& path, const cv::Mat& image, const std::vector<int>& params = {}) {
  if (image.empty()) throw invalid_argument("write_image: empty image for " + path.string());
  check_image_name(path);
  write_atomically(path, [&](const std::filesystem::path& temporary) {
    bool written = false;
    try {
      written = cv::imwrite(temporary.string(), image, params);
    } catch (const cv::Exception& e) {
      throw io_error("cannot write " + path.string() + ": " + e.msg);
    }
    if (!written) throw io_error("cannot write " + path.string() + " (unwritable folder?)");
  });
}

}  // namespace tarmac::image
