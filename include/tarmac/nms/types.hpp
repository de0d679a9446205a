#pragma once
// The NMS contract: box type, coordinate conventions, parameters and policy tags.
#include <cstddef>
#include <limits>
#include <vector>

namespace tarmac::nms {

// Corners; a valid box has x2 >= x1 and y2 >= y1.
template <class T>
struct box {
  T x1, y1, x2, y2;
  friend bool operator==(const box&, const box&) = default;
};

// continuous: area = (x2-x1)*(y2-y1).
// pixel_inclusive: area = (x2-x1+1)*(y2-y1+1), the Faster R-CNN / py_cpu_nms convention.
enum class coords { continuous, pixel_inclusive };

struct params {
  float iou_threshold = 0.5f;  // suppress when IoU > threshold (strictly greater)
  float score_threshold = -std::numeric_limits<float>::infinity();  // drop score < this first
  std::size_t max_keep = std::numeric_limits<std::size_t>::max();    // stop after this many kept
  coords convention = coords::continuous;
};

// Policy tags: each selects an implementation of the same greedy decisions.
struct naive {};            // keep the best, filter the rest by IoU, repeat (vectorised-NumPy style)
struct suppressed_flag {};  // sorted nested loop over a suppressed-flag array (typed-Cython style)
struct simd {};             // suppressed flags, candidate pairs pruned by a grid, IoU loop in xsimd

}  // namespace tarmac::nms
