#include <doctest/doctest.h>

#include <opencv2/imgproc.hpp>

#include <tarmac/surface/synthetic.hpp>
#include <tarmac/image/roi.hpp>

namespace surface = tarmac::surface;

TEST_CASE("render_road_frame is deterministic for a seed and has the asked size") {
  for (surface::road_type t : surface::road_types)
    for (surface::road_quality q : surface::road_qualities) {
      if (!surface::has_quality(t, q)) continue;
      const cv::Mat a = surface::render_road_frame(t, q, 42), b = surface::render_road_frame(t, q, 42),
                    c = surface::render_road_frame(t, q, 43);
      INFO(surface::name(t) << " " << surface::name(q));
      CHECK(a.size() == cv::Size(352, 288));
      CHECK(a.type() == CV_8UC3);
      CHECK(cv::norm(a, b, cv::NORM_INF) == 0);
      CHECK(cv::norm(a, c, cv::NORM_L1) > 0);
    }
  surface::scene_options kitti;
  kitti.size = {1240, 375};
  CHECK(surface::render_road_frame(surface::road_type::paved, surface::road_quality::bad, 1, kitti).size() == cv::Size(1240, 375));
}

TEST_CASE("the ROI sees road, and types differ in colour as real roads do") {
  // Mean ROI colour over frames: unpaved is warmer (red over blue) than asphalt, as in the real sample.
  auto mean_roi = [](surface::road_type t, surface::road_quality q) {
    cv::Scalar sum;
    for (std::uint64_t s = 0; s < 20; ++s) sum += cv::mean(tarmac::image::crop_roi(surface::render_road_frame(t, q, s)));
    return sum / 20.0;
  };
  const cv::Scalar asphalt = mean_roi(surface::road_type::asphalt, surface::road_quality::good);
  const cv::Scalar unpaved = mean_roi(surface::road_type::unpaved, surface::road_quality::regular);
  CHECK(unpaved[2] - unpaved[0] > asphalt[2] - asphalt[0] + 10);
}

TEST_CASE("quality shows: bad roads have more dark defect pixels than good ones") {
  auto dark_fraction = [](surface::road_quality q) {
    double sum = 0;
    for (std::uint64_t s = 0; s < 20; ++s) {
      surface::detail::engine rng(s);
      const cv::Mat tex = surface::detail::road_texture(surface::road_type::asphalt, q, rng, 192, 384);
      cv::Mat grey;
      cv::cvtColor(tex, grey, cv::COLOR_BGR2GRAY);
      sum += double(cv::countNonZero(grey < cv::mean(grey)[0] * 0.6)) / double(grey.total());
    }
    return sum / 20;
  };
  CHECK(dark_fraction(surface::road_quality::bad) > 2 * dark_fraction(surface::road_quality::good));
}

TEST_CASE("quality shows at the network's input: worse roads have more dark pixels in the ROI") {
  // Pixels darker than 0.6 of the median, in the middle of the ROI resized to 128x128 (road
  // there, not verge): cracks, potholes, holes and ruts; shadows fall on every class alike.
  auto dark_fraction = [](surface::road_type t, surface::road_quality q) {
    double sum = 0;
    for (std::uint64_t s = 0; s < 30; ++s) {
      cv::Mat input, grey;
      cv::resize(tarmac::image::crop_roi(surface::render_road_frame(t, q, 100 + s)), input, {128, 128});
      cv::cvtColor(input(cv::Rect(32, 48, 64, 80)), grey, cv::COLOR_BGR2GRAY);
      std::vector<std::uint8_t> v(grey.begin<std::uint8_t>(), grey.end<std::uint8_t>());
      std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(v.size() / 2), v.end());
      sum += double(cv::countNonZero(grey < v[v.size() / 2] * 0.6)) / double(grey.total());
    }
    return sum / 30;
  };
  for (surface::road_type t : surface::road_types) {
    const auto best = surface::has_quality(t, surface::road_quality::good) ? surface::road_quality::good : surface::road_quality::regular;
    INFO(surface::name(t));
    CHECK(dark_fraction(t, surface::road_quality::bad) > 1.8 * dark_fraction(t, best));
    if (best == surface::road_quality::good)
      CHECK(dark_fraction(t, surface::road_quality::regular) > 1.1 * dark_fraction(t, surface::road_quality::good));
  }
}

TEST_CASE("drive_generator: continuous segments of one type and quality, deterministic") {
  surface::drive_generator a(5), b(5);
  std::size_t changes = 0;
  surface::drive_frame previous = a.next();
  b.next();
  for (int i = 1; i < 200; ++i) {
    const surface::drive_frame f = a.next(), g = b.next();
    CHECK(cv::norm(f.image, g.image, cv::NORM_INF) == 0);
    CHECK(surface::has_quality(f.type, f.quality));
    changes += f.type != previous.type || f.quality != previous.quality;
    previous = f;
  }
  CHECK(changes >= 2);   // segments of 20-60 frames
  CHECK(changes <= 10);
}

TEST_CASE("bad generator arguments") {
  CHECK_THROWS_AS(surface::render_road_frame(surface::road_type::unpaved, surface::road_quality::good, 1), tarmac::invalid_argument);
  surface::scene_options tiny;
  tiny.size = {32, 32};
  CHECK_THROWS_AS(surface::render_road_frame(surface::road_type::asphalt, surface::road_quality::good, 1, tiny), tarmac::invalid_argument);
}
