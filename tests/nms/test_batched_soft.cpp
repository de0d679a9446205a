#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include <tarmac/nms.hpp>
#include <tarmac/nms/datasets.hpp>

namespace nms = tarmac::nms;
using nms::box;
using index_list = std::vector<std::size_t>;

TEST_CASE_TEMPLATE("batched_nms never suppresses across classes", Policy, nms::naive, nms::suppressed_flag, nms::simd) {
  const std::vector<box<float>> b = {{0, 0, 10, 10}, {0, 0, 10, 10}, {1, 1, 11, 11}, {0, 0, 10, 10}};
  const std::vector<float> s = {0.9f, 0.8f, 0.7f, 0.6f};
  const std::vector<int> cls = {0, 1, 0, 1};
  CHECK(nms::batched_nms<Policy>(b, s, cls) == index_list{0, 1});
  const std::vector<std::int64_t> other = {3, 1, 2, 1};
  CHECK(nms::batched_nms<Policy>(b, s, other) == index_list{0, 1, 2});
  nms::params p;
  p.max_keep = 2;
  CHECK(nms::batched_nms(b, s, other, p, Policy{}) == index_list{0, 1});
  CHECK_THROWS_AS(nms::batched_nms<Policy>(b, s, std::vector<int>{0, 1}), tarmac::invalid_argument);
}

TEST_CASE_TEMPLATE("batched_nms equals per-class nms merged by score", Policy, nms::naive, nms::suppressed_flag, nms::simd) {
  const auto set = nms::scene_boxes(1500, 5, 400, 300, 10, 120);
  std::mt19937 rng(9);
  std::vector<int> cls(set.boxes.size());
  for (int& c : cls) c = int(rng() % 4);
  nms::params p;
  p.iou_threshold = 0.4f;
  const auto got = nms::batched_nms<Policy>(set.boxes, set.scores, cls, p);
  std::vector<char> expected_kept(set.boxes.size(), 0);
  for (int c = 0; c < 4; ++c) {
    std::vector<box<float>> sub;
    std::vector<float> sub_scores;
    std::vector<std::size_t> back;
    for (std::size_t i = 0; i < cls.size(); ++i)
      if (cls[i] == c) sub.push_back(set.boxes[i]), sub_scores.push_back(set.scores[i]), back.push_back(i);
    for (std::size_t k : nms::nms<nms::naive>(sub, sub_scores, p)) expected_kept[back[k]] = 1;
  }
  std::size_t expected_count = 0;
  for (char k : expected_kept) expected_count += k;
  REQUIRE(got.size() == expected_count);
  for (std::size_t a = 0; a < got.size(); ++a) {
    CHECK(expected_kept[got[a]]);
    if (a > 0) CHECK(set.scores[got[a - 1]] >= set.scores[got[a]]);
  }
}

TEST_CASE("soft_nms decays overlapping scores as Bodla et al. define") {
  const std::vector<box<float>> b = {{0, 0, 10, 10}, {1, 1, 11, 11}, {20, 20, 30, 30}};
  const std::vector<float> s = {0.9f, 0.8f, 0.7f};
  const double overlap = 81.0 / 119;  // IoU of boxes 0 and 1
  nms::soft_params p;

  SUBCASE("linear: score *= 1 - IoU above the threshold") {
    p.method = nms::decay::linear;
    const auto r = nms::soft_nms(b, s, p);
    REQUIRE(r.indices == index_list{0, 2, 1});
    CHECK(r.scores[0] == doctest::Approx(0.9));
    CHECK(r.scores[1] == doctest::Approx(0.7));
    CHECK(r.scores[2] == doctest::Approx(0.8 * (1 - overlap)));
    p.iou_threshold = 0.7f;  // 0.68 is under it: no decay
    CHECK(nms::soft_nms(b, s, p).indices == index_list{0, 1, 2});
  }
  SUBCASE("gaussian: score *= exp(-IoU^2 / sigma)") {
    p.sigma = 0.5f;
    const auto r = nms::soft_nms(b, s, p);
    REQUIRE(r.indices == index_list{0, 2, 1});
    CHECK(r.scores[2] == doctest::Approx(0.8 * std::exp(-overlap * overlap / 0.5)));
  }
  SUBCASE("boxes decayed below the floor are dropped; max_keep caps the output") {
    p.method = nms::decay::linear;
    p.score_threshold = 0.3f;  // 0.8 * 0.32 = 0.26 falls below
    CHECK(nms::soft_nms(b, s, p).indices == index_list{0, 2});
    p.score_threshold = 0.001f;
    p.max_keep = 1;
    CHECK(nms::soft_nms(b, s, p).indices == index_list{0});
  }
  SUBCASE("ties pick the lower index; empty input gives an empty result") {
    const auto r = nms::soft_nms(b, std::vector<float>{0.5f, 0.5f, 0.5f}, p);
    CHECK(r.indices.front() == 0);
    CHECK(nms::soft_nms(std::vector<box<float>>{}, std::vector<float>{}, p).indices.empty());
  }
  SUBCASE("bad parameters") {
    p.sigma = 0;
    CHECK_THROWS_AS(nms::soft_nms(b, s, p), tarmac::invalid_argument);
    p.sigma = 0.5f;
    p.iou_threshold = 2;
    CHECK_THROWS_AS(nms::soft_nms(b, s, p), tarmac::invalid_argument);
    p.iou_threshold = 0.3f;
    CHECK_THROWS_AS(nms::soft_nms(b, std::vector<float>{0.1f, NAN, 0.2f}, p), tarmac::invalid_argument);
  }
}
