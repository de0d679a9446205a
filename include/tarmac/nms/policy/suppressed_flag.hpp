#pragma once
// suppressed_flag: walk the boxes in score order with a flag per box; each box still
// unflagged is kept and flags every later box it overlaps. The typed-Cython algorithm.
#include <cstdint>
#include <span>
#include <vector>

#include "tarmac/nms/iou.hpp"

namespace tarmac::nms {

template <class T>
std::vector<std::size_t> greedy(suppressed_flag, std::span<const box<T>> boxes,
                                std::span<const std::uint32_t> order, T threshold,
                                std::size_t max_keep, coords convention) {
  return detail::with_convention(convention, [&]<coords C>() {
    const std::size_t m = order.size();
    std::vector<box<T>> sorted(m);
    std::vector<T> areas(m);
    for (std::size_t r = 0; r < m; ++r) {
      sorted[r] = boxes[order[r]];
      areas[r] = detail::area<C>(sorted[r]);
    }
    std::vector<char> suppressed(m, 0);
    std::vector<std::size_t> keep;
    for (std::size_t a = 0; a < m && keep.size() < max_keep; ++a) {
      if (suppressed[a]) continue;
      keep.push_back(order[a]);
      for (std::size_t b = a + 1; b < m; ++b)
        if (!suppressed[b] && detail::suppresses<C>(sorted[a], areas[a], sorted[b], areas[b], threshold))
          suppressed[b] = 1;
    }
    return keep;
  });
}

}  // namespace tarmac::nms
