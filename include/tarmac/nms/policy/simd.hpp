#pragma once
// simd: the same greedy decisions as suppressed_flag, with two changes that do not alter
// them: a kept box only tests boxes whose centre lies close enough for IoU > t (grids over
// centres, one per band of box sizes, bound below), and the IoU of one kept box against a run
// of candidates is computed with xsimd, xsimd::default_arch lanes at a time.
// The instruction set is fixed at compile time (-mavx2, -mavx512f, -march=native, ...).
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include <xsimd/xsimd.hpp>

#include "tarmac/nms/iou.hpp"

// The batch loop of a query and the cell lookups in loops over boxes must inline: GCC's inliner
// otherwise can leave them out of line (depending on what else inlines around them), and a call
// in a loop keeps its state in memory: whole calls came out 10-30% slower.
#if defined(__GNUC__)
#define TARMAC_DETAIL_ALWAYS_INLINE __attribute__((always_inline))
#else
#define TARMAC_DETAIL_ALWAYS_INLINE
#endif

namespace tarmac::nms {
namespace detail {

// What the last simd call on this thread did, so that tests can bound the work, not the time.
struct simd_work {
  std::size_t lanes_scanned = 0;  // IoU lanes evaluated
  std::size_t rows_visited = 0;   // rows of grid cells looked up
  std::size_t levels = 0;         // size levels, one grid each
};

inline simd_work& last_simd_work() {
  thread_local simd_work work;
  return work;
}

// Where a kept box finds the boxes it may suppress. The input check keeps every area 0 or in
// [smallest normal, max/2], and a continuous box of area 0 overlaps nothing. Along one axis, for
// boxes i, j with computed extents w_i, w_j (u: T's unit roundoff, every step correctly rounded):
//  - a computed IoU above t means inter > t * union exactly (t is a T; rounding is monotone);
//  - overlaps come out no larger than the extents (monotone rounding) and the 2D IoU is at most
//    the 1D IoU, so the overlap o > t'/(1+t') (w_i + w_j), t' = t - 10u (rounded products and
//    sums; an intersection that underflows errs by at most u times the union);
//  - 2 |c_i - c_j| = |dx1| + |dx2| = w_i + w_j - 2o for the exact centres and extents, which lie
//    within 2u (plus u pixel when pixel_inclusive, where extents are >= 1) of the computed ones,
//    so |c_i - c_j| < ((1-t')/(1+t') + 6u) (w_i + w_j) / 2, even for t near 1;
//  - o <= min(w_i, w_j) gives t' w_i < w_j < w_i / t', hence t' s_i < s_j < s_i / t' for the size
//    s = max(width, height).
// The radius takes t_low = t - 64u and adds 16u, which also covers the double arithmetic of the
// bound, plus 2^-50 (|c| + w_i + w_j) + 2^-1072 for centres and windows rounded relative to their
// coordinate (or to the smallest subnormal double). Nothing in it is global: a giant box widens no
// other box's radius.
class pruning_bound {
 public:
  template <class T>
  explicit pruning_bound(T threshold) {
    const double u = std::numeric_limits<T>::epsilon() / 2;
    t_low_ = std::max(0.0, double(threshold) - 64 * u);
    half_coef_ = ((1 - t_low_) / (1 + t_low_) + 16 * u) / 2;
    inv_t_ = t_low_ > 0 ? 1 / t_low_ : std::numeric_limits<double>::infinity();
  }

  // Half-width of the centre window where a box of extent w meets boxes of extent <= w_max,
  // without the rounding term.
  double reach(double w, double w_max) const { return half_coef_ * (w + std::min(w_max, w * inv_t_)); }

  // The term for rounding relative to the coordinate, for a box centred at c.
  static double rounding(double c, double w, double w_max) {
    return 0x1p-50 * (std::abs(c) + w + w_max) + 0x1p-1072;
  }

  // The whole radius.
  double radius(double w, double c, double w_max) const { return reach(w, w_max) + rounding(c, w, w_max); }

