#pragma once
// The region of interest of the RTK method: the lower half of the frame without its bottom
// rows (the top half is sky and scenery, the bottom rows may show the car's hood).
#include <cmath>
#include <cstdio>
#include <string>

#include <opencv2/core.hpp>

#include "tarmac/core/error.hpp"

namespace tarmac::image {

// Keeps rows [round(h * top_fraction) + top_offset, h - bottom_margin) and the full width.
// round() is Python's (half to even), as in the RTK scripts: h = 377 starts at 188 - 5.
struct roi_rule {
  double top_fraction = 0.5;
  int top_offset = -5;
  int bottom_margin = 50;

  cv::Rect rect(cv::Size frame) const {
    if (!(top_fraction >= 0 && top_fraction <= 1) || bottom_margin < 0)
      throw invalid_argument("roi_rule: top_fraction must be in [0, 1] and bottom_margin >= 0, got " +
                             std::to_string(top_fraction) + " and " + std::to_string(bottom_margin));
    const int top = static_cast<int>(std::nearbyint(frame.height * top_fraction)) + top_offset;
    const int bottom = frame.height - bottom_margin;
    if (frame.width <= 0 || top < 0 || bottom <= top)
      throw invalid_argument("a " + std::to_string(frame.width) + "x" + std::to_string(frame.height) +
                             " frame is too small for the ROI " + to_string());
    return {0, top, frame.width, bottom - top};
  }

  // Whether some frame size gives a non-empty ROI: false for rules such as "from the bottom row
  // down", which only a damaged or hand-edited model file holds.
  bool fits_some_frame() const {
    return top_fraction >= 0 && top_fraction <= 1 && bottom_margin >= 0 && (top_fraction < 1 || top_offset < -bottom_margin) &&
           (top_fraction > 0 || top_offset >= 0);
  }

  // "rows [round(h*0.5)-5, h-50)"
  std::string to_string() const {
    char text[96];
    std::snprintf(text, sizeof text, "rows [round(h*%g)%+d, h-%d)", top_fraction, top_offset, bottom_margin);
    return text;
  }
};

// The ROI of a frame, as a view into it (no copy).
inline cv::Mat crop_roi(const cv::Mat& frame, const roi_rule& rule = {}) {
  if (frame.empty()) throw invalid_argument("crop_roi: empty image");
  return frame(rule.rect(frame.size()));
}

}  // namespace tarmac::image
