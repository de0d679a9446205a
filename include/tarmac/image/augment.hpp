#pragma once
// Photometric and geometric augmentations. The RTK method uses two: a darker view (gamma 0.5
// through a lookup table) and a brighter one (V + 150 in HSV). The random ones help a small
// data set generalise; each draws from the generator it is given, so a seed reproduces a run.
#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "tarmac/core/error.hpp"

namespace tarmac::image {

using random_engine = std::mt19937_64;

namespace detail {
inline void require_bgr(const char* where, const cv::Mat& image) {
  if (image.empty()) throw invalid_argument(std::string(where) + ": empty image");
  if (image.type() != CV_8UC3)
    throw invalid_argument(std::string(where) + ": expected an 8-bit 3-channel BGR image, got type " +
                           cv::typeToString(image.type()));
}
}  // namespace detail

// out = 255 * (in / 255)^(1 / gamma), truncated as the RTK script's astype("uint8") does.
inline cv::Mat gamma_lut(double gamma) {
  if (!(gamma > 0) || !std::isfinite(gamma))
    throw invalid_argument("gamma_lut: gamma must be positive and finite, got " + std::to_string(gamma));
  cv::Mat lut(1, 256, CV_8U);
  for (int i = 0; i < 256; ++i)
    lut.at<std::uint8_t>(i) = static_cast<std::uint8_t>(std::min(255.0, 255.0 * std::pow(i / 255.0, 1.0 / gamma)));
  return lut;
}

// The RTK "darker" view: gamma < 1 darkens.
inline cv::Mat adjust_gamma(const cv::Mat& bgr, double gamma = 0.5) {
  detail::require_bgr("adjust_gamma", bgr);
  cv::Mat out;
  cv::LUT(bgr, gamma_lut(gamma), out);
  return out;
}

// The RTK "brighter" view: V + value in HSV, saturating at 255.
inline cv::Mat brighten_hsv(const cv::Mat& bgr, int value = 150) {
  detail::require_bgr("brighten_hsv", bgr);
  if (value < 0 || value > 255) throw invalid_argument("brighten_hsv: value must be in [0, 255], got " + std::to_string(value));
  cv::Mat hsv;
  cv::cvtColor(bgr, hsv, cv::COLOR_BGR2HSV);
  std::vector<cv::Mat> planes;
  cv::split(hsv, planes);
  planes[2] += value;  // saturate_cast: values above 255 stay 255
  cv::merge(planes, hsv);
  cv::Mat out;
  cv::cvtColor(hsv, out, cv::COLOR_HSV2BGR);
  return out;
}

// The RTK three views of a frame: the original, a brighter one and a darker one, each derived
// from the original (the RTK tutorial normalised its darker copy from the wrong image).
inline std::vector<cv::Mat> rtk_views(const cv::Mat& bgr) {
  detail::require_bgr("rtk_views", bgr);
  return {bgr.clone(), brighten_hsv(bgr), adjust_gamma(bgr)};
}

// Crops a random window covering [min_scale, 1] of each side (aspect jittered within that),
// then resizes it back to the input size.
struct random_crop_scale {
  double min_scale = 0.8;
  cv::Mat operator()(const cv::Mat& bgr, random_engine& rng) const {
    detail::require_bgr("random_crop_scale", bgr);
    if (!(min_scale > 0 && min_scale <= 1))
      throw invalid_argument("random_crop_scale: min_scale must be in (0, 1], got " + std::to_string(min_scale));
    std::uniform_real_distribution<double> scale(min_scale, 1.0), where(0.0, 1.0);
    const int w = std::max(1, int(std::lround(bgr.cols * scale(rng)))), h = std::max(1, int(std::lround(bgr.rows * scale(rng))));
    const int x = int((bgr.cols - w) * where(rng)), y = int((bgr.rows - h) * where(rng));
    cv::Mat out;
    cv::resize(bgr(cv::Rect(x, y, w, h)), out, bgr.size(), 0, 0, cv::INTER_LINEAR);
    return out;
  }
};

// Mirrors left-right with probability p (the road surface has no handedness).
struct random_flip {
  double p = 0.5;
  cv::Mat operator()(const cv::Mat& bgr, random_engine& rng) const {
    detail::require_bgr("random_flip", bgr);
    if (std::bernoulli_distribution(p)(rng)) {
      cv::Mat out;
      cv::flip(bgr, out, 1);
      return out;
    }
    return bgr.clone();
  }
};

// Shifts hue by up to +-hue (OpenCV units, 180 a turn) and scales saturation and value by
// factors in [1 - saturation, 1 + saturation] and [1 - value, 1 + value].
struct random_hsv_jitter {
  double hue = 6, saturation = 0.25, value = 0.25;
  cv::Mat operator()(const cv::Mat& bgr, random_engine& rng) const {
    detail::require_bgr("random_hsv_jitter", bgr);
    std::uniform_real_distribution<double> dh(-hue, hue), ds(1 - saturation, 1 + saturation), dv(1 - value, 1 + value);
    const double shift = dh(rng), s_gain = ds(rng), v_gain = dv(rng);
    cv::Mat hsv;
    cv::cvtColor(bgr, hsv, cv::COLOR_BGR2HSV);
    cv::Mat lut(1, 256, CV_8UC3);
    for (int i = 0; i < 256; ++i) {
      const double h = std::fmod(i + shift + 180.0, 180.0);
      lut.at<cv::Vec3b>(i) = {cv::saturate_cast<std::uint8_t>(h), cv::saturate_cast<std::uint8_t>(i * s_gain),
                              cv::saturate_cast<std::uint8_t>(i * v_gain)};
    }
    cv::LUT(hsv, lut, hsv);
    cv::Mat out;
    cv::cvtColor(hsv, out, cv::COLOR_HSV2BGR);
    return out;
  }
};

// Gaussian blur with probability p (sigma up to max_sigma), then additive Gaussian noise.
struct random_blur_noise {
  double p = 0.3, max_sigma = 1.2, noise_sigma = 4;
  cv::Mat operator()(const cv::Mat& bgr, random_engine& rng) const {
    detail::require_bgr("random_blur_noise", bgr);
    cv::Mat out = bgr.clone();
    if (std::bernoulli_distribution(p)(rng))
      cv::GaussianBlur(out, out, {0, 0}, std::uniform_real_distribution<double>(0.3, max_sigma)(rng));
    if (noise_sigma > 0) {
      cv::Mat noise(out.size(), CV_16SC3);
      cv::RNG local(rng());  // seeded from ours; OpenCV's global generator stays untouched
      local.fill(noise, cv::RNG::NORMAL, 0, noise_sigma);
      cv::Mat wide;
      out.convertTo(wide, CV_16SC3);
      wide += noise;
      wide.convertTo(out, CV_8UC3);
    }
    return out;
  }
};

// Applies augmentations in order; each step draws from the same engine.
class augmenter {
 public:
  using step = std::function<cv::Mat(const cv::Mat&, random_engine&)>;

  augmenter() = default;
  explicit augmenter(std::vector<step> steps) : steps_(std::move(steps)) {}

  cv::Mat operator()(const cv::Mat& bgr, random_engine& rng) const {
    cv::Mat out = bgr;
    for (const step& s : steps_) out = s(out, rng);
    return out;
  }
  bool empty() const { return steps_.empty(); }

  // Crop/scale jitter, flips, colour jitter, blur and noise: the "strong" recipe.
  static augmenter strong(double min_scale = 0.8) {
    return augmenter({random_crop_scale{min_scale}, random_flip{}, random_hsv_jitter{}, random_blur_noise{}});
  }

 private:
  std::vector<step> steps_;
};

}  // namespace tarmac::image