  // Whether a box of size s can meet a box whose size lies in [s_min, s_max].
  bool may_meet(double s, double s_min, double s_max) const { return s_max > t_low_ * s && s_min * t_low_ < s; }

 private:
  double t_low_ = 0, half_coef_ = 0, inv_t_ = 0;
};

// A monotone map from a centre coordinate to a column (or row): cells of one size over segments
// of centres, skipping the gaps between segments, so that a far box adds a cell instead of a span
// that crowds every other box into a few cells. Any monotone map keeps the pruning exact: a
// window [c - r, c + r] maps to the cells [cell(c - r), cell(c + r)], which hold every centre in it.
class grid_axis {
 public:
  struct segment {
    double start = 0;       // its first centre
    double last = 0;        // its last cell, counted from its first
    std::size_t first = 0;  // its first cell
  };

  // What finding a cell reads: small and trivially copyable, so that a loop keeps it in registers.
  struct map {
    double inv_cell = 1;
    segment head;                   // the first segment, the only one unless centres lie far apart
    const segment* tail = nullptr;  // the others, by start
    std::size_t tail_size = 0;
    std::size_t cells = 1;

    TARMAC_DETAIL_ALWAYS_INLINE std::size_t operator()(double v) const {
      if (tail_size == 0) return offset(head, v);
      const segment* after =
          std::upper_bound(tail, tail + tail_size, v, [](double x, const segment& s) { return x < s.start; });
      const segment& s = after == tail ? head : after[-1];
      return s.first + offset(s, v);
    }

    // The cell within segment s.
    TARMAC_DETAIL_ALWAYS_INLINE std::size_t offset(const segment& s, double v) const {
      const double c = std::floor((v - s.start) * inv_cell);
      return static_cast<std::size_t>(static_cast<std::int64_t>(c > 0 ? std::min(c, s.last) : 0.0));
    }
  };

  grid_axis() = default;
  grid_axis(grid_axis&&) noexcept = default;  // moves keep tail_'s buffer, where map_ points
  grid_axis& operator=(grid_axis&&) noexcept = default;

  const map& mapping() const { return map_; }
  std::size_t cells() const { return map_.cells; }
  std::size_t cell(double v) const { return map_(v); }

  // One segment over [lo, hi].
  void uniform(double lo, double hi, double cell) {
    reset(cell);
    add_segment(lo, hi);
    done();
  }

  // Segments over ascending centres, split where neighbours lie more than `gap` cells apart.
  void segmented(std::span<const double> ascending, double cell, double gap) {
    reset(cell);
    std::size_t begin = 0;
    for (std::size_t i = 1; i <= ascending.size(); ++i)
      if (i == ascending.size() || (ascending[i] - ascending[i - 1]) * map_.inv_cell > gap) {
        add_segment(ascending[begin], ascending[i - 1]);
        begin = i;
      }
    done();
  }

 private:
  void reset(double cell) {
    map_.inv_cell = cell > 0 ? std::min(1 / cell, std::numeric_limits<double>::max()) : 0;
    map_.cells = 0;
    tail_.clear();
  }

  void add_segment(double lo, double hi) {
    const double span = (hi - lo) * map_.inv_cell;
    const segment s{lo, span > 0 ? std::floor(std::min(span, 1e9)) : 0, map_.cells};
    (map_.cells == 0 ? map_.head : tail_.emplace_back()) = s;
    map_.cells += static_cast<std::size_t>(s.last) + 1;
  }

  void done() {
    map_.tail = tail_.data();
    map_.tail_size = tail_.size();
  }

