#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <tarmac/nms.hpp>

namespace nms = tarmac::nms;
using nms::box;

namespace {
const float not_a_number = std::numeric_limits<float>::quiet_NaN();
const float infinity = std::numeric_limits<float>::infinity();

// Runs f, requires tarmac::invalid_argument, and checks its message names the culprit.
template <class F>
void require_invalid(F&& f, const std::string& must_mention) {
  try {
    f();
    FAIL("no exception; expected one mentioning: " << must_mention);
  } catch (const tarmac::invalid_argument& e) {
    INFO("message: " << e.what());
    CHECK(std::string(e.what()).find(must_mention) != std::string::npos);
  }
}
}  // namespace

TEST_CASE_TEMPLATE("bad input raises tarmac::invalid_argument naming index and value", Policy,
                   nms::naive, nms::suppressed_flag, nms::simd) {
  std::vector<box<float>> b = {{0, 0, 1, 1}, {0, 0, 2, 2}, {1, 1, 3, 3}, {2, 2, 4, 4}};
  std::vector<float> s = {0.1f, 0.2f, 0.3f, 0.4f};
  auto call = [&](nms::params p = {}) { return nms::nms<Policy>(b, s, p); };

  SUBCASE("sizes differ") {
    s.pop_back();
    require_invalid([&] { call(); }, "4 boxes but 3 scores");
  }
  SUBCASE("NaN coordinate") {
    b[2].y2 = not_a_number;
    require_invalid([&] { call(); }, "box 2");
  }
  SUBCASE("infinite coordinate") {
    b[1].x1 = -infinity;
    require_invalid([&] { call(); }, "box 1 has a non-finite coordinate (-inf");
  }
  SUBCASE("x2 < x1") {
    b[3] = {5, 0, 4, 1};
    require_invalid([&] { call(); }, "box 3 has x2 < x1 or y2 < y1 (5, 0, 4, 1)");
  }
  SUBCASE("y2 < y1") {
    b[0] = {0, 2, 1, 1};
    require_invalid([&] { call(); }, "box 0");
  }
  SUBCASE("NaN score") {
    s[3] = not_a_number;
    require_invalid([&] { call(); }, "score 3 is not finite (nan)");
  }
  SUBCASE("infinite score") {
    s[0] = infinity;
    require_invalid([&] { call(); }, "score 0 is not finite (inf)");
  }
  SUBCASE("threshold out of range") {
    for (float t : {-0.01f, 1.01f, not_a_number, infinity}) {
      nms::params p;
      p.iou_threshold = t;
      require_invalid([&] { call(p); }, "iou_threshold must be in [0, 1]");
    }
  }
  SUBCASE("NaN score threshold") {
    nms::params p;
    p.score_threshold = not_a_number;
    require_invalid([&] { call(p); }, "score_threshold is NaN");
  }
}

