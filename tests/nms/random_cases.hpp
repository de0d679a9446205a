#pragma once
// Random NMS inputs full of duplicate boxes, tied scores, zero-area boxes and pairs exactly at the
// threshold, drawn from a seeded std::mt19937_64: the property cases of test_nms_property.cpp,
// which tests/python/nms_cases.cpp also writes out for the Python module's tests.
#include <cstddef>
#include <random>
#include <vector>

#include <tarmac/nms/types.hpp>

namespace tarmac::test {

template <class T>
struct random_case {
  std::vector<nms::box<T>> boxes;
  std::vector<T> scores;
  nms::params p;
};

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
    nms::box<T> b;
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

}  // namespace tarmac::test