  map map_;
  std::vector<segment> tail_;
};

// Sorts doubles (none NaN) ascending: an LSD radix sort on their bits, a byte a pass, skipping
// bytes that all share. std::sort of 100k centres took longer than the rest of a call.
inline void sort_ascending(std::vector<double>& values, std::vector<std::uint64_t>& keys,
                           std::vector<std::uint64_t>& spare) {
  constexpr std::uint64_t sign = std::uint64_t(1) << 63;
  keys.resize(values.size());
  spare.resize(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    const auto bits = std::bit_cast<std::uint64_t>(values[i]);
    keys[i] = bits & sign ? ~bits : bits | sign;  // unsigned order = numeric order
  }
  for (int shift = 0; shift < 64 && !keys.empty(); shift += 8) {
    std::array<std::size_t, 257> start{};
    for (std::uint64_t k : keys) ++start[(k >> shift & 255) + 1];
    if (start[(keys[0] >> shift & 255) + 1] == keys.size()) continue;
    for (std::size_t b = 1; b < start.size(); ++b) start[b] += start[b - 1];
    for (std::uint64_t k : keys) spare[start[k >> shift & 255]++] = k;
    keys.swap(spare);
  }
  for (std::size_t i = 0; i < values.size(); ++i)
    values[i] = std::bit_cast<double>(keys[i] & sign ? keys[i] & ~sign : ~keys[i]);
}

// Reused from call to call (one per thread, see greedy below): the buffers keep their
// capacity, so a call touches no fresh memory; on this project's VMs a first touch costs
// about 10 us per 4 KiB page, a quarter of the time of a 100k-box call.
template <coords C, class T>
class centre_grid_nms {
  using batch = xsimd::batch<T>;
  static constexpr std::size_t lanes = batch::size;
  static constexpr std::uint32_t removed = std::numeric_limits<std::uint32_t>::max();  // processed or suppressed
  static constexpr std::uint32_t isolated = removed - 1;  // area 0 (continuous): overlaps nothing, in no grid
  template <class U>
  using aligned = std::vector<U, xsimd::aligned_allocator<U>>;

  // Boxes are grouped into levels by size s = max(width, height), each with its own grid: a level
  // holds the sizes whose binary exponent is at most 8 above its smallest, so the usual spans make
  // one level, and a small box looks for a giant one in the giant boxes' coarse grid: one giant
  // box costs the others a cell, not a radius as large as itself.
  static constexpr int octaves_per_level = 8;

  struct level_stats {
    std::size_t boxes = 0;
    double max_w = 0, max_h = 0;
    double min_s = std::numeric_limits<double>::infinity(), max_s = 0;
    double lo_x = std::numeric_limits<double>::infinity(), hi_x = -lo_x, lo_y = lo_x, hi_y = -lo_x;
    double reach_x = 0, reach_y = 0;  // summed over its boxes, into this level

    void add(double w, double h, double cx, double cy) {
      ++boxes;
      max_w = std::max(max_w, w), max_h = std::max(max_h, h);
      min_s = std::min(min_s, size_of(w, h)), max_s = std::max(max_s, size_of(w, h));
      lo_x = std::min(lo_x, cx), hi_x = std::max(hi_x, cx), lo_y = std::min(lo_y, cy), hi_y = std::max(hi_y, cy);
    }
  };

  struct level {
    level_stats stats;
    grid_axis ax, ay;
    std::size_t base = 0;  // its first cell
    bool coarse = false;   // its cells had to grow to stay within its box count

    std::size_t cells() const { return ax.cells() * ay.cells(); }
    std::size_t cell(double cx, double cy) const { return base + ay.cell(cy) * ax.cells() + ax.cell(cx); }
  };

  // A level's cells as values, for loops over many boxes of one level.
  struct level_map {
    grid_axis::map x, y;
    std::size_t base;
    explicit level_map(const level& lv) : x(lv.ax.mapping()), y(lv.ay.mapping()), base(lv.base) {}
    std::size_t operator()(double cx, double cy) const { return base + y(cy) * x.cells + x(cx); }
  };

 public:
  std::vector<std::size_t> run(std::span<const box<T>> boxes, std::span<const std::uint32_t> order,
                               T threshold, std::size_t max_keep) {
    prepare(boxes, order, threshold);
    auto keep = suppress(order, max_keep);
    work_.levels = levels_.size();
    last_simd_work() = work_;
    return keep;
  }

