#pragma once
// Grouped bar charts on a log scale, drawn with OpenCV: values that span decades (timings of
// slow and fast implementations) stay readable side by side. The layout is a value of its own,
// so callers and tests know where each bar is drawn.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "tarmac/core/error.hpp"

namespace tarmac::image {

struct bar_series {
  std::string name;            // in the legend
  std::vector<double> values;  // one per group, each > 0
  cv::Scalar colour;           // BGR
};

struct bar_chart {
  std::string title;
  std::vector<std::string> groups;  // labels under the groups of bars
  std::vector<bar_series> series;   // a bar in every group, in this order
  std::vector<std::string> notes;   // grey lines at the bottom right, under the legend
  cv::Size size{1100, 560};
};

struct bar_chart_layout {
  cv::Rect plot;                       // the bars' area; its bottom is the bars' base
  int decade_lo = 0, decade_hi = 0;    // powers of ten at the plot's bottom and top
  std::vector<std::vector<cv::Rect>> bars;  // [group][series]
};

// Where bar_chart_image draws: margins for the axis labels (left), the legend (right), the
// title (top) and the group labels (bottom); the vertical axis spans whole decades.
inline bar_chart_layout lay_out(const bar_chart& c) {
  const int left = 90, right = 300, top = 60, bottom = 60;
  if (c.size.width < left + right + 100 || c.size.height < top + bottom + 100)
    throw invalid_argument("bar chart: " + std::to_string(c.size.width) + "x" + std::to_string(c.size.height) +
                           " is too small (at least 490x220)");
  if (c.groups.empty() || c.series.empty()) throw invalid_argument("bar chart '" + c.title + "': no groups or no series");
  double lo = HUGE_VAL, hi = 0;
  for (const bar_series& s : c.series) {
    if (s.values.size() != c.groups.size())
      throw invalid_argument("bar chart: series '" + s.name + "' has " + std::to_string(s.values.size()) + " values for " +
                             std::to_string(c.groups.size()) + " groups");
    for (double v : s.values) {
      if (!(v > 0) || !std::isfinite(v))
        throw invalid_argument("bar chart: series '" + s.name + "' has " + std::to_string(v) + ", not a positive number (log scale)");
      lo = std::min(lo, v), hi = std::max(hi, v);
    }
  }
  bar_chart_layout out;
  out.plot = cv::Rect(left, top, c.size.width - left - right, c.size.height - top - bottom);
  out.decade_lo = int(std::floor(std::log10(lo)));
  out.decade_hi = int(std::ceil(std::log10(hi)));
  const int decades = std::max(1, out.decade_hi - out.decade_lo), base = out.plot.y + out.plot.height;
  const int group_w = out.plot.width / int(c.groups.size()), bar_w = std::max(4, (group_w - 30) / int(c.series.size()));
  for (std::size_t g = 0; g < c.groups.size(); ++g) {
    out.bars.emplace_back();
    for (std::size_t s = 0; s < c.series.size(); ++s) {
      const int x = left + int(g) * group_w + 15 + int(s) * bar_w;
      const int y = top + int(out.plot.height * (out.decade_hi - std::log10(c.series[s].values[g])) / decades);
      out.bars.back().emplace_back(x, y, bar_w - 1, base - y + 1);  // 1 px apart
    }
  }
  return out;
}

// The chart on white: a gridline and label (1e-3, ...) per decade, the bars, each group's label
// centred under its bars, and on the right a legend (a swatch and name per series) and the notes.
inline cv::Mat bar_chart_image(const bar_chart& c) {
  const bar_chart_layout l = lay_out(c);
  cv::Mat img(c.size, CV_8UC3, cv::Scalar(255, 255, 255));
  const auto font = cv::FONT_HERSHEY_SIMPLEX;
  const int legend_x = l.plot.x + l.plot.width + 20;
  cv::putText(img, c.title, {l.plot.x, 35}, font, 0.75, {0, 0, 0}, 2, cv::LINE_AA);
  for (int d = l.decade_lo; d <= l.decade_hi; ++d) {
    const int y = l.plot.y + l.plot.height * (l.decade_hi - d) / std::max(1, l.decade_hi - l.decade_lo);
    cv::line(img, {l.plot.x, y}, {l.plot.x + l.plot.width, y}, {220, 220, 220}, 1);
    cv::putText(img, "1e" + std::to_string(d), {15, y + 5}, font, 0.5, {60, 60, 60}, 1, cv::LINE_AA);
  }
  for (std::size_t g = 0; g < l.bars.size(); ++g) {
    for (std::size_t s = 0; s < l.bars[g].size(); ++s) cv::rectangle(img, l.bars[g][s], c.series[s].colour, cv::FILLED);
    int baseline = 0;
    const int label_w = cv::getTextSize(c.groups[g], font, 0.6, 1, &baseline).width;
    const int centre = (l.bars[g].front().x + l.bars[g].back().br().x) / 2;
    cv::putText(img, c.groups[g], {centre - label_w / 2, l.plot.y + l.plot.height + 30}, font, 0.6, {0, 0, 0}, 1, cv::LINE_AA);
  }
  for (std::size_t s = 0; s < c.series.size(); ++s) {
    const int y = l.plot.y + 10 + int(s) * 28;
    cv::rectangle(img, {legend_x, y}, {legend_x + 18, y + 18}, c.series[s].colour, cv::FILLED);
    cv::putText(img, c.series[s].name, {legend_x + 26, y + 15}, font, 0.5, {0, 0, 0}, 1, cv::LINE_AA);
  }
  for (std::size_t i = 0; i < c.notes.size(); ++i)  // the last line 26 px above the bottom
    cv::putText(img, c.notes[i], {legend_x, c.size.height - 26 - 22 * int(c.notes.size() - 1 - i)}, font, 0.45,
                {90, 90, 90}, 1, cv::LINE_AA);
  return img;
}

}  // namespace tarmac::image
