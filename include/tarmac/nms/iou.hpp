#pragma once
// The one IoU predicate every NMS policy evaluates, scalar or SIMD, so that all policies
// make identical decisions. V is a scalar (float, double) or an xsimd batch of it.
#include <algorithm>
#include <utility>

#include "tarmac/nms/types.hpp"

namespace tarmac::nms::detail {

// Compilers may fuse a product with a following add/sub into an FMA (-ffp-contract=fast
// is GCC's default in GNU mode), which rounds differently in scalar and vector code.
// An empty asm that claims to modify the value forces the product to be rounded first.
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define TARMAC_DETAIL_FLOAT_REGISTER "+x"
#elif defined(__GNUC__) && defined(__aarch64__)
#define TARMAC_DETAIL_FLOAT_REGISTER "+w"
#endif
template <class V>
inline V rounded(V v) noexcept {
#ifdef TARMAC_DETAIL_FLOAT_REGISTER
  if constexpr (requires { v.data; }) {  // an xsimd batch: pin its register
    auto reg = v.data;
    asm("" : TARMAC_DETAIL_FLOAT_REGISTER(reg));
    return V(reg);
  } else {
    asm("" : TARMAC_DETAIL_FLOAT_REGISTER(v));
    return v;
  }
#else
  return v;  // other targets: build with -ffp-contract=off
#endif
}

// Extent of a box along one axis under a convention (the "+1" of pixel_inclusive).
template <coords C, class V>
inline V extent(V lo, V hi) noexcept {
  if constexpr (C == coords::pixel_inclusive)
    return (hi - lo) + V(1);
  else
    return hi - lo;
}

template <coords C, class T>
inline T area(const box<T>& b) noexcept {
  return rounded(extent<C>(b.x1, b.x2) * extent<C>(b.y1, b.y2));
}

// Lane-wise max and min, for scalars and xsimd batches. GCC 12's _mm512_max_ps / _mm512_min_ps
// hand _mm512_undefined_ps() to their builtin, which GCC then reports as maybe-uninitialized
// wherever they inline (GCC bug 105593): hundreds of warnings in AVX-512 builds. There a compare
// and select stands in, equal to max / min on the finite values NMS accepts.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13 && defined(__AVX512F__)
#define TARMAC_DETAIL_SELECT_MINMAX 1
#endif
template <class V>
inline V lane_max(V a, V b) noexcept {
#ifdef TARMAC_DETAIL_SELECT_MINMAX
  if constexpr (requires { a.data; }) return select(a < b, b, a);  // found by ADL in xsimd
#endif
  using std::max;
  return max(a, b);
}
template <class V>
inline V lane_min(V a, V b) noexcept {
#ifdef TARMAC_DETAIL_SELECT_MINMAX
  if constexpr (requires { a.data; }) return select(b < a, b, a);
#endif
  using std::min;
  return min(a, b);
}

// Overlap and union of box a (area aa) with box b (area ab): overlap = min(hi) - max(lo)
// [+1], clamped at 0, per axis; union = (aa + ab) - overlap.
template <coords C, class V>
inline std::pair<V, V> overlap_and_union(V ax1, V ay1, V ax2, V ay2, V aa, V bx1, V by1, V bx2, V by2,
                                         V ab) noexcept {
  const V zero(0);
  const V w = lane_max(zero, extent<C>(lane_max(ax1, bx1), lane_min(ax2, bx2)));
  const V h = lane_max(zero, extent<C>(lane_max(ay1, by1), lane_min(ay2, by2)));
  const V inter = rounded(w * h);
  return {inter, rounded(aa + ab) - inter};
}

// IoU = overlap / union; an empty union (two zero-area continuous boxes) gives 0.
template <coords C, class T>
inline T iou(const box<T>& a, T aa, const box<T>& b, T ab) noexcept {
  const auto [inter, uni] = overlap_and_union<C>(a.x1, a.y1, a.x2, a.y2, aa, b.x1, b.y1, b.x2, b.y2, ab);
  return uni > T(0) ? inter / uni : T(0);
}

// The suppression rule: strictly greater than the threshold, both in the box's scalar type.
template <coords C, class T>
inline bool suppresses(const box<T>& a, T aa, const box<T>& b, T ab, T threshold) noexcept {
  return iou<C>(a, aa, b, ab) > threshold;
}

}  // namespace tarmac::nms::detail

namespace tarmac::nms::detail {

// Runs f.template operator()<C>() with the convention as a compile-time constant, so the
// "+1" of pixel_inclusive costs nothing in inner loops.
template <class F>
decltype(auto) with_convention(coords c, F&& f) {
  if (c == coords::pixel_inclusive) return f.template operator()<coords::pixel_inclusive>();
  return f.template operator()<coords::continuous>();
}

}  // namespace tarmac::nms::detail
