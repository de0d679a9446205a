#pragma once
// Input checks and the score order shared by every policy.
#include <algorithm>
#include <bit>
#include <type_traits>
#include <utility>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "tarmac/core/error.hpp"
#include "tarmac/nms/detail/area_rule.hpp"
#include "tarmac/nms/iou.hpp"
#include "tarmac/nms/types.hpp"

namespace tarmac::nms::detail {

template <class T>
std::string describe(const box<T>& b) {
  std::ostringstream out;
  out << "(" << b.x1 << ", " << b.y1 << ", " << b.x2 << ", " << b.y2 << ")";
  return out.str();
}

inline void check_threshold(const char* where, const char* name, float value, float lo, float hi) {
  if (!(value >= lo && value <= hi)) {
    std::ostringstream out;
    out << where << ": " << name << " must be in [" << lo << ", " << hi << "], got " << value;
    throw invalid_argument(out.str());
  }
}

inline void check_convention(const char* where, coords convention) {
  if (convention != coords::continuous && convention != coords::pixel_inclusive)
    throw invalid_argument(std::string(where) + ": convention " + std::to_string(static_cast<int>(convention)) +
                           " is not a tarmac::nms::coords value");
}

// Says why box i or its score is invalid and throws: a non-finite coordinate, x2 < x1 or y2 < y1,
// an area (under convention C) outside detail::area_fault_of's range, or a non-finite score. Kept
// out of line, so that the check of a valid entry inlines into the loop over all of them.
template <coords C, class T>
[[noreturn, gnu::cold, gnu::noinline]] void reject_entry(const char* where, std::size_t i, const box<T>& b, T score) {
  std::ostringstream why;
  const T w = extent<C>(b.x1, b.x2), h = extent<C>(b.y1, b.y2);
  const char* type = sizeof(T) == sizeof(float) ? "float" : "double";
  if (!(std::isfinite(b.x1) && std::isfinite(b.y1) && std::isfinite(b.x2) && std::isfinite(b.y2)))
    why << where << ": box " << i << " has a non-finite coordinate " << describe(b);
  else if (b.x2 < b.x1 || b.y2 < b.y1)
    why << where << ": box " << i << " has x2 < x1 or y2 < y1 " << describe(b);
  else if (const area_fault fault = area_fault_of(w, h, area<C>(b)); fault == area_fault::overflows)
    why << where << ": box " << i << " " << describe(b) << ": its area " << static_cast<long double>(w) * h
        << " exceeds half the largest " << type << " (" << std::numeric_limits<T>::max() / 2
        << "), so the union of two boxes could overflow; rescale the coordinates";
  else if (fault == area_fault::underflows)
    why << where << ": box " << i << " " << describe(b) << ": its area " << static_cast<long double>(w) * h
        << " is below the smallest normal " << type << " (" << std::numeric_limits<T>::min()
        << "), where the IoU loses precision; rescale the coordinates";
  else
    why << where << ": score " << i << " is not finite (" << score << ")";
  throw invalid_argument(why.str());
}

// Box i and its score are valid, or this throws saying why. The box test implies finite
// coordinates: an infinite or NaN one makes an extent, and so the area, infinite or NaN.
template <coords C, class T>
void check_entry(const char* where, std::size_t i, const box<T>& b, T score) {
  if (!(b.x2 >= b.x1 && b.y2 >= b.y1 &&
        area_fault_of(extent<C>(b.x1, b.x2), extent<C>(b.y1, b.y2), area<C>(b)) == area_fault::none &&
        std::isfinite(score)))
    reject_entry<C>(where, i, b, score);
}

template <class T>
void check_boxes(const char* where, std::span<const box<T>> boxes, std::span<const T> scores, coords convention) {
  if (boxes.size() != scores.size()) {
    std::ostringstream out;
    out << where << ": " << boxes.size() << " boxes but " << scores.size() << " scores";
    throw invalid_argument(out.str());
  }
  with_convention(convention, [&]<coords C>() {
    for (std::size_t i = 0; i < boxes.size(); ++i) check_entry<C>(where, i, boxes[i], scores[i]);
  });
}

inline void check_params(const char* where, const params& p) {
  check_threshold(where, "iou_threshold", p.iou_threshold, 0.0f, 1.0f);
  check_convention(where, p.convention);
  if (std::isnan(p.score_threshold))
    throw invalid_argument(std::string(where) + ": score_threshold is NaN");
}

// An unsigned key whose ascending order is the float's descending order (-0 taken as +0).
template <class T>
auto descending_key(T value) {
  using key = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
  static_assert(sizeof(T) == sizeof(key), "scores must be float or double");
  const key bits = std::bit_cast<key>(static_cast<T>(value + T(0)));
  constexpr key sign = key(1) << (8 * sizeof(key) - 1);
  return static_cast<key>(bits & sign ? bits : ~(bits | sign));
}

// Indices of the boxes whose score passes the threshold, by decreasing score; equal scores
// keep the lower index first, so every policy sees the same order. An LSD radix sort: stable
// by construction and several times faster than a comparison sort through the index. It sorts
// only the bits where keys differ (scores in [0.2, 1) differ in 25 of 32), in digits of at most
// log2(n) - 1 bits, so that there are at most half as many buckets as keys (6000 scores:
// 3 passes of 9 bits, where 11-bit digits over all 32 bits took 3 of 11; 100k: 2 of 15, not 3),
// and the last pass writes the indices straight into `order`.
// Fills `order` (whose capacity callers reuse, like the per-thread sort buffers here, so that
// repeated calls touch no fresh pages).
template <class T>
void score_order(std::span<const T> scores, float score_threshold, std::vector<std::uint32_t>& order) {
  if (scores.size() > std::numeric_limits<std::uint32_t>::max())
    throw invalid_argument("nms: more than 2^32 - 1 boxes");
  using key = decltype(descending_key(T{}));
  thread_local std::vector<std::pair<key, std::uint32_t>> items, spare;
  thread_local std::vector<std::uint32_t> start;
  items.resize(scores.size());
  const T threshold = static_cast<T>(score_threshold);
  key all_and = key(~key(0)), all_or = 0;
  std::size_t n = 0;
  for (std::size_t i = 0; i < scores.size(); ++i) {  // branch-free: a threshold drops any fraction
    const key k = descending_key(scores[i]);
    items[n] = {k, static_cast<std::uint32_t>(i)};
    const bool passes = !(scores[i] < threshold);
    all_and &= passes ? k : key(~key(0)), all_or |= passes ? k : key(0);
    n += passes;
  }
  items.resize(n);
  order.resize(n);
  if (n == 0) return;
  const key differ = all_and ^ all_or;  // 0 when n == 1
  const int low = differ ? std::countr_zero(differ) : 0, high = std::bit_width(differ);
  const int max_digit = std::clamp(int(std::bit_width(n)) - 2, 8, 16);
  const int passes = (high - low + max_digit - 1) / max_digit;
  if (passes == 0) {
    for (std::size_t r = 0; r < n; ++r) order[r] = items[r].second;
    return;
  }
  const int digit = (high - low + passes - 1) / passes;
  const std::size_t buckets = std::size_t(1) << digit;
  const key mask = static_cast<key>(buckets - 1);
  start.assign(std::size_t(passes) * buckets, 0);
  for (int p = 0; p < passes; ++p) {
    const int shift = low + p * digit;
    std::uint32_t* count = start.data() + p * buckets;
    for (const auto& it : items) ++count[(it.first >> shift) & mask];
  }
  spare.resize(n);
  for (int p = 0; p < passes; ++p) {
    const std::span<std::uint32_t> next(start.data() + p * buckets, buckets);
    std::uint32_t sum = 0;
    for (std::uint32_t& s : next) sum += std::exchange(s, sum);  // counts to first positions
    const int shift = low + p * digit;
    if (p + 1 == passes) {
      for (const auto& it : items) order[next[(it.first >> shift) & mask]++] = it.second;
    } else {
      for (const auto& it : items) spare[next[(it.first >> shift) & mask]++] = it;
      items.swap(spare);
    }
  }
}

}  // namespace tarmac::nms::detail
