#pragma once
// xtensor front ends: boxes as an (N, 4) expression with scores as (N), or detections as
// (N, 5) with the score in the last column, in the layout of py_cpu_nms.
#include <concepts>
#include <string>
#include <vector>

#include <xtensor/xeval.hpp>
#include <xtensor/xexpression.hpp>

#include "tarmac/nms/nms.hpp"

namespace tarmac::nms {
namespace detail {

template <class E>
auto rows_of(const char* where, const xt::xexpression<E>& expr, std::size_t columns) {
  using T = typename E::value_type;
  static_assert(std::floating_point<T>, "tarmac::nms: xtensor boxes must hold float or double");
  const auto values = xt::eval(expr.derived_cast());
  if (values.dimension() != 2 || values.shape()[1] != columns) {
    std::string shape;
    for (std::size_t d = 0; d < values.dimension(); ++d) shape += (d ? ", " : "") + std::to_string(values.shape()[d]);
    throw invalid_argument(std::string(where) + ": expected shape (N, " + std::to_string(columns) +
                           "), got (" + shape + ")");
  }
  std::vector<box<T>> boxes(values.shape()[0]);
  std::vector<T> last_column(values.shape()[0]);
  for (std::size_t i = 0; i < boxes.size(); ++i) {
    boxes[i] = {values(i, 0), values(i, 1), values(i, 2), values(i, 3)};
    last_column[i] = values(i, columns - 1);
  }
  return std::pair{std::move(boxes), std::move(last_column)};
}

}  // namespace detail

// boxes: (N, 4) x1, y1, x2, y2; scores: (N).
template <class E1, class E2, class Policy>
std::vector<std::size_t> nms(const xt::xexpression<E1>& boxes, const xt::xexpression<E2>& scores,
                             const params& p, Policy policy) {
  using T = typename E1::value_type;
  auto [rows, unused] = detail::rows_of("nms", boxes, 4);
  const auto s = xt::eval(scores.derived_cast());
  if (s.dimension() != 1)
    throw invalid_argument("nms: scores must be one-dimensional, got " + std::to_string(s.dimension()) + " dimensions");
  std::vector<T> score_values(s.begin(), s.end());
  return nms(rows, score_values, p, policy);
}

template <class Policy = simd, class E1, class E2>
std::vector<std::size_t> nms(const xt::xexpression<E1>& boxes, const xt::xexpression<E2>& scores,
                             const params& p = {}) {
  return nms(boxes, scores, p, Policy{});
}

// detections: (N, 5) x1, y1, x2, y2, score.
template <class E, class Policy>
std::vector<std::size_t> nms(const xt::xexpression<E>& detections, const params& p, Policy policy) {
  auto [rows, scores] = detail::rows_of("nms", detections, 5);
  return nms(rows, scores, p, policy);
}

template <class Policy = simd, class E>
std::vector<std::size_t> nms(const xt::xexpression<E>& detections, const params& p = {}) {
  return nms(detections, p, Policy{});
}

}  // namespace tarmac::nms
