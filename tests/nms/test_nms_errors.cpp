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
