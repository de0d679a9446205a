#pragma once
// The annotation RTK drew on each frame: a white panel top-left with "Class: <type> <p>" and
// "Quality: <quality> <p>", labels in the taxonomy's colours. Panel, font and line thickness
// scale with the frame height, so one rule reads well on RTK (288 rows), KITTI (375) and
// CaRINA (960) frames alike (RTK kept a copy of its script per data set).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "tarmac/core/error.hpp"
#include "tarmac/image/roi.hpp"
#include "tarmac/surface/cascade.hpp"
#include "tarmac/surface/taxonomy.hpp"

namespace tarmac::surface {

struct overlay_options {
  bool show_roi = false;  // outline the region the models see
  image::roi_rule roi{};
};

inline void draw_overlay(cv::Mat& frame, const cascade_result& r, const overlay_options& options = {}) {
  if (frame.empty() || frame.type() != CV_8UC3) throw invalid_argument("draw_overlay: needs a non-empty 8-bit BGR frame");
  const double scale = std::max(0.35, frame.rows / 288.0 * 0.55);
  const int thickness = std::max(1, int(std::lround(scale * 2))), font = cv::FONT_HERSHEY_SIMPLEX;
  if (options.show_roi) cv::rectangle(frame, options.roi.rect(frame.size()), {0, 255, 255}, thickness);

  auto probability = [](float p) {
    char text[16];
    std::snprintf(text, sizeof text, " %.2f", p);
    return std::string(text);
  };
  struct piece {
    std::string text;
    cv::Scalar colour;
  };
  const cv::Scalar black(0, 0, 0), grey = unknown_colour;
  std::vector<std::vector<piece>> lines(2);
  lines[0] = {{"Class: ", black}, {r.type_class.label, type_colour(r.type_class)}, {probability(r.type_probability), black}};
  lines[1] = {{"Quality: ", black}, {"n/a", grey}};
  if (r.quality)
    lines[1] = {{"Quality: ", black}, {quality_label(r.quality_class), quality_colour(r.quality_class)},
                {probability(r.quality_probability), black}};

  int baseline = 0;
  const cv::Size line_size = cv::getTextSize("Quality: regular 0.00", font, scale, thickness, &baseline);
  const int pad = std::max(3, line_size.height / 2), step = line_size.height + baseline + pad;
  int width = 0;
  for (const auto& line : lines) {
    int w = 0;
    for (const auto& p : line) w += cv::getTextSize(p.text, font, scale, thickness, &baseline).width;
    width = std::max(width, w);
  }
  const cv::Rect panel(0, 0, std::min(frame.cols, width + 2 * pad), std::min(frame.rows, pad + step * int(lines.size())));
  cv::rectangle(frame, panel, {255, 255, 255}, cv::FILLED);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    int x = pad;
    const int y = pad + line_size.height + step * int(i);
    for (const auto& p : lines[i]) {
      cv::putText(frame, p.text, {x, y}, font, scale, p.colour, thickness, cv::LINE_AA);
      x += cv::getTextSize(p.text, font, scale, thickness, &baseline).width;
    }
  }
}

}  // namespace tarmac::surface
