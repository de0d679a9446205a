#pragma once
// nms<Policy>() and batched_nms<Policy>(): validation and score order are shared here; each
// policy only supplies greedy(Policy, boxes, order, threshold, max_keep, convention),
// found by argument-dependent lookup, so a backend header can add one.
#include <algorithm>
#include <concepts>
#include <cstdint>
#include <ranges>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "tarmac/nms/detail/prepare.hpp"
#include "tarmac/nms/iou.hpp"
#include "tarmac/nms/types.hpp"

namespace tarmac::nms {

template <class B>
struct box_traits : std::false_type {};
template <class T>
struct box_traits<box<T>> : std::true_type {
  using scalar = T;
};

// A contiguous range of box<T> (std::vector, std::array, std::span, ...).
template <class R>
concept box_range = std::ranges::contiguous_range<R> &&
                    box_traits<std::remove_cv_t<std::ranges::range_value_t<R>>>::value;
template <class R>
using box_scalar_t = typename box_traits<std::remove_cv_t<std::ranges::range_value_t<R>>>::scalar;

template <class Policy, class T>
concept policy_for = requires(Policy policy, std::span<const box<T>> boxes,
                              std::span<const std::uint32_t> order) {
  { greedy(policy, boxes, order, T(0), std::size_t(0), coords::continuous) } -> std::same_as<std::vector<std::size_t>>;
};

// IoU of two boxes, computed exactly as every policy computes it.
template <std::floating_point T>
T iou(const box<T>& a, const box<T>& b, coords convention = coords::continuous) {
  return detail::with_convention(convention, [&]<coords C>() {
    return detail::iou<C>(a, detail::area<C>(a), b, detail::area<C>(b));
  });
}

// Indices of the kept boxes, by decreasing score (equal scores: lower index first).
template <std::floating_point T, class Policy>
std::vector<std::size_t> nms(std::span<const box<T>> boxes, std::span<const T> scores,
                             const params& p, Policy policy) {
  static_assert(policy_for<Policy, T>,
                "this NMS policy is not available in this build: tarmac::nms::simd needs "
                "<tarmac/nms/policy/simd.hpp> (xsimd), tarmac::nms::cuda needs <tarmac/nms/cuda.cuh> (nvcc)");
  detail::check_params("nms", p);
  detail::check_boxes("nms", boxes, scores, p.convention);
  if (p.max_keep == 0 || boxes.empty()) return {};
  thread_local std::vector<std::uint32_t> order;
  detail::score_order(scores, p.score_threshold, order);
  return greedy(policy, boxes, std::span<const std::uint32_t>(order),
                static_cast<T>(p.iou_threshold), p.max_keep, p.convention);
}

template <class Policy = simd, std::floating_point T>
std::vector<std::size_t> nms(std::span<const box<T>> boxes, std::span<const T> scores,
                             const params& p = {}) {
  return nms(boxes, scores, p, Policy{});
}

template <box_range Boxes, std::ranges::contiguous_range Scores, class Policy>
std::vector<std::size_t> nms(const Boxes& boxes, const Scores& scores, const params& p, Policy policy) {
  using T = box_scalar_t<Boxes>;
  return nms(std::span<const box<T>>(std::ranges::data(boxes), std::ranges::size(boxes)),
             std::span<const T>(std::ranges::data(scores), std::ranges::size(scores)), p, policy);
}

template <class Policy = simd, box_range Boxes, std::ranges::contiguous_range Scores>
std::vector<std::size_t> nms(const Boxes& boxes, const Scores& scores, const params& p = {}) {
  return nms(boxes, scores, p, Policy{});
}

// Class-aware NMS: a box only suppresses boxes of its own class. Same order and max_keep
// semantics as nms() over the whole input.
template <std::floating_point T, std::integral Id, class Policy>
std::vector<std::size_t> batched_nms(std::span<const box<T>> boxes, std::span<const T> scores,
                                     std::span<const Id> class_ids, const params& p, Policy policy) {
  detail::check_params("batched_nms", p);
  detail::check_boxes("batched_nms", boxes, scores, p.convention);
  if (class_ids.size() != boxes.size())
    throw invalid_argument("batched_nms: " + std::to_string(boxes.size()) + " boxes but " +
                           std::to_string(class_ids.size()) + " class ids");
  if (p.max_keep == 0 || boxes.empty()) return {};
  std::vector<std::uint32_t> order;
  detail::score_order(scores, p.score_threshold, order);
  // Group by class; stable, so each group stays in score order.
  std::vector<std::uint32_t> grouped = order;
  std::stable_sort(grouped.begin(), grouped.end(),
                   [&](std::uint32_t a, std::uint32_t b) { return class_ids[a] < class_ids[b]; });
  std::vector<char> kept(boxes.size(), 0);
  for (auto first = grouped.begin(); first != grouped.end();) {
    const auto last = std::find_if(first, grouped.end(), [&](std::uint32_t i) {
      return class_ids[i] != class_ids[*first];
    });
    const std::span<const std::uint32_t> group(&*first, static_cast<std::size_t>(last - first));
    for (std::size_t i : greedy(policy, boxes, group, static_cast<T>(p.iou_threshold), p.max_keep, p.convention))
      kept[i] = 1;
    first = last;
  }
  std::vector<std::size_t> keep;
  for (std::uint32_t i : order)
    if (kept[i] && keep.size() < p.max_keep) keep.push_back(i);
  return keep;
}

template <class Policy = simd, std::floating_point T, std::integral Id>
std::vector<std::size_t> batched_nms(std::span<const box<T>> boxes, std::span<const T> scores,
                                     std::span<const Id> class_ids, const params& p = {}) {
  return batched_nms(boxes, scores, class_ids, p, Policy{});
}

template <class Policy = simd, box_range Boxes, std::ranges::contiguous_range Scores,
          std::ranges::contiguous_range Ids>
  requires std::integral<std::ranges::range_value_t<Ids>>
std::vector<std::size_t> batched_nms(const Boxes& boxes, const Scores& scores, const Ids& class_ids,
                                     const params& p = {}, Policy policy = {}) {
  using T = box_scalar_t<Boxes>;
  using Id = std::ranges::range_value_t<Ids>;
  return batched_nms(std::span<const box<T>>(std::ranges::data(boxes), std::ranges::size(boxes)),
                     std::span<const T>(std::ranges::data(scores), std::ranges::size(scores)),
                     std::span<const Id>(std::ranges::data(class_ids), std::ranges::size(class_ids)),
                     p, policy);
}

}  // namespace tarmac::nms
