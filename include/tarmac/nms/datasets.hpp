#pragma once
// Box sets for benchmarks and tests, generated from NumPy's legacy stream so that Python
// scripts seeded the same way produce bit-identical boxes.
#include <cstdint>
#include <vector>

#include "tarmac/core/error.hpp"
#include "tarmac/core/numpy_random.hpp"
#include "tarmac/nms/types.hpp"

namespace tarmac::nms {

template <class T>
struct scored_boxes {
  std::vector<box<T>> boxes;
  std::vector<T> scores;
};

// The classic NMS timing experiment (pixel_inclusive boxes):
//   np.random.seed(seed)
//   minxy = np.random.randint(50, 145, size=(n, 2)); maxxy = np.random.randint(150, 200, size=(n, 2))
//   score = 0.8 * np.random.random_sample((n, 1)) + 0.2   # then .astype(np.float32)
inline scored_boxes<float> classic_boxes(std::size_t n = 6000, std::uint32_t seed = 1) {
  numpy_random_state rng(seed);
  std::vector<std::int64_t> lo(2 * n), hi(2 * n);
  for (auto& v : lo) v = rng.randint(50, 145);
  for (auto& v : hi) v = rng.randint(150, 200);
  scored_boxes<float> out;
  out.boxes.resize(n);
  out.scores.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    out.boxes[i] = {static_cast<float>(lo[2 * i]), static_cast<float>(lo[2 * i + 1]),
                    static_cast<float>(hi[2 * i]), static_cast<float>(hi[2 * i + 1])};
    out.scores[i] = static_cast<float>(0.8 * rng.random_sample() + 0.2);
  }
  return out;
}

// Boxes scattered over an image, as a detector's proposals are (continuous convention):
//   u = np.random.RandomState(seed).random_sample((n, 5))
//   w = min_size + (max_size - min_size) * u[:, 0]; h = likewise with u[:, 1]
//   x1 = (width - w) * u[:, 2]; y1 = (height - h) * u[:, 3]; score = u[:, 4]
//   boxes = [x1, y1, x1 + w, y1 + h] (computed in double, then float32)
inline scored_boxes<float> scene_boxes(std::size_t n, std::uint32_t seed = 1, double width = 1920,
                                       double height = 1080, double min_size = 16, double max_size = 256) {
  if (!(min_size >= 0 && max_size >= min_size && width >= max_size && height >= max_size))
    throw invalid_argument("scene_boxes: need 0 <= min_size <= max_size <= width, height");
  numpy_random_state rng(seed);
  scored_boxes<float> out;
  out.boxes.resize(n);
  out.scores.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double w = min_size + (max_size - min_size) * rng.random_sample();
    const double h = min_size + (max_size - min_size) * rng.random_sample();
    const double x1 = (width - w) * rng.random_sample();
    const double y1 = (height - h) * rng.random_sample();
    out.boxes[i] = {static_cast<float>(x1), static_cast<float>(y1), static_cast<float>(x1 + w),
                    static_cast<float>(y1 + h)};
    out.scores[i] = static_cast<float>(rng.random_sample());
  }
  return out;
}

}  // namespace tarmac::nms
