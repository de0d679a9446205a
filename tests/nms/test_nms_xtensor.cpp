#include <doctest/doctest.h>

#include <xtensor/xarray.hpp>
#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>

#include <tarmac/nms.hpp>
#include <tarmac/nms/xtensor.hpp>

namespace nms = tarmac::nms;
using index_list = std::vector<std::size_t>;

TEST_CASE("xtensor front ends: (N,4) + (N) and (N,5)") {
  const xt::xtensor<float, 2> boxes = {{0, 0, 10, 10}, {1, 1, 11, 11}, {20, 20, 30, 30}};
  const xt::xtensor<float, 1> scores = {0.9f, 0.8f, 0.7f};
  CHECK(nms::nms(boxes, scores) == index_list{0, 2});
  CHECK(nms::nms<nms::naive>(boxes, scores) == index_list{0, 2});

  const xt::xarray<double> dets = {{0, 0, 10, 10, 0.1}, {1, 1, 11, 11, 0.8}, {20, 20, 30, 30, 0.7}};
  CHECK(nms::nms(dets) == index_list{1, 2});
  nms::params p;
  p.iou_threshold = 0.7f;
  CHECK(nms::nms(dets, p, nms::suppressed_flag{}) == index_list{1, 2, 0});
  // An expression (a view) works too.
  CHECK(nms::nms(xt::view(dets, xt::range(0, 2), xt::all())) == index_list{1});
}

TEST_CASE("xtensor front ends reject wrong shapes") {
  const xt::xtensor<float, 2> four = {{0, 0, 1, 1}};
  const xt::xtensor<float, 1> one = {0.5f};
  CHECK_THROWS_WITH_AS(nms::nms(four), "nms: expected shape (N, 5), got (1, 4)", tarmac::invalid_argument);
  CHECK_THROWS_WITH_AS(nms::nms(four, four), "nms: scores must be one-dimensional, got 2 dimensions",
                       tarmac::invalid_argument);
  const xt::xarray<float> flat = {0, 0, 1, 1};
  CHECK_THROWS_WITH_AS(nms::nms(flat, one), "nms: expected shape (N, 4), got (4)", tarmac::invalid_argument);
  const xt::xtensor<float, 1> two = {0.5f, 0.4f};
  CHECK_THROWS_AS(nms::nms(four, two), tarmac::invalid_argument);
}

TEST_CASE("xtensor front ends reject a box whose area overflows (issue 14)") {
  const xt::xtensor<float, 2> boxes = {{0, 0, 1, 1}, {0, 0, 1e20f, 1e20f}};
  const xt::xtensor<float, 1> scores = {0.9f, 0.8f};
  CHECK_THROWS_WITH_AS(nms::nms(boxes, scores), doctest::Contains("nms: box 1 (0, 0, 1e+20, 1e+20): its area"),
                       tarmac::invalid_argument);
  const xt::xtensor<double, 2> dets = {{0, 0, 1e-170, 1e-170, 0.5}};
  CHECK_THROWS_WITH_AS(nms::nms(dets), doctest::Contains("nms: box 0 (0, 0, 1e-170, 1e-170): its area"),
                       tarmac::invalid_argument);
}
