// The real RTK sample (98 frames from three cameras), when it is beside the checkout: the
// loader streams it, and the generator's frames stay close to it in ROI colour statistics.
#include <doctest/doctest.h>

#include "../rtk_sample.hpp"

#include <filesystem>

#include <opencv2/imgproc.hpp>

#include <tarmac/data/dataset.hpp>
#include <tarmac/data/loader.hpp>
#include <tarmac/surface/synthetic.hpp>
#include <tarmac/image/roi.hpp>

namespace fs = std::filesystem;
namespace data = tarmac::data;
namespace surface = tarmac::surface;

namespace {
struct roi_stats {
  cv::Scalar bgr, hsv;
  double spread = 0;  // mean per-channel standard deviation inside the ROI
  int frames = 0;

  void add(const cv::Mat& frame) {
    const cv::Mat roi = tarmac::image::crop_roi(frame);
    cv::Mat hsv_roi;
    cv::cvtColor(roi, hsv_roi, cv::COLOR_BGR2HSV);
    cv::Scalar mean, sd;
    cv::meanStdDev(roi, mean, sd);
    bgr += mean;
    hsv += cv::mean(hsv_roi);
    spread += (sd[0] + sd[1] + sd[2]) / 3;
    ++frames;
  }
  cv::Scalar mean_bgr() const { return bgr / frames; }
  cv::Scalar mean_hsv() const { return hsv / frames; }
};
}  // namespace

TEST_CASE("the loader streams the real sample in three views (skipped without ../shared)") {
  const auto sample = rtk_sample();
  if (!sample) return;
  const std::filesystem::path& root = *sample;
  const data::folder_dataset set(root);
  std::vector<std::size_t> all(set.samples().size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  data::loader_options o;
  o.view_mode = data::views::rtk_three;
  data::batch_loader loader(set.samples(), all, o);
  std::vector<std::size_t> per_class(3, 0);
  while (const data::batch* b = loader.next())
    for (std::size_t r = 0; r < b->size; ++r) ++per_class[b->labels[r]];
  CHECK(per_class == std::vector<std::size_t>{150, 72, 72});
  CHECK(loader.failures().empty());
}

TEST_CASE("generated frames stay close to the real sample in ROI colour (skipped without ../shared)") {
  const auto sample = rtk_sample();
  if (!sample) return;
  const std::filesystem::path& root = *sample;
  for (surface::road_type t : surface::road_types) {
    roi_stats real, generated;
    for (const auto& entry : fs::directory_iterator(root / surface::name(t))) real.add(cv::imread(entry.path().string()));
    for (int i = 0; i < 60; ++i) {
      const auto q = t == surface::road_type::unpaved ? surface::road_qualities[1 + i % 2] : surface::road_qualities[i % 3];
      generated.add(surface::render_road_frame(t, q, 1000 + std::uint64_t(i)));
    }
    const cv::Scalar rb = real.mean_bgr(), gb = generated.mean_bgr(), rh = real.mean_hsv(), gh = generated.mean_hsv();
    MESSAGE(surface::name(t) << ": real BGR " << rb[0] << " " << rb[1] << " " << rb[2] << " S " << rh[1] << " V " << rh[2]
                          << " spread " << real.spread / real.frames << "; generated BGR " << gb[0] << " " << gb[1] << " "
                          << gb[2] << " S " << gh[1] << " V " << gh[2] << " spread " << generated.spread / generated.frames);
    for (int c = 0; c < 3; ++c) CHECK(std::abs(rb[c] - gb[c]) < 30);
    CHECK(std::abs(rh[1] - gh[1]) < 30);  // saturation
    CHECK(std::abs(rh[2] - gh[2]) < 20);  // value
    CHECK(generated.spread / generated.frames > 0.4 * real.spread / real.frames);
  }
}
