#pragma once
// Image files: written under a temporary name and renamed, like every tarmac output.
#include <filesystem>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "tarmac/core/error.hpp"
#include "tarmac/core/files.hpp"

namespace tarmac::image {

// The format follows the extension (.png, .jpg, ...); params as for cv::imwrite.
inline void write_image(const std::filesystem::path& path, const cv::Mat& image, const std::vector<int>& params = {}) {
  if (image.empty()) throw invalid_argument("write_image: empty image for " + path.string());
  write_atomically(path, [&](const std::filesystem::path& temporary) {
    if (!cv::imwrite(temporary.string(), image, params))
      throw io_error("cannot write " + path.string() + " (unsupported extension or unwritable folder)");
  });
}

}  // namespace tarmac::image