 private:
  void prepare(std::span<const box<T>> boxes, std::span<const std::uint32_t> order, T threshold) {
    const std::size_t m = order.size();
    threshold_ = threshold;
    bound_ = pruning_bound(threshold);
    work_ = {};
    newly_suppressed_ = scanned_ = 0;
    for (auto* v : {&cx_, &cy_, &rx_, &ry_}) v->resize(m);
    sorted_.resize(m);
    area_.resize(m);
    // Locals, not a level_stats: stores to the arrays of doubles would keep its fields in memory.
    const double inf = std::numeric_limits<double>::infinity();
    double max_w = 0, max_h = 0, min_w = inf, min_h = inf, lo_x = inf, hi_x = -inf, lo_y = inf, hi_y = -inf;
    std::size_t in_grid = 0;
    for (std::size_t r = 0; r < m; ++r) {
      const box<T>& b = sorted_[r] = boxes[order[r]];
      area_[r] = area<C>(b);
      if (area_[r] == T(0)) {
        rx_[r] = ry_[r] = cx_[r] = cy_[r] = 0;
        continue;
      }
      // Extents, until own_radii() turns them into radii.
      const double w = rx_[r] = static_cast<double>(extent<C>(b.x1, b.x2));
      const double h = ry_[r] = static_cast<double>(extent<C>(b.y1, b.y2));
      const double cx = cx_[r] = 0.5 * double(b.x1) + 0.5 * double(b.x2);  // halves: a double sum may overflow
      const double cy = cy_[r] = 0.5 * double(b.y1) + 0.5 * double(b.y2);
      ++in_grid;
      max_w = std::max(max_w, w), max_h = std::max(max_h, h), min_w = std::min(min_w, w), min_h = std::min(min_h, h);
      lo_x = std::min(lo_x, cx), hi_x = std::max(hi_x, cx), lo_y = std::min(lo_y, cy), hi_y = std::max(hi_y, cy);
    }
    // max(min_w, min_h) is at most the smallest size, which assign_levels works out if it matters.
    assign_levels({in_grid, max_w, max_h, std::max(min_w, min_h), std::max(max_w, max_h), lo_x, hi_x, lo_y, hi_y});
    own_radii(m);
    for (level& lv : levels_) uniform_grid(lv);
    count_cells(m);
    // A coarse grid whose cells come out crowded has far-apart groups of centres to blame.
    bool crowded_any = false;
    for (std::size_t l = 0; l < levels_.size(); ++l)
      if (levels_[l].coarse && crowded(levels_[l])) {
        segmented_grid(l);
        crowded_any = true;
      }
    if (crowded_any) count_cells(m);
    build(m);
  }

  // Each box's radius in its own level (replacing the extents in rx_, ry_), and each level's
  // summed reach, for its cell size. One level (the usual case) sums in registers, with no branch.
  void own_radii(std::size_t m) {
    // Copies and spans, which stores to the arrays cannot alias: the loop can then vectorise.
    const pruning_bound bound = bound_;
    const std::span<double> rx(rx_), ry(ry_);
    const std::span<const double> cx(cx_), cy(cy_);
    auto radius = [&](std::size_t r, double max_w, double max_h, double& sum_x, double& sum_y) {
      const double reach_x = bound.reach(rx[r], max_w), reach_y = bound.reach(ry[r], max_h);
      sum_x += reach_x, sum_y += reach_y;
      rx[r] = reach_x + pruning_bound::rounding(cx[r], rx[r], max_w);
      ry[r] = reach_y + pruning_bound::rounding(cy[r], ry[r], max_h);
    };
    if (levels_.size() == 1) {
      // Isolated boxes have extents 0 here and add at most a typical reach: a heuristic can take that.
      level_stats& s = levels_[0].stats;
      const double max_w = s.max_w, max_h = s.max_h;
      double x = 0, y = 0;
      for (std::size_t r = 0; r < m; ++r) radius(r, max_w, max_h, x, y);
      s.reach_x = x, s.reach_y = y;
      return;
    }
    for (std::size_t r = 0; r < m; ++r) {
      if (outside(r)) continue;
      level_stats& s = levels_[level_of_rank_[r]].stats;
      radius(r, s.max_w, s.max_h, s.reach_x, s.reach_y);
    }
  }

