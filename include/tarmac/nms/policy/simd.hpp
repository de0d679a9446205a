#pragma once
// simd: the same greedy decisions as suppressed_flag, with two changes that do not alter
// them: a kept box only tests boxes whose centre lies close enough for IoU > t (a grid over
// centres, bound below), and the IoU of one kept box against a run of
// candidates is computed with xsimd, xsimd::default_arch lanes at a time.
// The instruction set is fixed at compile time (-mavx2, -mavx512f, -march=native, ...).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include <xsimd/xsimd.hpp>

#include "tarmac/nms/iou.hpp"

namespace tarmac::nms {
namespace detail {

// A kept box can only suppress boxes whose centre lies close to its own. Per axis, with
// widths w and overlap o: the 2D IoU is at most the 1D IoU o / (w_i + w_j - o) (because the
// overlap height is at most either height), so IoU > t gives o > t/(1+t) * (w_i + w_j) and
// |dx1| + |dx2| = w_i + w_j - 2o < (1-t)/(1+t) * (w_i + w_j); the centres differ by half of
// that at most. Also o <= min(w) gives w_j < w_i / t. The radius adds a margin of 1e-3,
// far above rounding error, so a pair outside it never has a computed IoU above t.
struct centre_radius {
  double scale, inv_t, max_extent, slack;

  centre_radius(double max_extent_, double t)
      : scale((1 - t) / (1 + t) / 2 * (1 + margin)), inv_t(t > 0 ? 1 / t : 0),
        max_extent(max_extent_), slack(margin * max_extent_) {}

  double operator()(double extent) const {
    const double other = inv_t > 0 ? std::min(max_extent, extent * inv_t) : max_extent;
    return scale * (extent + other) + slack;
  }

  static constexpr double margin = 1e-3;
};

// Cells of equal size along one axis over [origin, origin + span].
struct grid_axis {
  double origin = 0, inv_cell = 1;
  std::size_t cells = 1;

  std::size_t cell(double v) const {
    const double c = std::floor((v - origin) * inv_cell);
    if (!(c > 0)) return 0;
    return std::min(cells - 1, static_cast<std::size_t>(std::min(c, 1e18)));
  }
};

// Reused from call to call (one per thread, see greedy below): the buffers keep their
// capacity, so a call touches no fresh memory; on this project's VMs a first touch costs
// about 10 us per 4 KiB page, a quarter of the time of a 100k-box call.
template <coords C, class T>
class centre_grid_nms {
  using batch = xsimd::batch<T>;
  static constexpr std::size_t lanes = batch::size;
  static constexpr std::uint32_t removed = std::numeric_limits<std::uint32_t>::max();
  template <class U>
  using aligned = std::vector<U, xsimd::aligned_allocator<U>>;

 public:
  std::vector<std::size_t> run(std::span<const box<T>> boxes, std::span<const std::uint32_t> order,
                               T threshold, std::size_t max_keep) {
    prepare(boxes, order, threshold);
    return suppress(order, max_keep);
  }

 private:
  void prepare(std::span<const box<T>> boxes, std::span<const std::uint32_t> order, T threshold) {
    const std::size_t m = order.size();
    threshold_ = threshold;
    newly_suppressed_ = scanned_ = 0;
    for (auto* v : {&cx_, &cy_, &rx_, &ry_}) v->resize(m);
    sorted_.resize(m);
    area_.resize(m);
    double wmax = 0, hmax = 0, xlo = 0, xhi = 0, ylo = 0, yhi = 0;
    for (std::size_t r = 0; r < m; ++r) {
      const box<T>& b = sorted_[r] = boxes[order[r]];
      area_[r] = area<C>(b);
      rx_[r] = static_cast<double>(extent<C>(b.x1, b.x2));
      ry_[r] = static_cast<double>(extent<C>(b.y1, b.y2));
      cx_[r] = (double(b.x1) + double(b.x2)) / 2;
      cy_[r] = (double(b.y1) + double(b.y2)) / 2;
      wmax = std::max(wmax, rx_[r]);
      hmax = std::max(hmax, ry_[r]);
      xlo = r ? std::min(xlo, cx_[r]) : cx_[r];
      xhi = r ? std::max(xhi, cx_[r]) : cx_[r];
      ylo = r ? std::min(ylo, cy_[r]) : cy_[r];
      yhi = r ? std::max(yhi, cy_[r]) : cy_[r];
    }
    double mean_rx = 0, mean_ry = 0;
    const centre_radius radius_x(wmax, threshold), radius_y(hmax, threshold);
    for (std::size_t r = 0; r < m; ++r) {
      rx_[r] = radius_x(rx_[r]);
      ry_[r] = radius_y(ry_[r]);
      mean_rx += rx_[r] / static_cast<double>(m);
      mean_ry += ry_[r] / static_cast<double>(m);
    }
    // Cells of half the typical radius: a query then reads a few rows of a few cells.
    // Never more cells than boxes, so building and scanning the grid stays O(n).
    double scale = 0.5;
    do {
      ax_ = make_axis(xlo, xhi, mean_rx * scale);
      ay_ = make_axis(ylo, yhi, mean_ry * scale);
      scale *= 1.5;
    } while (ax_.cells * ay_.cells > std::max<std::size_t>(m, 1));
    build(m);
  }

