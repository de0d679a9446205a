// Small cases worked out by hand, for every policy.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include <xtensor/xtensor.hpp>

#include <tarmac/nms.hpp>
#include <tarmac/nms/xtensor.hpp>

namespace nms = tarmac::nms;
using nms::box;
using nms::coords;
using index_list = std::vector<std::size_t>;

template <class Policy>
index_list run(const std::vector<box<float>>& b, const std::vector<float>& s, nms::params p) {
  return nms::nms<Policy>(b, s, p);
}

TEST_CASE("iou by hand in both conventions") {
  // continuous: overlap 9x9 = 81, union 100 + 100 - 81 = 119
  CHECK(nms::iou(box<float>{0, 0, 10, 10}, box<float>{1, 1, 11, 11}) == doctest::Approx(81.0 / 119));
  // pixel_inclusive: (0..9) and (1..10) are 10 pixels wide, overlap 9 pixels
  CHECK(nms::iou(box<float>{0, 0, 9, 9}, box<float>{1, 1, 10, 10}, coords::pixel_inclusive) ==
        doctest::Approx(81.0 / 119));
  // Touching edges: no overlap when continuous, one shared pixel column when inclusive.
  CHECK(nms::iou(box<double>{0, 0, 2, 2}, box<double>{2, 0, 4, 2}) == 0.0);
  CHECK(nms::iou(box<double>{0, 0, 2, 2}, box<double>{2, 0, 4, 2}, coords::pixel_inclusive) ==
        doctest::Approx(3.0 / 15));
  // Zero-area boxes: 0 when continuous (even identical); identical pixels give 1 when inclusive.
  CHECK(nms::iou(box<float>{3, 3, 3, 3}, box<float>{3, 3, 3, 3}) == 0.0f);
  CHECK(nms::iou(box<float>{3, 3, 3, 3}, box<float>{0, 0, 9, 9}) == 0.0f);
  CHECK(nms::iou(box<float>{3, 3, 3, 3}, box<float>{3, 3, 3, 3}, coords::pixel_inclusive) == 1.0f);
}

