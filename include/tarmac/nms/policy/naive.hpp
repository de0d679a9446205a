#pragma once
// naive: keep the best remaining box, keep only the boxes whose IoU with it is at or under
// the threshold, repeat. The vectorised-NumPy algorithm (py_cpu_nms).
#include <cstdint>
#include <span>
#include <vector>

#include "tarmac/nms/iou.hpp"

namespace tarmac::nms {

template <class T>
std::vector<std::size_t> greedy(naive, std::span<const box<T>> boxes,
                                std::span<const std::uint32_t> order, T threshold,
                                std::size_t max_keep, coords convention) {
  return detail::with_convention(convention, [&]<coords C>() {
    std::vector<T> areas(boxes.size());
    for (std::uint32_t i : order) areas[i] = detail::area<C>(boxes[i]);
    std::vector<std::uint32_t> remaining(order.begin(), order.end()), next;
    std::vector<std::size_t> keep;
    while (!remaining.empty() && keep.size() < max_keep) {
      const std::uint32_t best = remaining.front();
      keep.push_back(best);
      next.clear();
      for (std::size_t k = 1; k < remaining.size(); ++k) {
        const std::uint32_t j = remaining[k];
        if (!detail::suppresses<C>(boxes[best], areas[best], boxes[j], areas[j], threshold))
          next.push_back(j);
      }
      remaining.swap(next);
    }
    return keep;
  });
}

}  // namespace tarmac::nms