  std::vector<std::size_t> suppress(std::span<const std::uint32_t> order, std::size_t max_keep) {
    std::vector<std::size_t> keep;
    std::size_t last_compaction = 0;
    for (std::size_t r = 0; r < order.size() && keep.size() < max_keep; ++r) {
      const std::uint32_t p = pos_of_rank_[r];
      if (p == removed || flag_[p] != T(0)) continue;
      keep.push_back(order[r]);
      if (keep.size() == max_keep) break;
      scanned_ += suppress_neighbours(r);
      // Dead boxes (processed or suppressed) still cost scan time; drop them in one pass once
      // the lanes wasted on them since the last pass exceed 16 per live box and cell (the
      // constant that minimised callgrind's instruction count over the classic and scene sets).
      const double dead = double(r - last_compaction + newly_suppressed_);
      if (double(scanned_) * dead > 16.0 * double(live_) * double(live_ + cell_start_.size())) {
        compact(r);
        last_compaction = r;
        newly_suppressed_ = 0;
        scanned_ = 0;
      }
    }
    return keep;
  }

  static grid_axis make_axis(double lo, double hi, double cell) {
    grid_axis a;
    a.origin = lo;
    if (!(cell > 0) || !(hi > lo)) return a;
    a.inv_cell = 1 / cell;
    a.cells = static_cast<std::size_t>(std::min((hi - lo) / cell, 1e9)) + 1;
    return a;
  }

  void build(std::size_t m) {
    cell_start_.assign(ax_.cells * ay_.cells + 1, 0);
    cell_of_rank_.resize(m);
    for (std::size_t r = 0; r < m; ++r) {
      cell_of_rank_[r] = static_cast<std::uint32_t>(ay_.cell(cy_[r]) * ax_.cells + ax_.cell(cx_[r]));
      ++cell_start_[cell_of_rank_[r] + 1];
    }
    for (std::size_t c = 1; c < cell_start_.size(); ++c) cell_start_[c] += cell_start_[c - 1];
    resize(m);
    pos_of_rank_.resize(m);
    next_.assign(cell_start_.begin(), cell_start_.end() - 1);
    for (std::size_t r = 0; r < m; ++r) {
      const std::uint32_t p = next_[cell_of_rank_[r]]++;
      place(p, sorted_[r], area_[r]);
      rank_at_[p] = static_cast<std::uint32_t>(r);
      cell_at_[p] = cell_of_rank_[r];
      pos_of_rank_[r] = p;
    }
    live_ = m;
    pad(x1_.size());
  }

  void resize(std::size_t m) {
    const std::size_t padded = (m + lanes - 1) / lanes * lanes + lanes;
    for (auto* v : {&x1_, &y1_, &x2_, &y2_, &area_at_, &flag_}) v->resize(padded);
    rank_at_.resize(padded);
    cell_at_.resize(padded);
  }

  void place(std::size_t p, const box<T>& b, T a) {
    x1_[p] = b.x1, y1_[p] = b.y1, x2_[p] = b.x2, y2_[p] = b.y2, area_at_[p] = a, flag_[p] = T(0);
  }

  // Padding past the live boxes: a box that overlaps nothing, so whole batches can be read.
  void pad(std::size_t until) {
    const T far = std::numeric_limits<T>::lowest();
    for (std::size_t p = live_; p < until; ++p) place(p, {far, far, far, far}, T(0));
  }

