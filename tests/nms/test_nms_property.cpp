// Every policy returns exactly the same indices as the naive reference, on thousands of
// random inputs full of duplicate boxes, tied scores, zero-area boxes and pairs that sit
// exactly at the threshold. This file is compiled with -ffp-contract=fast on purpose.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <tarmac/nms.hpp>

namespace nms = tarmac::nms;
using nms::box;

namespace {

template <class T>
struct random_case {
  std::vector<box<T>> boxes;
  std::vector<T> scores;
  nms::params p;
};

std::size_t case_count() {
  const char* env = std::getenv("TARMAC_PROPERTY_CASES");
  return env ? std::stoul(env) : 3000;
}

template <class T>
random_case<T> make_case(std::mt19937_64& rng) {
  auto uniform = [&](double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); };
  auto below = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
  random_case<T> c;
  const std::size_t size_class = below(20);
  const std::size_t n = size_class == 0 ? below(3001) : size_class < 4 ? below(501) : below(65);
  // Integer grids make duplicates and exact-threshold pairs common; a real-valued scene
  // exercises rounding; a scaled grid gives large coordinates.
  const std::size_t style = below(3);
  const double extent = style == 0 ? 1 + double(below(24)) : style == 1 ? 100.0 : 1e5;
  for (std::size_t i = 0; i < n; ++i) {
    box<T> b;
    if (i > 0 && below(5) == 0) {
      b = c.boxes[below(i)];  // duplicate
    } else if (style == 0) {
      const T x1 = T(below(std::size_t(extent))), y1 = T(below(std::size_t(extent)));
      b = {x1, y1, x1 + T(below(6)), y1 + T(below(6))};
    } else {
      const double x1 = uniform(0, extent), y1 = uniform(0, extent);
      const double w = below(10) == 0 ? 0.0 : uniform(0, extent / 4), h = below(10) == 0 ? 0.0 : uniform(0, extent / 4);
      b = {T(x1), T(y1), T(x1 + w), T(y1 + h)};
    }
    c.boxes.push_back(b);
    c.scores.push_back(below(3) == 0 ? T(below(4)) / T(4) : T(uniform(-1, 1)));
  }
  const float thresholds[] = {0.0f, 0.3f, 0.5f, 0.7f, 0.9f, 1.0f};
  c.p.iou_threshold = thresholds[below(6)];
  c.p.convention = below(2) ? nms::coords::pixel_inclusive : nms::coords::continuous;
  if (below(4) == 0) c.p.score_threshold = float(uniform(-1, 1));
  if (below(4) == 0) c.p.max_keep = below(n + 2);
  return c;
}

template <class T>
std::string describe(const random_case<T>& c, std::size_t seed) {
  return "seed " + std::to_string(seed) + ", n " + std::to_string(c.boxes.size()) + ", threshold " +
         std::to_string(c.p.iou_threshold) + ", " +
         (c.p.convention == nms::coords::pixel_inclusive ? "pixel_inclusive" : "continuous");
}

}  // namespace

TEST_CASE_TEMPLATE("every policy matches the naive reference on random inputs", T, float, double) {
  const std::size_t cases = case_count();
  std::size_t nonempty = 0, suppressed_some = 0;
  for (std::size_t seed = 0; seed < cases; ++seed) {
    std::mt19937_64 rng(seed);
    const random_case<T> c = make_case<T>(rng);
    const auto reference = nms::nms<nms::naive>(c.boxes, c.scores, c.p);
    INFO(describe(c, seed));
    REQUIRE(nms::nms<nms::suppressed_flag>(c.boxes, c.scores, c.p) == reference);
    REQUIRE(nms::nms<nms::simd>(c.boxes, c.scores, c.p) == reference);
    nonempty += !reference.empty();
    suppressed_some += reference.size() < c.boxes.size() && c.p.max_keep > c.boxes.size();
  }
  // The generator must actually produce interesting cases.
  CHECK(nonempty > cases / 2);
  CHECK(suppressed_some > cases / 4);
}

