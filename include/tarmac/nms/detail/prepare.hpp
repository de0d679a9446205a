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
// by construction and several times faster than a comparison sort through the index.
// Fills `order` (whose capacity callers reuse, like the per-thread sort buffers here, so that
// repeated calls touch no fresh pages).
template <class T>
void score_order(std::span<const T> scores, float score_threshold, std::vector<std::uint32_t>& order) {
  if (scores.size() > std::numeric_limits<std::uint32_t>::max())
    throw invalid_argument("nms: more than 2^32 - 1 boxes");
  using key = decltype(descending_key(T{}));
  thread_local std::vector<std::pair<key, std::uint32_t>> items, spare;
  thread_local std::vector<std::uint32_t> start;
  items.clear();
  for (std::size_t i = 0; i < scores.size(); ++i)
    if (!(scores[i] < static_cast<T>(score_threshold)))
      items.emplace_back(descending_key(scores[i]), static_cast<std::uint32_t>(i));
  spare.resize(items.size());
  constexpr int digit_bits = 11;
  constexpr std::size_t buckets = std::size_t(1) << digit_bits;
  for (int shift = 0; shift < int(8 * sizeof(key)); shift += digit_bits) {
    start.assign(buckets + 1, 0);
    for (const auto& it : items) ++start[((it.first >> shift) & (buckets - 1)) + 1];
    if (start[1 + ((items.empty() ? 0 : items[0].first >> shift) & (buckets - 1))] == items.size())
      continue;  // every key has the same digit here
    for (std::size_t b = 1; b <= buckets; ++b) start[b] += start[b - 1];
    for (const auto& it : items) spare[start[(it.first >> shift) & (buckets - 1)]++] = it;
    items.swap(spare);
  }
  order.resize(items.size());
  for (std::size_t r = 0; r < items.size(); ++r) order[r] = items[r].second;
}

}  // namespace tarmac::nms::detail