// Issue 14: boxes whose area the scalar type cannot hold. Identical boxes of area 1e40 in float
// had a NaN IoU, so no policy suppressed the copy; areas whose sum overflowed gave IoU 0; and a
// subnormal area lost so much precision that simd kept a box naive suppressed.
TEST_CASE_TEMPLATE("areas that overflow, or are too small to keep precision, raise invalid_argument", Policy,
                   nms::naive, nms::suppressed_flag, nms::simd) {
  auto call = [](auto boxes, nms::coords convention = nms::coords::continuous) {
    using T = decltype(boxes[0].x1);
    nms::params p;
    p.convention = convention;
    return nms::nms<Policy>(boxes, std::vector<T>(boxes.size(), T(0.5)), p);
  };
  using fbox = box<float>;
  using dbox = box<double>;
  SUBCASE("the area overflows") {
    require_invalid([&] { call(std::vector<fbox>{{0, 0, 1, 1}, {0, 0, 1e20f, 1e20f}, {0, 0, 1e20f, 1e20f}}); },
                    "nms: box 1 (0, 0, 1e+20, 1e+20): its area 1e+40 exceeds half the largest float");
    require_invalid([&] { call(std::vector<dbox>{{0, 0, 1e200, 1e200}, {0, 0, 1e200, 1e200}}); },
                    "nms: box 0 (0, 0, 1e+200, 1e+200): its area 1e+400 exceeds half the largest double");
    require_invalid([&] { call(std::vector<fbox>{{0, 0, 1e20f, 1e20f}}, nms::coords::pixel_inclusive); }, "overflow");
  }
  SUBCASE("the area is finite but the union of two such boxes is not") {
    require_invalid([&] { call(std::vector<fbox>{{0, 0, 2e19f, 1e19f}, {0, 0, 2e19f, 1e19f}}); },
                    "box 0 (0, 0, 2e+19, 1e+19): its area 2e+38 exceeds half the largest float (1.70141e+38)");
    require_invalid([&] { call(std::vector<dbox>{{0, 0, 3e153, 3e154}}); }, "box 0 (0, 0, 3e+153, 3e+154): its area");
  }
  SUBCASE("the area is nonzero but below the smallest normal number, or underflows to 0") {
    require_invalid([&] { call(std::vector<fbox>{{0, 0, 1, 1}, {0, 0, 1e-20f, 1e-20f}}); },
                    "box 1 (0, 0, 1e-20, 1e-20): its area 1e-40 is below the smallest normal float (1.17549e-38)");
    require_invalid([&] { call(std::vector<fbox>{{0, 0, 1e-30f, 1e-30f}}); }, "is below the smallest normal float");
    require_invalid([&] { call(std::vector<dbox>{{0, 0, 1e-160, 1e-160}}); }, "is below the smallest normal double");
    require_invalid([&] { call(std::vector<dbox>{{0, 0, 1e-200, 1e-200}}); }, "is below the smallest normal double");
  }
  SUBCASE("the convention decides: pixel_inclusive adds 1 to each extent; zero areas stay valid") {
    CHECK(call(std::vector<fbox>{{0, 0, 1e-20f, 1e-20f}, {0, 0, 1e-20f, 1e-20f}}, nms::coords::pixel_inclusive) ==
          std::vector<std::size_t>{0});
    CHECK(call(std::vector<fbox>{{0, 0, 0, 1e30f}, {5, 5, 5, 5}, {0, 0, 1e19f, 1e19f}}).size() == 3);
    CHECK(call(std::vector<dbox>{{0, 0, 1e300, 0}, {0, 0, 1e150, 1e150}}).size() == 2);
  }
}

TEST_CASE_TEMPLATE("batched_nms and soft_nms share the area check", Policy, nms::naive, nms::suppressed_flag, nms::simd) {
  const std::vector<box<float>> b = {{0, 0, 1, 1}, {0, 0, 1e20f, 1e20f}, {0, 0, 1e20f, 1e20f}};
  const std::vector<float> s = {0.9f, 0.8f, 0.7f};
  require_invalid([&] { nms::batched_nms<Policy>(b, s, std::vector<int>{0, 1, 1}); },
                  "batched_nms: box 1 (0, 0, 1e+20, 1e+20): its area 1e+40 exceeds");
  require_invalid([&] { nms::soft_nms(b, s); }, "soft_nms: box 1 (0, 0, 1e+20, 1e+20): its area 1e+40 exceeds");
  const std::vector<box<double>> d = {{0, 0, 1, 1}, {0, 0, 1e-170, 1e-170}};
  const std::vector<double> t = {0.5, 0.4};
  require_invalid([&] { nms::batched_nms<Policy>(d, t, std::vector<int>{0, 0}); }, "batched_nms: box 1 (0, 0, 1e-170");
  require_invalid([&] { nms::soft_nms(d, t); }, "soft_nms: box 1 (0, 0, 1e-170, 1e-170): its area");
}

// Issue 14: a convention that is not a coords value was taken for continuous.
TEST_CASE_TEMPLATE("a convention that is not a coords value raises invalid_argument", Policy, nms::naive,
                   nms::suppressed_flag, nms::simd) {
  const std::vector<box<float>> b = {{0, 0, 1, 1}, {0, 0, 1, 1}};
  const std::vector<float> s = {0.9f, 0.8f};
  nms::params p;
  p.convention = static_cast<nms::coords>(7);
  require_invalid([&] { nms::nms<Policy>(b, s, p); }, "nms: convention 7 is not a tarmac::nms::coords value");
  require_invalid([&] { nms::batched_nms<Policy>(b, s, std::vector<int>{0, 0}, p); }, "batched_nms: convention 7");
  nms::soft_params q;
  q.convention = static_cast<nms::coords>(-1);
  require_invalid([&] { nms::soft_nms(b, s, q); }, "soft_nms: convention -1 is not");
}