  std::size_t level_of(std::size_t r) const { return levels_.size() > 1 ? level_of_rank_[r] : 0; }

  // Until build() marks them isolated: a continuous box of area 0 overlaps nothing and takes no cell.
  bool outside(std::size_t r) const { return area_[r] == T(0); }

  // One level, unless sizes span more than 2^octaves_per_level; then levels_ and level_of_rank_.
  // rx_ and ry_ hold the extents; all.min_s may be below the smallest size.
  void assign_levels(level_stats all) {
    auto one_level = [&] {
      levels_.resize(all.boxes ? 1 : 0);
      if (all.boxes) levels_[0].stats = all;
    };
    const int high = all.boxes ? exponent(all.max_s) : 0;
    if (!all.boxes || high - exponent(all.min_s) <= octaves_per_level) return one_level();
    all.min_s = std::numeric_limits<double>::infinity();
    for (std::size_t r = 0; r < area_.size(); ++r)
      if (!outside(r)) all.min_s = std::min(all.min_s, size_of(rx_[r], ry_[r]));
    const int low = exponent(all.min_s);
    if (high - low <= octaves_per_level) return one_level();
    // Octaves counted from the smallest size: which are occupied, then which level each goes to,
    // from the smallest up (a level starts at the first occupied octave it cannot take).
    level_of_rank_.resize(area_.size());
    level_index_.assign(std::size_t(high - low) + 1, 0);
    for (std::size_t r = 0; r < level_of_rank_.size(); ++r) {
      if (outside(r)) continue;
      level_of_rank_[r] = static_cast<std::uint16_t>(exponent(size_of(rx_[r], ry_[r])) - low);
      level_index_[level_of_rank_[r]] = 1;
    }
    std::uint32_t count = 0;
    for (std::size_t octave = 0, first = 0; octave < level_index_.size(); ++octave) {
      if (!level_index_[octave]) continue;
      if (count == 0 || octave - first > octaves_per_level) first = octave, ++count;
      level_index_[octave] = count - 1;
    }
    levels_.resize(count);
    for (auto& l : levels_) l.stats = {};
    for (std::size_t r = 0; r < level_of_rank_.size(); ++r) {
      if (outside(r)) continue;
      level_of_rank_[r] = static_cast<std::uint16_t>(level_index_[level_of_rank_[r]]);
      levels_[level_of_rank_[r]].stats.add(rx_[r], ry_[r], cx_[r], cy_[r]);
    }
  }

  // A box's size s. Kept out of the usual path's loops over all boxes: compilers may turn it into
  // a branch on which side is larger, which is unpredictable (it made prepare() 30% slower).
  static double size_of(double w, double h) { return std::max(w, h); }

  // The binary exponent of a size, which is a positive normal double (a float extent is one in
  // double, and a double box of nonzero area has max(w, h) >= sqrt(smallest normal)).
  static int exponent(double s) { return int(std::bit_cast<std::uint64_t>(s) >> 52) - 1023; }

  // Cells of half the typical reach: a query then reads a few rows of a few cells. Never more
  // cells than boxes, so building and scanning the grid stays O(n).
  template <class LayOut>
  static void fit_cells(level& lv, LayOut lay_out) {
    const level_stats& s = lv.stats;
    const double budget = double(std::max<std::size_t>(s.boxes, 1));
    const double cell_x = s.reach_x / double(s.boxes) / 2, cell_y = s.reach_y / double(s.boxes) / 2;
    for (double scale = 1;; scale *= 1.5) {
      lay_out(cell_x * scale, cell_y * scale);
      if (double(lv.ax.cells()) * double(lv.ay.cells()) <= budget) {
        lv.coarse = scale > 1;
        return;
      }
    }
  }

