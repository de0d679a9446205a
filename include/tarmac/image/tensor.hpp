#pragma once
// Frames into the network's input: resize (bilinear) to the input size, scale to [0, 1] floats.
// Layout: NHWC, channels in OpenCV's BGR order (as the RTK network was trained); model files
// record it.
#include <cstddef>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>

#include "tarmac/core/error.hpp"
#include "tarmac/image/augment.hpp"

namespace tarmac::image {

struct input_size {
  int width = 128, height = 128;
};

// Writes one frame into batch(index, :, :, :). The batch is (N, height, width, 3) float32 and
// is never reallocated, so a loader can fill the same buffer batch after batch.
inline void to_tensor_into(const cv::Mat& bgr, xt::xtensor<float, 4>& batch, std::size_t index) {
  detail::require_bgr("to_tensor", bgr);
  const auto& shape = batch.shape();
  if (shape[3] != 3 || index >= shape[0] || shape[1] == 0 || shape[2] == 0)
    throw invalid_argument("to_tensor: batch of shape (" + std::to_string(shape[0]) + ", " + std::to_string(shape[1]) +
                           ", " + std::to_string(shape[2]) + ", " + std::to_string(shape[3]) +
                           ") cannot take a 3-channel image at index " + std::to_string(index));
  const int rows = static_cast<int>(shape[1]), cols = static_cast<int>(shape[2]);
  // A cv::Mat header over the batch's own memory: resize, then convert straight into place.
  cv::Mat target(rows, cols, CV_32FC3, batch.data() + index * shape[1] * shape[2] * 3);
  cv::Mat resized;
  if (bgr.rows == rows && bgr.cols == cols)
    resized = bgr;
  else
    cv::resize(bgr, resized, {cols, rows}, 0, 0, cv::INTER_LINEAR);
  resized.convertTo(target, CV_32FC3, 1.0 / 255.0);
}

// The first `count` images of a batch mirrored left-right: test-time augmentation averages a
// model's probabilities over both (road surfaces have no handedness).
inline xt::xtensor<float, 4> mirrored(const xt::xtensor<float, 4>& batch, std::size_t count) {
  const auto& s = batch.shape();
  if (count > s[0]) throw invalid_argument("mirrored: " + std::to_string(count) + " images of a batch of " + std::to_string(s[0]));
  xt::xtensor<float, 4> out = xt::empty<float>({count, s[1], s[2], s[3]});
  const std::size_t row = s[2] * s[3], c = s[3];
  for (std::size_t i = 0; i < count * s[1]; ++i)
    for (std::size_t x = 0; x < s[2]; ++x)
      std::copy_n(batch.data() + i * row + (s[2] - 1 - x) * c, c, out.data() + i * row + x * c);
  return out;
}

// One frame as a (height, width, 3) tensor.
inline xt::xtensor<float, 3> to_tensor(const cv::Mat& bgr, input_size size = {}) {
  if (size.width <= 0 || size.height <= 0)
    throw invalid_argument("to_tensor: input size must be positive, got " + std::to_string(size.width) + "x" +
                           std::to_string(size.height));
  xt::xtensor<float, 4> batch({1, std::size_t(size.height), std::size_t(size.width), 3});
  to_tensor_into(bgr, batch, 0);
  return xt::xtensor<float, 3>(xt::view(batch, 0));
}

}  // namespace tarmac::image
