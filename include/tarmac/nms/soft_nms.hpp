#pragma once
// Soft-NMS (Bodla et al., ICCV 2017): instead of removing the boxes that overlap a kept box,
// decay their scores, linearly or with a Gaussian, and drop those that fall below a floor.
#include <cmath>
#include <concepts>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "tarmac/nms/detail/prepare.hpp"
#include "tarmac/nms/iou.hpp"
#include "tarmac/nms/nms.hpp"

namespace tarmac::nms {

enum class decay { linear, gaussian };

struct soft_params {
  decay method = decay::gaussian;
  float sigma = 0.5f;             // gaussian: score *= exp(-iou^2 / sigma)
  float iou_threshold = 0.3f;     // linear: score *= 1 - iou where iou > iou_threshold
  float score_threshold = 0.001f; // boxes whose (decayed) score falls below this are dropped
  std::size_t max_keep = std::numeric_limits<std::size_t>::max();
  coords convention = coords::continuous;
};

template <class T>
struct soft_result {
  std::vector<std::size_t> indices;  // kept boxes, in the order they were selected
  std::vector<T> scores;             // their scores after decay
};

template <std::floating_point T>
soft_result<T> soft_nms(std::span<const box<T>> boxes, std::span<const T> scores,
                        const soft_params& p = {}) {
  detail::check_threshold("soft_nms", "iou_threshold", p.iou_threshold, 0.0f, 1.0f);
  if (!(p.sigma > 0) || !std::isfinite(p.sigma))
    throw invalid_argument("soft_nms: sigma must be positive and finite, got " + std::to_string(p.sigma));
  if (std::isnan(p.score_threshold)) throw invalid_argument("soft_nms: score_threshold is NaN");
  detail::check_convention("soft_nms", p.convention);
  detail::check_boxes("soft_nms", boxes, scores, p.convention);
  return detail::with_convention(p.convention, [&]<coords C>() {
    const T floor = static_cast<T>(p.score_threshold);
    std::vector<T> current(scores.begin(), scores.end()), areas(boxes.size());
    std::vector<std::uint32_t> alive;
    for (std::size_t i = 0; i < boxes.size(); ++i) {
      areas[i] = detail::area<C>(boxes[i]);
      if (!(current[i] < floor)) alive.push_back(static_cast<std::uint32_t>(i));
    }
    soft_result<T> out;
    while (!alive.empty() && out.indices.size() < p.max_keep) {
      // alive stays in index order, so the first maximum is the lowest index among ties.
      auto best_at = alive.begin();
      for (auto it = alive.begin(); it != alive.end(); ++it)
        if (current[*it] > current[*best_at]) best_at = it;
      const std::uint32_t best = *best_at;
      alive.erase(best_at);
      out.indices.push_back(best);
      out.scores.push_back(current[best]);
      std::erase_if(alive, [&](std::uint32_t j) {
        const T overlap = detail::iou<C>(boxes[best], areas[best], boxes[j], areas[j]);
        if (p.method == decay::gaussian)
          current[j] *= std::exp(-(overlap * overlap) / static_cast<T>(p.sigma));
        else if (overlap > static_cast<T>(p.iou_threshold))
          current[j] *= T(1) - overlap;
        return current[j] < floor;
      });
    }
    return out;
  });
}

template <box_range Boxes, std::ranges::contiguous_range Scores>
auto soft_nms(const Boxes& boxes, const Scores& scores, const soft_params& p = {}) {
  using T = box_scalar_t<Boxes>;
  return soft_nms(std::span<const box<T>>(std::ranges::data(boxes), std::ranges::size(boxes)),
                  std::span<const T>(std::ranges::data(scores), std::ranges::size(scores)), p);
}

}  // namespace tarmac::nms
