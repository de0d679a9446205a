#pragma once
// Image files. Reading refuses what OpenCV would half-decode without a word (a JPEG cut short is
// decoded with its missing rows grey, and only libjpeg's warning on stderr says so); writing
// encodes in memory and goes through the checked atomic writer, like every tarmac output.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "tarmac/core/error.hpp"
#include "tarmac/core/files.hpp"

namespace tarmac::image {

inline constexpr std::size_t max_image_file = std::size_t{1} << 30;

namespace detail {

// Walks a JPEG's segments and entropy-coded scans to its end-of-image marker. False when the
// data ends first: the file was cut short (data after the marker, as some cameras append, is
// fine).
inline bool jpeg_reaches_end(std::span<const unsigned char> b) {
  const std::size_t n = b.size();
  std::size_t i = 2;  // after the start-of-image marker
  while (i + 1 < n) {
    if (b[i] != 0xFF) {  // stray bytes between segments: decoders skip them, so do we
      ++i;
      continue;
    }
    const unsigned char marker = b[i + 1];
    if (marker == 0xFF) {  // fill byte
      ++i;
      continue;
    }
    if (marker == 0xD9) return true;
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {  // markers without a length
      i += 2;
      continue;
    }
    if (i + 3 >= n) return false;
    i += 2 + (std::size_t(b[i + 2]) << 8 | b[i + 3]);
    if (marker != 0xDA) continue;
    // Start of scan: entropy-coded data up to the next marker that is neither a stuffed 0xFF
    // (FF 00) nor a restart marker (FF D0-D7).
    while (i + 1 < n && !(b[i] == 0xFF && b[i + 1] != 0x00 && !(b[i + 1] >= 0xD0 && b[i + 1] <= 0xD7))) ++i;
  }
  return false;
}

}  // namespace detail

// Decodes an encoded image to 8-bit BGR. An empty Mat means it could not be; `reason` then says
// why (an unknown or damaged format, or a JPEG cut short).
inline cv::Mat decode_image(std::span<const unsigned char> bytes, std::string& reason) {
  if (bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF && !detail::jpeg_reaches_end(bytes)) {
    reason = "truncated JPEG (the data ends before its end-of-image marker)";
    return {};
  }
  cv::Mat image;
  try {
    image = cv::imdecode(cv::Mat(1, int(bytes.size()), CV_8U, const_cast<unsigned char*>(bytes.data())), cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    reason = "cannot be decoded (" + e.msg + ")";
    return {};
  }
  if (image.empty()) reason = "cannot be decoded (damaged, or not an image format OpenCV reads)";
  return image;
}

// Reads and decodes an image file; an empty Mat and `reason` when it cannot.
inline cv::Mat read_image(const std::filesystem::path& path, std::string& reason) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    reason = "cannot be read (" + ec.message() + ")";
    return {};
  }
  if (size == 0 || size > max_image_file) {
    reason = size == 0 ? "empty file" : "larger than 1 GiB";
    return {};
  }
  std::ifstream in(path, std::ios::binary);
  std::vector<unsigned char> bytes(size);
  if (!in.read(reinterpret_cast<char*>(bytes.data()), std::streamsize(size))) {
    reason = "cannot be read";
    return {};
  }
  return decode_image(bytes, reason);
}

// Reads and decodes an image file to 8-bit BGR; format_error naming the file when it cannot.
inline cv::Mat read_image(const std::filesystem::path& path) {
  std::string reason;
  cv::Mat image = read_image(path, reason);
  if (image.empty()) throw format_error("image " + path.string() + ": " + reason);
  return image;
}

// Throws invalid_argument unless OpenCV has a writer for the name's extension: tools check
// their image outputs with it before any work.
inline void check_image_name(const std::filesystem::path& path) {
  if (!cv::haveImageWriter(path.string()))
    throw invalid_argument("cannot write an image to " + path.string() + ": give a name ending in .png, .jpg, ...");
}

// The image encoded as the name's extension says (.png, .jpg, ...); params as for cv::imwrite.
inline std::vector<unsigned char> encode_image(const std::filesystem::path& path, const cv::Mat& image,
                                               const std::vector<int>& params = {}) {
  if (image.empty()) throw invalid_argument("write_image: empty image for " + path.string());
  check_image_name(path);
  std::vector<unsigned char> encoded;
  try {
    if (!cv::imencode(path.extension().string(), image, encoded, params))
      throw io_error("cannot write " + path.string() + ": OpenCV cannot encode the image");
  } catch (const cv::Exception& e) {
    throw io_error("cannot write " + path.string() + ": " + e.msg);
  }
  return encoded;
}

inline void write_image(const std::filesystem::path& path, const cv::Mat& image, const std::vector<int>& params = {}) {
  const std::vector<unsigned char> encoded = encode_image(path, image, params);
  write_atomically(path, [&](output_file& file) { file.write(encoded.data(), encoded.size()); });
}

}  // namespace tarmac::image