  static void uniform_grid(level& lv) {
    fit_cells(lv, [&](double x, double y) {
      lv.ax.uniform(lv.stats.lo_x, lv.stats.hi_x, x);
      lv.ay.uniform(lv.stats.lo_y, lv.stats.hi_y, y);
    });
  }

  // Cells that skip the gaps between far-apart groups of centres (see grid_axis), at the cost of
  // sorting the level's centres.
  void segmented_grid(std::size_t l) {
    for (auto* v : {&xs_, &ys_}) v->clear();
    for (std::uint32_t r : ranks_of(l)) xs_.push_back(cx_[r]), ys_.push_back(cy_[r]);
    sort_ascending(xs_, keys_, spare_keys_);
    sort_ascending(ys_, keys_, spare_keys_);
    constexpr double gap_cells = 4;
    fit_cells(levels_[l], [&](double x, double y) {
      levels_[l].ax.segmented(xs_, x, gap_cells);
      levels_[l].ay.segmented(ys_, y, gap_cells);
    });
  }

  // Whether a box of the level shares its cell with more than 16 others, on average (from the
  // cell counts of count_cells).
  bool crowded(const level& lv) const {
    double pairs = 0;
    for (std::size_t c = lv.base; c < lv.base + lv.cells(); ++c)
      pairs += double(cell_start_[c + 1]) * double(cell_start_[c + 1]);
    return pairs > 16.0 * double(lv.stats.boxes);
  }

  // The ranks of level l's boxes (grouped for all levels on first use in a call).
  std::span<const std::uint32_t> ranks_of(std::size_t l) {
    if (level_start_.size() != levels_.size() + 1) {
      level_start_.assign(levels_.size() + 1, 0);
      for (std::size_t r = 0; r < area_.size(); ++r)
        if (!outside(r)) ++level_start_[level_of(r) + 1];
      for (std::size_t k = 1; k < level_start_.size(); ++k) level_start_[k] += level_start_[k - 1];
      by_level_.resize(level_start_.back());
      next_.assign(level_start_.begin(), level_start_.end() - 1);
      for (std::size_t r = 0; r < area_.size(); ++r)
        if (!outside(r)) by_level_[next_[level_of(r)]++] = static_cast<std::uint32_t>(r);
    }
    return std::span<const std::uint32_t>(by_level_).subspan(level_start_[l], level_start_[l + 1] - level_start_[l]);
  }

  // Each box's cell, and each cell's box count in cell_start_[cell + 1].
  void count_cells(std::size_t m) {
    std::size_t cells = 0;
    for (level& lv : levels_) {
      lv.base = cells;
      cells += lv.cells();
    }
    cell_start_.assign(cells + 1, 0);
    cell_of_rank_.resize(m);
    level_start_.clear();  // ranks_of regroups
    // Spans, so that the compiler need not reload the vectors' buffers after each store.
    const std::span<const T> area(area_);
    const std::span<const double> cx(cx_), cy(cy_);
    const std::span<std::uint32_t> cell_of(cell_of_rank_), count(cell_start_);
    auto count_with = [&](auto cell_at) {
      for (std::size_t r = 0; r < m; ++r) {
        if (area[r] == T(0)) continue;  // outside(r)
        cell_of[r] = static_cast<std::uint32_t>(cell_at(r));
        ++count[cell_of[r] + 1];
      }
    };
    // With one level, its grid stays in registers.
    if (levels_.size() == 1)
      count_with([only = level_map(levels_[0]), cx, cy](std::size_t r) { return only(cx[r], cy[r]); });
    else
      count_with([&](std::size_t r) { return levels_[level_of_rank_[r]].cell(cx[r], cy[r]); });
  }