TEST_CASE_TEMPLATE("hand-worked NMS cases", Policy, nms::naive, nms::suppressed_flag, nms::simd) {
  const std::vector<box<float>> b = {{0, 0, 10, 10}, {1, 1, 11, 11}, {20, 20, 30, 30}, {0, 0, 10, 10}};
  const std::vector<float> s = {0.9f, 0.8f, 0.7f, 0.6f};
  nms::params p;

  SUBCASE("overlap 0.68 is suppressed at 0.5 and kept at 0.7") {
    p.iou_threshold = 0.5f;
    CHECK(run<Policy>(b, s, p) == index_list{0, 2});
    p.iou_threshold = 0.7f;
    CHECK(run<Policy>(b, s, p) == index_list{0, 1, 2});  // box 3 duplicates box 0: IoU 1
  }
  SUBCASE("threshold 1 keeps everything, threshold 0 keeps only disjoint boxes") {
    p.iou_threshold = 1.0f;
    CHECK(run<Policy>(b, s, p) == index_list{0, 1, 2, 3});
    p.iou_threshold = 0.0f;
    CHECK(run<Policy>(b, s, p) == index_list{0, 2});
  }
  SUBCASE("pixel_inclusive counts the edge pixels") {
    const std::vector<box<float>> touching = {{0, 0, 2, 2}, {2, 0, 4, 2}};
    p.iou_threshold = 0.1f;
    CHECK(run<Policy>(touching, {0.9f, 0.8f}, p) == index_list{0, 1});
    p.convention = coords::pixel_inclusive;  // IoU 3/15 = 0.2
    CHECK(run<Policy>(touching, {0.9f, 0.8f}, p) == index_list{0});
  }
  SUBCASE("a pair at exactly the threshold is kept (IoU > t suppresses)") {
    // overlap 2, union 4: IoU is exactly 0.5
    const std::vector<box<float>> pair = {{0, 0, 4, 1}, {0, 0, 2, 1}};
    p.iou_threshold = 0.5f;
    CHECK(run<Policy>(pair, {0.9f, 0.8f}, p) == index_list{0, 1});
    p.iou_threshold = 0.49f;
    CHECK(run<Policy>(pair, {0.9f, 0.8f}, p) == index_list{0});
    // overlap 4, union 5: the float IoU is 0.8f, equal to the threshold 0.8f, so both are
    // kept (torchvision compares with the double 0.8 and would suppress the second).
    const std::vector<box<float>> eighty = {{0, 0, 5, 1}, {0, 0, 4, 1}};
    p.iou_threshold = 0.8f;
    CHECK(run<Policy>(eighty, {0.9f, 0.8f}, p) == index_list{0, 1});
  }
  SUBCASE("equal scores: the lower index wins and comes first") {
    const std::vector<float> tied = {0.5f, 0.5f, 0.5f, 0.5f};
    p.iou_threshold = 0.5f;
    CHECK(run<Policy>(b, tied, p) == index_list{0, 2});
    const std::vector<float> reverse_tie = {0.1f, 0.5f, 0.5f, 0.9f};
    CHECK(run<Policy>(b, reverse_tie, p) == index_list{3, 2});
  }
  SUBCASE("score_threshold drops low scores before NMS; max_keep cuts the output") {
    p.score_threshold = 0.85f;  // only box 0 passes
    CHECK(run<Policy>(b, s, p) == index_list{0});
    p.score_threshold = 0.75f;
    CHECK(run<Policy>(b, s, p) == index_list{0});
    p.score_threshold = -1.0f;
    p.max_keep = 1;
    CHECK(run<Policy>(b, s, p) == index_list{0});
    p.max_keep = 0;
    CHECK(run<Policy>(b, s, p).empty());
  }
  SUBCASE("dropping the suppressor by score_threshold keeps what it suppressed") {
    const std::vector<float> s2 = {0.2f, 0.8f, 0.7f, 0.6f};
    p.iou_threshold = 0.5f;
    p.score_threshold = 0.5f;
    CHECK(run<Policy>(b, s2, p) == index_list{1, 2});  // box 3 overlaps box 1 by 0.68
  }
  SUBCASE("zero-area boxes") {
    const std::vector<box<float>> flat = {{3, 3, 3, 3}, {3, 3, 3, 3}, {0, 0, 9, 9}};
    p.iou_threshold = 0.0f;
    CHECK(run<Policy>(flat, {0.9f, 0.8f, 0.7f}, p) == index_list{0, 1, 2});
    p.convention = coords::pixel_inclusive;  // one pixel each, identical: IoU 1; 1/100 with the big box
    CHECK(run<Policy>(flat, {0.9f, 0.8f, 0.7f}, p) == index_list{0});
    p.iou_threshold = 0.5f;
    CHECK(run<Policy>(flat, {0.9f, 0.8f, 0.7f}, p) == index_list{0, 2});
  }
  SUBCASE("no boxes") {
    CHECK(run<Policy>({}, {}, p).empty());
  }
  SUBCASE("double boxes, template and value forms, spans and vectors agree") {
    const std::vector<box<double>> bd = {{0, 0, 10, 10}, {1, 1, 11, 11}, {20, 20, 30, 30}};
    const std::vector<double> sd = {0.9, 0.8, 0.7};
    const std::span<const box<double>> bs(bd);
    const std::span<const double> ss(sd);
    CHECK(nms::nms<Policy>(bs, ss) == index_list{0, 2});
    CHECK(nms::nms(bs, ss, {}, Policy{}) == index_list{0, 2});
    CHECK(nms::nms(bd, sd, {}, Policy{}) == index_list{0, 2});
    CHECK(nms::nms<Policy>(bd, sd) == index_list{0, 2});
  }
}

// Whether call() ran the simd policy: only simd records its work in last_simd_work(), so a call
// through another policy leaves the cleared record as it was (every policy gives the same answer).
template <class Call>
bool ran_simd(Call&& call) {
  nms::detail::last_simd_work() = {};
  call();
  return nms::detail::last_simd_work().levels > 0;
}

