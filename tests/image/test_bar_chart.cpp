#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include <tarmac/image/bar_chart.hpp>

namespace img = tarmac::image;

namespace {

// Two groups, three series spanning 1e-3 .. 1e0: three decades.
img::bar_chart timings() {
  img::bar_chart c;
  c.title = "seconds per call";
  c.groups = {"t=0.7", "t=0.9"};
  c.series = {{"slow", {0.5, 0.1}, {0, 0, 200}}, {"fast", {0.005, 0.001}, {200, 0, 0}}, {"mid", {0.05, 0.01}, {0, 160, 0}}};
  c.notes = {"a note"};
  return c;
}

cv::Scalar pixel(const cv::Mat& m, cv::Point p) {
  const auto v = m.at<cv::Vec3b>(p);
  return {double(v[0]), double(v[1]), double(v[2])};
}

}  // namespace

TEST_CASE("a log bar chart's layout: whole decades, bars on a common base, one decade per plot_h / decades") {
  const img::bar_chart c = timings();
  const img::bar_chart_layout l = img::lay_out(c);
  CHECK(l.plot == cv::Rect(90, 60, 1100 - 390, 560 - 120));
  CHECK(l.decade_lo == -3);
  CHECK(l.decade_hi == 0);
  REQUIRE(l.bars.size() == 2);
  REQUIRE(l.bars[0].size() == 3);
  const int base = l.plot.y + l.plot.height, decade = l.plot.height / 3;
  for (const auto& group : l.bars)
    for (const cv::Rect& bar : group) CHECK(bar.y + bar.height == base + 1);
  // 0.1 is a decade below 1e0, 0.001 at the bottom decade: bar tops by the log of the value.
  CHECK(l.bars[1][0].y == l.plot.y + decade);
  CHECK(l.bars[1][1].y == base);
  CHECK(l.bars[0][2].y == l.plot.y + int(l.plot.height * (0 - std::log10(0.05)) / 3));
  // Side by side within a group, 1 px apart; the second group in the plot's right half.
  CHECK(l.bars[0][1].x == l.bars[0][0].x + l.bars[0][0].width + 1);
  CHECK(l.bars[0][0].x == l.plot.x + 15);
  CHECK(l.bars[1][0].x == l.plot.x + l.plot.width / 2 + 15);
  CHECK(l.bars[1][2].br().x <= l.plot.br().x);
}

TEST_CASE("bar_chart_image: the asked size, bars in their series' colours where the layout puts them") {
  img::bar_chart c = timings();
  const cv::Mat image = img::bar_chart_image(c);
  CHECK(image.size() == cv::Size(1100, 560));
  CHECK(image.type() == CV_8UC3);
  const img::bar_chart_layout l = img::lay_out(c);
  for (std::size_t g = 0; g < l.bars.size(); ++g)
    for (std::size_t s = 0; s < c.series.size(); ++s) {
      const cv::Rect bar = l.bars[g][s];
      INFO("group " << g << ", series " << s);
      CHECK(pixel(image, {bar.x + bar.width / 2, bar.y + bar.height / 2}) == c.series[s].colour);
      CHECK(pixel(image, {bar.x, bar.y + bar.height - 1}) == c.series[s].colour);
      CHECK(pixel(image, {bar.x + bar.width / 2, bar.y - 2}) != c.series[s].colour);  // nothing above its top
    }
  // The gap between two bars and the plot's top right corner stay white.
  CHECK(pixel(image, {l.bars[0][1].x - 1, l.plot.y + l.plot.height - 1}) == cv::Scalar(255, 255, 255));
  CHECK(pixel(image, {l.plot.br().x - 5, l.plot.y + 20}) == cv::Scalar(255, 255, 255));
  // The legend's swatches, in the right margin.
  for (std::size_t s = 0; s < c.series.size(); ++s)
    CHECK(pixel(image, {l.plot.br().x + 29, l.plot.y + 19 + 28 * int(s)}) == c.series[s].colour);

  c.size = {700, 400};
  CHECK(img::bar_chart_image(c).size() == cv::Size(700, 400));
}

TEST_CASE("bar charts refuse what a log scale cannot show and charts with nothing in them") {
  img::bar_chart c = timings();
  c.series[1].values[0] = 0;
  CHECK_THROWS_WITH_AS(img::lay_out(c), doctest::Contains("'fast'"), tarmac::invalid_argument);
  c.series[1].values[0] = NAN;
  CHECK_THROWS_AS(img::bar_chart_image(c), tarmac::invalid_argument);
  c = timings();
  c.series[2].values.pop_back();
  CHECK_THROWS_WITH_AS(img::lay_out(c), doctest::Contains("'mid' has 1 values for 2 groups"), tarmac::invalid_argument);
  c = timings();
  c.series.clear();
  CHECK_THROWS_AS(img::lay_out(c), tarmac::invalid_argument);
  c = timings();
  c.size = {300, 200};
  CHECK_THROWS_AS(img::lay_out(c), tarmac::invalid_argument);
}
