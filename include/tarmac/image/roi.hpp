#pragma once
// The region of interest: the part of a frame the models see. The RTK rule fits RTK's camera
// mount: the lower half of the frame without its bottom rows (the top half is sky and scenery,
// the bottom rows may show the car's hood). Other mounts and crops of the surface need others:
// the whole frame, or fractions of its height and width.
#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>

#include <opencv2/core.hpp>

#include "tarmac/core/error.hpp"

namespace tarmac::image {

// Keeps rows [round(h * top_fraction) + top_offset, round(h * bottom_fraction) - bottom_margin)
// and columns [round(w * left_fraction), round(w * right_fraction)). round() is Python's (half
// to even), as in the RTK scripts: h = 377 starts at 188 - 5. The defaults are the RTK rule.
struct roi_rule {
  double top_fraction = 0.5;
  int top_offset = -5;
  int bottom_margin = 50;
  double bottom_fraction = 1, left_fraction = 0, right_fraction = 1;

  static roi_rule rtk() { return {}; }
  static roi_rule full() { return {0, 0, 0, 1, 0, 1}; }

  // "rtk", "full", or fractions "TOP:BOTTOM" of the height, optionally ",LEFT:RIGHT" of the width
  // ("0.55:1" or "0.5:0.95,0.1:0.9"). invalid_argument for anything else, and for a rule that
  // selects nothing or reaches outside the frame.
  static roi_rule parse(std::string_view text) {
    if (text == "rtk") return rtk();
    if (text == "full") return full();
    const std::string where = "ROI '" + std::string(text) + "': ";
    const std::string usage = " (give rtk, full, TOP:BOTTOM or TOP:BOTTOM,LEFT:RIGHT as fractions, e.g. 0.5:1,0.1:0.9)";
    auto span = [&](std::string_view part, double& lo, double& hi, const char* axis) {
      const std::size_t colon = part.find(':');
      if (colon == std::string_view::npos) throw invalid_argument(where + "no ':' in the " + axis + " range" + usage);
      lo = number(part.substr(0, colon), where, usage);
      hi = number(part.substr(colon + 1), where, usage);
      if (!(lo >= 0 && hi <= 1 && lo < hi))
        throw invalid_argument(where + "the " + axis + " range must satisfy 0 <= start < end <= 1" + usage);
    };
    roi_rule r = full();
    const std::size_t comma = text.find(',');
    span(text.substr(0, comma), r.top_fraction, r.bottom_fraction, "row");
    if (comma != std::string_view::npos) span(text.substr(comma + 1), r.left_fraction, r.right_fraction, "column");
    return r;
  }

  cv::Rect rect(cv::Size frame) const {
    if (!valid())
      throw invalid_argument("roi_rule: fractions must lie in [0, 1] in order and bottom_margin must be >= 0, got " + to_string());
    const int top = static_cast<int>(std::nearbyint(frame.height * top_fraction)) + top_offset;
    const int bottom = static_cast<int>(std::nearbyint(frame.height * bottom_fraction)) - bottom_margin;
    const int left = static_cast<int>(std::nearbyint(frame.width * left_fraction));
    const int right = static_cast<int>(std::nearbyint(frame.width * right_fraction));
    if (top < 0 || bottom <= top || right <= left)
      throw invalid_argument("a " + std::to_string(frame.width) + "x" + std::to_string(frame.height) +
                             " frame is too small for the ROI " + to_string());
    return {left, top, right - left, bottom - top};
  }

  // Whether some frame size gives a non-empty ROI: false for rules such as "from the bottom row
  // down", which only a damaged or hand-edited model file holds.
  bool fits_some_frame() const {
    if (!valid() || !(right_fraction > left_fraction)) return false;
    // rows: h * (bottom - top fraction) > bottom_margin + top_offset for large h, and top >= 0
    const bool rows = bottom_fraction > top_fraction || top_offset < -bottom_margin;
    return rows && (top_fraction > 0 || top_offset >= 0);
  }

  // The rule as --roi takes it where it can ("rtk (rows [round(h*0.5)-5, h-50))", "full",
  // "0.5:1,0.1:0.9"), else spelled out.
  std::string to_string() const {
    if (*this == rtk()) return "rtk (rows [round(h*0.5)-5, h-50))";
    if (*this == full()) return "full";
    char text[200];
    if (top_offset == 0 && bottom_margin == 0)
      std::snprintf(text, sizeof text, "%g:%g,%g:%g", top_fraction, bottom_fraction, left_fraction, right_fraction);
    else
      std::snprintf(text, sizeof text, "rows [round(h*%g)%+d, round(h*%g)-%d), columns [round(w*%g), round(w*%g))",
                    top_fraction, top_offset, bottom_fraction, bottom_margin, left_fraction, right_fraction);
    return text;
  }

  friend bool operator==(const roi_rule&, const roi_rule&) = default;

 private:
  bool valid() const {
    return top_fraction >= 0 && top_fraction <= bottom_fraction && bottom_fraction <= 1 && left_fraction >= 0 &&
           left_fraction <= right_fraction && right_fraction <= 1 && bottom_margin >= 0;
  }

  static double number(std::string_view text, const std::string& where, const std::string& usage) {
    const std::string s(text);
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (s.empty() || *end != '\0' || !std::isfinite(v)) throw invalid_argument(where + "'" + s + "' is not a number" + usage);
    return v;
  }
};

// The ROI of a frame, as a view into it (no copy).
inline cv::Mat crop_roi(const cv::Mat& frame, const roi_rule& rule = {}) {
  if (frame.empty()) throw invalid_argument("crop_roi: empty image");
  return frame(rule.rect(frame.size()));
}

}  // namespace tarmac::image