TEST_CASE("the default policy is simd") {
  const std::vector<box<float>> b = {{0, 0, 10, 10}, {1, 1, 11, 11}};
  const std::vector<float> s = {0.1f, 0.8f};
  const std::vector<int> ids = {0, 0};
  const std::span<const box<float>> bs(b);
  const std::span<const float> ss(s);
  // The probe tells the policies apart.
  CHECK(ran_simd([&] { CHECK(nms::nms(b, s, {}, nms::simd{}) == index_list{1}); }));
  CHECK_FALSE(ran_simd([&] { CHECK(nms::nms(b, s, {}, nms::naive{}) == index_list{1}); }));
  CHECK_FALSE(ran_simd([&] { CHECK(nms::nms(b, s, {}, nms::suppressed_flag{}) == index_list{1}); }));
  // Every front end that takes no policy uses simd.
  CHECK(ran_simd([&] { CHECK(nms::nms(b, s) == index_list{1}); }));
  CHECK(ran_simd([&] { CHECK(nms::nms(bs, ss) == index_list{1}); }));
  CHECK(ran_simd([&] { CHECK(nms::batched_nms(b, s, ids) == index_list{1}); }));
  CHECK(ran_simd([&] { CHECK(nms::batched_nms(bs, ss, std::span<const int>(ids)) == index_list{1}); }));
  const xt::xtensor<float, 2> xb = {{0, 0, 10, 10}, {1, 1, 11, 11}};
  const xt::xtensor<float, 1> xs = {0.1f, 0.8f};
  const xt::xtensor<float, 2> detections = {{0, 0, 10, 10, 0.1f}, {1, 1, 11, 11, 0.8f}};
  CHECK(ran_simd([&] { CHECK(nms::nms(xb, xs) == index_list{1}); }));
  CHECK(ran_simd([&] { CHECK(nms::nms(detections) == index_list{1}); }));
}

TEST_CASE_TEMPLATE("a tiny threshold and an intersection too small for a normal float (issue 14)", Policy, nms::naive,
                   nms::suppressed_flag, nms::simd) {
  // Boxes a and b, of normal areas near 2^-120, overlap in a sliver whose area is subnormal; the
  // threshold is the float just under their IoU, so b must go. simd's old division-free prefilter
  // (inter > 0.999 t * union) rounded t * union up to inter here and skipped b's batch, which 16
  // zero-area boxes scoring between them keep apart from a's own lane.
  const box<float> a{0, 0, 0x1.4p-61f, 0x1.ep-61f}, b{0x1.3ffff4p-61f, 0x1.1p-61f, 0x1.73fffap-60f, 0x1.dp-61f};
  std::vector<box<float>> boxes = {a};
  std::vector<float> scores = {0.9f};
  for (int i = 0; i < 16; ++i) boxes.push_back({0x1.4p-62f, 0x1.ep-62f, 0x1.4p-62f, 0x1.ep-62f}), scores.push_back(0.85f);
  boxes.push_back(b);
  scores.push_back(0.8f);
  nms::params p;
  p.iou_threshold = std::nextafter(nms::iou(a, b), 0.0f);
  REQUIRE(p.iou_threshold > 0.0f);
  const index_list kept = run<Policy>(boxes, scores, p);
  CHECK(kept.size() == 17);
  CHECK(std::find(kept.begin(), kept.end(), boxes.size() - 1) == kept.end());
}

// The radix sort sorts only the bits where keys differ, in digits sized by the count: sets that
// take zero, one and several passes, for float and double keys, against a stable comparison sort.
TEST_CASE_TEMPLATE("score_order is the stable descending order whatever the key spread", T, float, double) {
  auto expected = [](const std::vector<T>& s, float threshold) {
    std::vector<std::uint32_t> order;
    for (std::uint32_t i = 0; i < s.size(); ++i)
      if (!(s[i] < static_cast<T>(threshold))) order.push_back(i);
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return s[a] > s[b]; });
    return order;
  };
  std::vector<std::uint32_t> order;
  auto check = [&](const std::vector<T>& s, float threshold) {
    nms::detail::score_order(std::span<const T>(s), threshold, order);
    CHECK(order == expected(s, threshold));
  };
  check({}, 0.0f);
  check({T(0.5)}, 0.0f);
  check({T(0.5), T(0.5), T(0.5)}, 0.0f);                    // one key: no pass, index order
  check({T(0.5), T(-0.0), T(0.0), T(0.75), T(0.5)}, -1.0f);  // -0 ties with +0
  check({T(0.5), T(0.25), T(0.75)}, 0.3f);                  // the threshold drops 0.25
  std::vector<T> many(70000);
  for (std::size_t i = 0; i < many.size(); ++i)  // ties, signs and magnitudes from 1e-30 to 1e30
    many[i] = static_cast<T>((double(i * 7919 % 1013) - 500) * std::pow(10.0, double(i % 61) - 30));
  check(many, -1e31f);
  check(many, 0.0f);
  std::vector<T> narrow(5000);  // keys that differ in a few low bits only
  for (std::size_t i = 0; i < narrow.size(); ++i) narrow[i] = T(1) + T(i % 7) * std::numeric_limits<T>::epsilon();
  check(narrow, 0.0f);
  CHECK(order.size() == narrow.size());
  CHECK(order.front() == 6);  // the largest, lowest index first
}