  std::vector<std::size_t> suppress(std::span<const std::uint32_t> order, std::size_t max_keep) {
    std::vector<std::size_t> keep;
    std::size_t last_compaction = 0;
    for (std::size_t r = 0; r < order.size() && keep.size() < max_keep; ++r) {
      const std::uint32_t p = pos_of_rank_[r];
      if (p == removed || (p != isolated && flag_[p] != T(0))) continue;
      keep.push_back(order[r]);
      if (keep.size() == max_keep || p == isolated) continue;
      scanned_ += threshold_ > T(0) ? suppress_neighbours<false>(r) : suppress_neighbours<true>(r);
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

  // From count_cells' counts: boxes in cell order.
  void build(std::size_t m) {
    for (std::size_t c = 1; c < cell_start_.size(); ++c) cell_start_[c] += cell_start_[c - 1];
    const std::size_t in_grid = cell_start_.back();
    resize(in_grid);
    next_.assign(cell_start_.begin(), cell_start_.end() - 1);
    pos_of_rank_.resize(m);
    for (std::size_t r = 0; r < m; ++r) {
      if (outside(r)) {
        pos_of_rank_[r] = isolated;
        continue;
      }
      const std::uint32_t p = next_[cell_of_rank_[r]]++;
      place(p, sorted_[r], area_[r]);
      rank_at_[p] = static_cast<std::uint32_t>(r);
      cell_at_[p] = cell_of_rank_[r];
      pos_of_rank_[r] = p;
    }
    live_ = in_grid;
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

  // Returns the number of lanes it scanned. ZeroThreshold: t is 0, where any overlap suppresses.
  template <bool ZeroThreshold>
  std::size_t suppress_neighbours(std::size_t r) {
    const box<T>& b = sorted_[r];
    const batch bx1(b.x1), by1(b.y1), bx2(b.x2), by2(b.y2), ba(area_[r]);
    std::size_t run_begin = 0, run_end = 0, scanned = 0, rows = 0;
    // A division costs as much as the rest of the IoU; most candidates are far below the
    // threshold, so a batch is divided (exactly as every policy divides) only when some lane
    // passes inter >= t * union (inter > 0 when t = 0). A lane whose computed IoU exceeds t
    // passes: then inter / union > t exactly, and rounding t * union cannot pass the T inter
    // above it, subnormal or not (rounding is monotone).
    const batch exact_t(threshold_), zero(T(0)), one(T(1));
    // Newly suppressed boxes, counted per lane and added up once at the end: cheaper than a
    // horizontal add per batch, which for double on AVX-512 also trips GCC 12's false
    // maybe-uninitialized warnings inside its intrinsics (GCC bug 105593).
    batch newly(T(0));
    bool hits = false;
    auto flush = [&]() TARMAC_DETAIL_ALWAYS_INLINE {
      for (std::size_t k = run_begin / lanes * lanes; k < run_end; k += lanes, scanned += lanes) {
        const auto [inter, uni] = overlap_and_union<C>(bx1, by1, bx2, by2, ba, batch::load_aligned(&x1_[k]),
                                                       batch::load_aligned(&y1_[k]), batch::load_aligned(&x2_[k]),
                                                       batch::load_aligned(&y2_[k]), batch::load_aligned(&area_at_[k]));
        if (ZeroThreshold ? !xsimd::any(inter > zero) : !xsimd::any(inter >= exact_t * uni)) continue;
        const batch v = xsimd::select(uni > zero, inter / uni, zero);
        const batch flag = batch::load_aligned(&flag_[k]);
        const auto hit = v > exact_t;
        newly += xsimd::select(hit && flag == zero, one, zero);
        hits = true;
        xsimd::select(hit, one, flag).store_aligned(&flag_[k]);
      }
    };
    const double cx = cx_[r], cy = cy_[r];
    auto scan = [&](const level& lv, double rx, double ry) TARMAC_DETAIL_ALWAYS_INLINE {
      const grid_axis::map &x = lv.ax.mapping(), &y = lv.ay.mapping();
      const std::size_t cx0 = x(cx - rx), cx1 = x(cx + rx), cy0 = y(cy - ry), cy1 = y(cy + ry);
      const std::size_t base = lv.base, stride = x.cells;
      rows += cy1 - cy0 + 1;
      // Rows of cells are contiguous in memory; consecutive rows often join into one run.
      for (std::size_t row = cy0; row <= cy1; ++row) {
        const std::size_t first = base + row * stride;
        const std::size_t b0 = cell_start_[first + cx0], e = cell_start_[first + cx1 + 1];
        if (b0 == e) continue;
        if (b0 != run_end) {
          flush();
          run_begin = b0;
        }
        run_end = e;
      }
    };
    // Its own level with the radii from prepare(), then the other levels it may meet.
    const std::size_t own = level_of(r);
    scan(levels_[own], rx_[r], ry_[r]);
    if (levels_.size() > 1) {
      const double w = static_cast<double>(extent<C>(b.x1, b.x2)), h = static_cast<double>(extent<C>(b.y1, b.y2));
      for (std::size_t l = 0; l < levels_.size(); ++l) {
        const level_stats& s = levels_[l].stats;
        if (l != own && bound_.may_meet(size_of(w, h), s.min_s, s.max_s))
          scan(levels_[l], bound_.radius(w, cx, s.max_w), bound_.radius(h, cy, s.max_h));
      }
    }
    flush();
    if (hits) {
      std::array<T, lanes> per_lane;
      newly.store_unaligned(per_lane.data());
      for (const T n : per_lane) newly_suppressed_ += static_cast<std::size_t>(n);
    }
    work_.lanes_scanned += scanned;
    work_.rows_visited += rows;
    return scanned;
  }

  // Keeps only boxes not yet processed and not suppressed, in cell order. Without a branch: which
  // boxes survive is as good as random (classic t = 0.7: 4,600 mispredictions a call). Every box
  // is copied to w <= p, and only a survivor moves w on (pad() overwrites what lies past it).
  void compact(std::size_t processed) {
    std::uint32_t w = 0;
    for (std::size_t p = 0; p < live_; ++p) {
      const std::uint32_t r = rank_at_[p];
      const std::uint32_t survives = (r > processed) & (flag_[p] == T(0));
      x1_[w] = x1_[p], y1_[w] = y1_[p], x2_[w] = x2_[p], y2_[w] = y2_[p];
      area_at_[w] = area_at_[p], flag_[w] = T(0), rank_at_[w] = r, cell_at_[w] = cell_at_[p];
      pos_of_rank_[r] = w | (survives - 1);  // w, or removed (all ones)
      w += survives;
    }
    const std::size_t stale_until = std::min(x1_.size(), (live_ + lanes - 1) / lanes * lanes + lanes);
    live_ = w;
    std::fill(cell_start_.begin(), cell_start_.end(), 0u);
    for (std::size_t p = 0; p < live_; ++p) ++cell_start_[cell_at_[p] + 1];
    for (std::size_t c = 1; c < cell_start_.size(); ++c) cell_start_[c] += cell_start_[c - 1];
    pad(stale_until);
  }

  T threshold_ = 0;
  pruning_bound bound_{T(0)};
  std::vector<box<T>> sorted_;  // by rank (decreasing score)
  std::vector<T> area_;
  std::vector<double> cx_, cy_, rx_, ry_;  // centre, and radius in its own level, per rank
  std::vector<level> levels_;             // by increasing size
  std::vector<std::uint16_t> level_of_rank_;  // when there are several levels
  // Scratch for levels and crowded grids.
  std::vector<std::uint32_t> level_index_, level_start_, by_level_;
  std::vector<double> xs_, ys_;
  std::vector<std::uint64_t> keys_, spare_keys_;
  // Cell-ordered structure of arrays, padded to whole batches.
  aligned<T> x1_, y1_, x2_, y2_, area_at_, flag_;
  std::vector<std::uint32_t> rank_at_, cell_at_, pos_of_rank_, cell_start_, cell_of_rank_, next_;
  std::size_t live_ = 0;
  std::size_t newly_suppressed_ = 0, scanned_ = 0;  // since the last compaction
  simd_work work_;
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
