// Every policy returns exactly the same indices as the naive reference, on thousands of
// random inputs full of duplicate boxes, tied scores, zero-area boxes and pairs that sit
// exactly at the threshold. This file is compiled with -ffp-contract=fast on purpose.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <tarmac/nms.hpp>
#include <tarmac/nms/datasets.hpp>

#include "random_cases.hpp"

namespace nms = tarmac::nms;
using nms::box;
using tarmac::test::make_case;
using tarmac::test::random_case;

namespace {

std::size_t case_count() {
  const char* env = std::getenv("TARMAC_PROPERTY_CASES");
  return env ? std::stoul(env) : 3000;
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

TEST_CASE("policies agree on tiny boxes whose intersections are subnormal, at tiny thresholds (issue 14)") {
  // Areas from 2^-126 (the smallest the input check takes) up, overlapping in slivers whose areas
  // are subnormal, with the threshold just under the pair's IoU; zero-area boxes scoring between
  // the pair keep the second box out of the first one's batch of lanes in simd.
  std::mt19937_64 rng(11);
  std::size_t suppressed = 0, cases = 0;
  while (cases < 2000) {
    const int e = 55 + int(rng() % 12);
    const float unit = std::ldexp(1.0f, -e), sliver = std::ldexp(1.0f, -e - 10 - int(rng() % 20));
    auto steps = [&](float step) { return float(1 + rng() % 64) * step; };
    const box<float> a{0, 0, steps(unit), steps(unit)};
    const float bx = a.x2 - steps(sliver), by = a.y2 - steps(unit);
    const box<float> b{bx, by, bx + steps(unit), by + steps(unit)};
    const float smallest = std::numeric_limits<float>::min();
    if (!((a.x2 - a.x1) * (a.y2 - a.y1) >= smallest && (b.x2 - b.x1) * (b.y2 - b.y1) >= smallest)) continue;
    if (!(nms::iou(a, b) > 0.0f)) continue;
    std::vector<box<float>> boxes = {a};
    std::vector<float> scores = {0.9f};
    for (int i = 0; i < 16; ++i) boxes.push_back({a.x2 / 2, a.y2 / 2, a.x2 / 2, a.y2 / 2}), scores.push_back(0.85f);
    boxes.push_back(b);
    scores.push_back(0.8f);
    nms::params p;
    p.iou_threshold = std::nextafter(nms::iou(a, b), 0.0f);
    const auto reference = nms::nms<nms::naive>(boxes, scores, p);
    INFO("case " << cases << ", threshold " << p.iou_threshold);
    REQUIRE(nms::nms<nms::suppressed_flag>(boxes, scores, p) == reference);
    REQUIRE(nms::nms<nms::simd>(boxes, scores, p) == reference);
    suppressed += reference.size() == 17;
    ++cases;
  }
  CHECK(suppressed == cases);
}

// Issue 14: the simd policy's grid must not degenerate when far-away or giant boxes dominate the
// extent of the boxes. These tests bound the work it reports (IoU lanes scanned, rows of cells
// looked up), not the time, and check that it still keeps what naive keeps.
namespace {

#if defined(__SANITIZE_ADDRESS__)
#define TARMAC_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TARMAC_TEST_SANITIZED 1
#endif
#endif
#ifdef TARMAC_TEST_SANITIZED
constexpr std::size_t many = 20000, some = 1000;  // sanitizers run about ten times slower
#else
constexpr std::size_t many = 100000, some = 3000;
#endif

template <class T>
nms::scored_boxes<T> scene_of(std::size_t n, std::uint32_t seed = 1, double side = 0, T dx = 0, T dy = 0) {
  const auto f = side > 0 ? nms::scene_boxes(n, seed, side, side) : nms::scene_boxes(n, seed);
  nms::scored_boxes<T> out;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& b = f.boxes[i];
    out.boxes.push_back({T(b.x1) + dx, T(b.y1) + dy, T(b.x2) + dx, T(b.y2) + dy});
    out.scores.push_back(T(f.scores[i]));
  }
  return out;
}

template <class T>
nms::scored_boxes<T> plus(nms::scored_boxes<T> set, const box<T>& extra, T score = T(0.5)) {
  set.boxes.push_back(extra);
  set.scores.push_back(score);
  return set;
}

std::string convention_name(nms::coords c) {
  return c == nms::coords::continuous ? ", continuous" : ", pixel_inclusive";
}

template <class T>
nms::detail::simd_work work_of(const nms::scored_boxes<T>& set, const nms::params& p) {
  nms::nms<nms::simd>(set.boxes, set.scores, p);
  return nms::detail::last_simd_work();
}

// Far: 1e7. Very far: 1e30 in float, 1e200 in double, where a box one step wide is huge.
template <class T>
T very_far() {
  return sizeof(T) == sizeof(float) ? T(1e30f) : T(1e200);
}
template <class T>
T giant() {
  return sizeof(T) == sizeof(float) ? T(1e7f) : T(1e150);
}

template <class T>
std::vector<std::pair<std::string, box<T>>> hostile_boxes() {
  const T x = very_far<T>(), next = std::nextafter(x, 2 * x), g = giant<T>();
  return {{"a box at 1e7", {T(1e7), T(1e7), T(1e7) + 50, T(1e7) + 50}},
          {"a box one step wide near 1e30 (1e200 in double)", {x, 500, next, 600}},
          {"a point near 1e30 (1e200 in double)", {x, x, x, x}},
          {"a giant box over everything", {0, 0, g, g}},
          {"a giant box far away", {g / 2, g / 2, g, g}}};
}

}  // namespace

TEST_CASE_TEMPLATE("one far or giant box costs simd about what the other boxes cost (issue 14)", T, float, double) {
  for (auto convention : {nms::coords::continuous, nms::coords::pixel_inclusive})
    for (const bool sparse_at_zero : {false, true}) {
      // The scene at t = 0.5, and boxes spread over 100000 x 100000 at t = 0, where most are kept
      // and a kept box must still find a giant box whose centre lies far from its own.
      nms::params p;
      p.iou_threshold = sparse_at_zero ? 0.0f : 0.5f;
      p.convention = convention;
      const auto base = scene_of<T>(many, 1, sparse_at_zero ? 1e5 : 0);
      const auto alone = work_of(base, p);
      for (const auto& hostile : hostile_boxes<T>()) {
        const std::string what =
            hostile.first + (sparse_at_zero ? ", sparse boxes at t = 0" : ", the scene at t = 0.5") + convention_name(convention);
        INFO(what);
        const auto with = work_of(plus(base, hostile.second), p);
        CHECK(with.lanes_scanned <= 2 * alone.lanes_scanned + 1000);
        CHECK(with.rows_visited <= 2 * alone.rows_visited + 1000);
      }
    }
}

TEST_CASE_TEMPLATE("far-apart clusters cost simd what they cost apart (issue 14)", T, float, double) {
  const T far = T(1e7);
  for (const bool diagonal : {false, true}) {
    nms::params p;
    nms::scored_boxes<T> all;
    std::size_t apart_lanes = 0, apart_rows = 0;
    for (std::uint32_t k = 0; k < 4; ++k) {
      const auto cluster = scene_of<T>(many / 4, k + 1, 0, T(k) * far, diagonal ? T(k) * far : T(0));
      const auto w = work_of(cluster, p);
      apart_lanes += w.lanes_scanned, apart_rows += w.rows_visited;
      all.boxes.insert(all.boxes.end(), cluster.boxes.begin(), cluster.boxes.end());
      all.scores.insert(all.scores.end(), cluster.scores.begin(), cluster.scores.end());
    }
    const std::string what = diagonal ? "clusters on a diagonal" : "clusters in a row";
    INFO(what);
    const auto together = work_of(all, p);
    CHECK(together.lanes_scanned <= 2 * apart_lanes + 1000);
    CHECK(together.rows_visited <= 2 * apart_rows + 1000);
  }
}

TEST_CASE_TEMPLATE("simd keeps what naive keeps with far and giant boxes around (issue 14)", T, float, double) {
  const T far = T(1e7);
  std::vector<std::pair<std::string, nms::scored_boxes<T>>> sets;
  const auto base = scene_of<T>(some);
  for (const auto& [what, extra] : hostile_boxes<T>()) {
    sets.emplace_back(what + " scoring high", plus(base, extra, T(0.99)));
    sets.emplace_back(what + " scoring low", plus(base, extra, T(0.01)));
  }
  auto clusters = scene_of<T>(some / 2, 2, 0, far, far);
  const auto near = scene_of<T>(some / 2, 3);
  clusters.boxes.insert(clusters.boxes.end(), near.boxes.begin(), near.boxes.end());
  clusters.scores.insert(clusters.scores.end(), near.scores.begin(), near.scores.end());
  sets.emplace_back("two far-apart clusters", clusters);
  for (const auto& named : sets)
    for (auto convention : {nms::coords::continuous, nms::coords::pixel_inclusive})
      for (float t : {0.0f, 0.3f, 0.7f, std::nextafter(1.0f, 0.0f)}) {
        const auto& set = named.second;
        nms::params p;
        p.iou_threshold = t;
        p.convention = convention;
        INFO(named.first << ", threshold " << t << convention_name(convention));
        REQUIRE(nms::nms<nms::simd>(set.boxes, set.scores, p) == nms::nms<nms::naive>(set.boxes, set.scores, p));
      }
}