TEST_CASE("policies agree on large realistic and classic sets") {
  for (std::size_t n : {20000u}) {
    const auto set = nms::scene_boxes(n, 3);
    for (float t : {0.0f, 0.3f, 0.5f, 0.7f, 0.9f, 1.0f}) {
      nms::params p;
      p.iou_threshold = t;
      INFO("n " << n << " threshold " << t);
      CHECK(nms::nms<nms::simd>(set.boxes, set.scores, p) == nms::nms<nms::suppressed_flag>(set.boxes, set.scores, p));
    }
  }
  const auto classic = nms::classic_boxes();
  for (float t : {0.5f, 0.7f, 0.8f, 0.9f}) {
    nms::params p;
    p.iou_threshold = t;
    p.convention = nms::coords::pixel_inclusive;
    INFO("classic threshold " << t);
    CHECK(nms::nms<nms::simd>(classic.boxes, classic.scores, p) == nms::nms<nms::naive>(classic.boxes, classic.scores, p));
  }
}

TEST_CASE("the kept set is a valid greedy NMS result") {
  // Independent of any policy: no two kept boxes overlap above t, and every dropped box
  // overlaps some kept box of higher rank above t.
  const auto set = nms::scene_boxes(3000, 11);
  nms::params p;
  p.iou_threshold = 0.3f;
  const auto keep = nms::nms(set.boxes, set.scores, p);
  std::vector<char> kept(set.boxes.size(), 0);
  for (std::size_t i : keep) kept[i] = 1;
  for (std::size_t a = 0; a < keep.size(); ++a)
    for (std::size_t b = a + 1; b < keep.size(); ++b)
      REQUIRE(nms::iou(set.boxes[keep[a]], set.boxes[keep[b]]) <= 0.3f);
  for (std::size_t j = 0; j < set.boxes.size(); ++j) {
    if (kept[j]) continue;
    bool explained = false;
    for (std::size_t i : keep)
      explained = explained || (set.scores[i] >= set.scores[j] && nms::iou(set.boxes[i], set.boxes[j]) > 0.3f);
    REQUIRE(explained);
  }
}

TEST_CASE_TEMPLATE("decisions at the threshold do not depend on FMA contraction", Policy, nms::naive,
                   nms::suppressed_flag, nms::simd) {
  // Pairs whose IoU changes when union = (aa + ab) - w*h is fused into fma(-w, h, aa + ab).
  // The threshold is set to the smaller of the two values, so a policy that fused would
  // decide differently from the defined formula (every operation rounded on its own).
  // GCC 12 does not fuse here (w*h is also the numerator); iou.hpp's barrier keeps other
  // compilers from doing so, and this guard fails if one ever does.
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> coord(0, 100), size(1, 60);
  std::size_t found = 0;
  for (std::size_t attempt = 0; attempt < 2000000 && found < 40; ++attempt) {
    const float ax = coord(rng), ay = coord(rng), bx = ax + coord(rng) / 8, by = ay + coord(rng) / 8;
    const box<float> a{ax, ay, ax + size(rng), ay + size(rng)}, b{bx, by, bx + size(rng), by + size(rng)};
    // volatile: this file is compiled with -ffp-contract=fast, the reference must not fuse.
    volatile float aw = a.x2 - a.x1, ah = a.y2 - a.y1, bw = b.x2 - b.x1, bh = b.y2 - b.y1;
    volatile float aa = aw * ah, ab = bw * bh;
    volatile float w = std::max(0.0f, std::min(a.x2, b.x2) - std::max(a.x1, b.x1));
    volatile float h = std::max(0.0f, std::min(a.y2, b.y2) - std::max(a.y1, b.y1));
    volatile float inter = w * h, sum = aa + ab;
    volatile float uni = sum - inter, defined = inter / uni;
    volatile float fused_uni = std::fma(-w, h, sum), fused = inter / fused_uni;
    if (defined == fused || !(inter > 0)) continue;
    nms::params p;
    p.iou_threshold = std::min(float(defined), float(fused));
    const std::vector<std::size_t> expected =
        defined > p.iou_threshold ? std::vector<std::size_t>{0} : std::vector<std::size_t>{0, 1};
    INFO("pair " << found << ": defined IoU " << defined << ", fused " << fused);
    REQUIRE(nms::nms<Policy>(std::vector{a, b}, std::vector{0.9f, 0.8f}, p) == expected);
    ++found;
  }
  CHECK(found == 40);
}
