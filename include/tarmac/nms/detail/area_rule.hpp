#pragma once
// Which box areas NMS accepts: one rule for the input check (prepare.hpp) and the CUDA kernels'
// check (cuda.cuh), so that the host and the device reject the same boxes.
#include <cfloat>

#ifdef __CUDACC__
#define TARMAC_NMS_HOST_DEVICE __host__ __device__
#else
#define TARMAC_NMS_HOST_DEVICE
#endif

namespace tarmac::nms::detail {

enum class area_fault { none, overflows, underflows };

// w, h and a are a box's extents and area as the policies compute them. An area must be at most
// half the largest finite T, so that a union (the sum of two areas) stays finite, and either 0
// because an extent is 0 or at least the smallest normal T, so that the IoU keeps its relative
// precision (an area that underflows to 0 from two nonzero extents counts as too small).
template <class T>
TARMAC_NMS_HOST_DEVICE constexpr area_fault area_fault_of(T w, T h, T a) {
  static_assert(sizeof(T) == sizeof(float) || sizeof(T) == sizeof(double), "boxes hold float or double");
  T largest{}, smallest_normal{};
  if constexpr (sizeof(T) == sizeof(float)) {
    largest = FLT_MAX, smallest_normal = FLT_MIN;
  } else {
    largest = DBL_MAX, smallest_normal = DBL_MIN;
  }
  if (!(a <= largest / 2)) return area_fault::overflows;  // also NaN and infinity
  if (w > 0 && h > 0 && a < smallest_normal) return area_fault::underflows;
  return area_fault::none;
}

}  // namespace tarmac::nms::detail