  // Returns the number of lanes it scanned.
  std::size_t suppress_neighbours(std::size_t r) {
    const box<T>& b = sorted_[r];
    const std::size_t cx0 = ax_.cell(cx_[r] - rx_[r]), cx1 = ax_.cell(cx_[r] + rx_[r]);
    const std::size_t cy0 = ay_.cell(cy_[r] - ry_[r]), cy1 = ay_.cell(cy_[r] + ry_[r]);
    const batch bx1(b.x1), by1(b.y1), bx2(b.x2), by2(b.y2), ba(area_[r]);
    std::size_t run_begin = 0, run_end = 0, scanned = 0;
    // A division costs as much as the rest of the IoU; most candidates are far below the
    // threshold, so a batch is divided (exactly as every policy divides) only when some lane
    // passes inter > t * union, loosened so that rounding can never hide a real suppression.
    const batch loose_t(threshold_ * T(1 - 1e-3)), exact_t(threshold_), zero(T(0)), one(T(1));
    auto flush = [&] {
      for (std::size_t k = run_begin / lanes * lanes; k < run_end; k += lanes, scanned += lanes) {
        const auto [inter, uni] = overlap_and_union<C>(bx1, by1, bx2, by2, ba, batch::load_aligned(&x1_[k]),
                                                       batch::load_aligned(&y1_[k]), batch::load_aligned(&x2_[k]),
                                                       batch::load_aligned(&y2_[k]), batch::load_aligned(&area_at_[k]));
        if (!xsimd::any(inter > loose_t * uni)) continue;
        const batch v = xsimd::select(uni > zero, inter / uni, zero);
        const batch flag = batch::load_aligned(&flag_[k]);
        const auto hit = v > exact_t;
        newly_suppressed_ += static_cast<std::size_t>(xsimd::hadd(xsimd::select(hit && flag == zero, one, zero)));
        xsimd::select(hit, one, flag).store_aligned(&flag_[k]);
      }
    };
    // Rows of cells are contiguous in memory; consecutive rows often join into one run.
    for (std::size_t cy = cy0; cy <= cy1; ++cy) {
      const std::size_t s = cell_start_[cy * ax_.cells + cx0], e = cell_start_[cy * ax_.cells + cx1 + 1];
      if (s == e) continue;
      if (s != run_end) {
        flush();
        run_begin = s;
      }
      run_end = e;
    }
    flush();
    return scanned;
  }

  // Keeps only boxes not yet processed and not suppressed, in cell order.
  void compact(std::size_t processed) {
    std::size_t w = 0;
    for (std::size_t p = 0; p < live_; ++p) {
      const std::uint32_t r = rank_at_[p];
      if (r <= processed || flag_[p] != T(0)) {
        pos_of_rank_[r] = removed;
        continue;
      }
      x1_[w] = x1_[p], y1_[w] = y1_[p], x2_[w] = x2_[p], y2_[w] = y2_[p];
      area_at_[w] = area_at_[p], flag_[w] = T(0), rank_at_[w] = r, cell_at_[w] = cell_at_[p];
      pos_of_rank_[r] = static_cast<std::uint32_t>(w++);
    }
    const std::size_t stale_until = std::min(x1_.size(), (live_ + lanes - 1) / lanes * lanes + lanes);
    live_ = w;
    std::fill(cell_start_.begin(), cell_start_.end(), 0u);
    for (std::size_t p = 0; p < live_; ++p) ++cell_start_[cell_at_[p] + 1];
    for (std::size_t c = 1; c < cell_start_.size(); ++c) cell_start_[c] += cell_start_[c - 1];
    pad(stale_until);
  }

  T threshold_ = 0;
  std::vector<box<T>> sorted_;  // by rank (decreasing score)
  std::vector<T> area_;
  std::vector<double> cx_, cy_, rx_, ry_;  // centre and pruning radius per rank
  grid_axis ax_, ay_;
  // Cell-ordered structure of arrays, padded to whole batches.
  aligned<T> x1_, y1_, x2_, y2_, area_at_, flag_;
  std::vector<std::uint32_t> rank_at_, cell_at_, pos_of_rank_, cell_start_, cell_of_rank_, next_;
  std::size_t live_ = 0;
  std::size_t newly_suppressed_ = 0, scanned_ = 0;  // since the last compaction
};

}  // namespace detail

template <class T>
std::vector<std::size_t> greedy(simd, std::span<const box<T>> boxes,
                                std::span<const std::uint32_t> order, T threshold,
                                std::size_t max_keep, coords convention) {
  return detail::with_convention(convention, [&]<coords C>() {
    thread_local detail::centre_grid_nms<C, T> workspace;
    return workspace.run(boxes, order, threshold, max_keep);
  });
}

}  // namespace tarmac::nms
