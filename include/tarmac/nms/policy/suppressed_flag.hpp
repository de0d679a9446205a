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
    // Score order, one array per coordinate, so the inner loop streams through memory.
    const std::size_t m = order.size();
    std::vector<T> x1(m), y1(m), x2(m), y2(m), areas(m);
    for (std::size_t r = 0; r < m; ++r) {
      const box<T>& b = boxes[order[r]];
      x1[r] = b.x1, y1[r] = b.y1, x2[r] = b.x2, y2[r] = b.y2, areas[r] = detail::area<C>(b);
    }
    std::vector<char> suppressed(m, 0);
    std::vector<std::size_t> keep;
    for (std::size_t a = 0; a < m && keep.size() < max_keep; ++a) {
      if (suppressed[a]) continue;
      keep.push_back(order[a]);
      const box<T> kept{x1[a], y1[a], x2[a], y2[a]};
      for (std::size_t b = a + 1; b < m; ++b)
        if (!suppressed[b] && detail::suppresses<C>(kept, areas[a], box<T>{x1[b], y1[b], x2[b], y2[b]}, areas[b], threshold))
          suppressed[b] = 1;
    }
    return keep;
  });
}

}  // namespace tarmac::nms
