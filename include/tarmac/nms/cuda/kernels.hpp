#pragma once
// The bodies of the CUDA policy's kernels, written once. nvcc compiles them as device code for
// the kernels of tarmac/nms/cuda.cuh; any C++20 compiler compiles them as host code, so the tests
// run this very code on a CPU, a std::thread per CUDA thread and a std::barrier for
// __syncthreads (tests/nms/test_cuda_kernels.cpp). A Block gives thread(), size(), sync(), and
// for the 32 threads of a warp together, ballot(bool) (a bit per lane) and warp_or(mask_word).
#include <cstddef>
#include <cstdint>

#include "tarmac/nms/types.hpp"

#ifdef __CUDACC__
#define TARMAC_NMS_KERNEL_FN __device__ inline
#else
#include <algorithm>
#include <bit>

#include "tarmac/nms/iou.hpp"
#define TARMAC_NMS_KERNEL_FN inline
#endif

namespace tarmac::nms::detail {

using mask_word = unsigned long long;
constexpr std::uint32_t tile = 64;  // boxes per mask word: rows per tile, threads of a mask block

// Correctly rounded float steps that no compiler may fuse into an FMA, so that the GPU makes the
// CPU's decisions (iou.hpp's rounded() does the same on the host).
#ifdef __CUDACC__
TARMAC_NMS_KERNEL_FN float add_rn(float a, float b) { return __fadd_rn(a, b); }
TARMAC_NMS_KERNEL_FN float sub_rn(float a, float b) { return __fsub_rn(a, b); }
TARMAC_NMS_KERNEL_FN float mul_rn(float a, float b) { return __fmul_rn(a, b); }
TARMAC_NMS_KERNEL_FN float div_rn(float a, float b) { return __fdiv_rn(a, b); }
TARMAC_NMS_KERNEL_FN float larger(float a, float b) { return fmaxf(a, b); }
TARMAC_NMS_KERNEL_FN float smaller(float a, float b) { return fminf(a, b); }
TARMAC_NMS_KERNEL_FN std::uint32_t float_bits(float f) { return __float_as_uint(f); }
TARMAC_NMS_KERNEL_FN std::uint32_t bit_count(mask_word w) { return std::uint32_t(__popcll(w)); }
#else
inline float add_rn(float a, float b) { return rounded(a + b); }
inline float sub_rn(float a, float b) { return rounded(a - b); }
inline float mul_rn(float a, float b) { return rounded(a * b); }
inline float div_rn(float a, float b) { return a / b; }
inline float larger(float a, float b) { return std::max(a, b); }
inline float smaller(float a, float b) { return std::min(a, b); }
inline std::uint32_t float_bits(float f) { return std::bit_cast<std::uint32_t>(f); }
inline std::uint32_t bit_count(mask_word w) { return std::uint32_t(std::popcount(w)); }
#endif
TARMAC_NMS_KERNEL_FN std::uint32_t smaller(std::uint32_t a, std::uint32_t b) { return a < b ? a : b; }

template <coords C>
TARMAC_NMS_KERNEL_FN float extent_rn(float lo, float hi) {
  return C == coords::pixel_inclusive ? add_rn(sub_rn(hi, lo), 1.0f) : sub_rn(hi, lo);
}

// iou.hpp's area, overlap and union, operation for operation.
template <coords C>
TARMAC_NMS_KERNEL_FN float area_rn(float x1, float y1, float x2, float y2) {
  return mul_rn(extent_rn<C>(x1, x2), extent_rn<C>(y1, y2));
}

struct overlap {
  float inter, uni;
};

template <coords C>
TARMAC_NMS_KERNEL_FN overlap overlap_rn(float ax1, float ay1, float ax2, float ay2, float aa, float bx1, float by1,
                                        float bx2, float by2, float ab) {
  const float w = larger(0.0f, extent_rn<C>(larger(ax1, bx1), smaller(ax2, bx2)));
  const float h = larger(0.0f, extent_rn<C>(larger(ay1, by1), smaller(ay2, by2)));
  const float inter = mul_rn(w, h);
  return {inter, sub_rn(add_rn(aa, ab), inter)};
}

// iou.hpp's "IoU > threshold" for a threshold in [0, 1]: boxes that do not overlap (most pairs)
// have IoU 0 and need no division.
template <coords C>
TARMAC_NMS_KERNEL_FN bool suppresses_rn(float ax1, float ay1, float ax2, float ay2, float aa, float bx1, float by1,
                                        float bx2, float by2, float ab, float threshold) {
  const overlap o = overlap_rn<C>(ax1, ay1, ax2, ay2, aa, bx1, by1, bx2, by2, ab);
  return o.inter > 0.0f && o.uni > 0.0f && div_rn(o.inter, o.uni) > threshold;
}

// Sort key for an ascending radix sort that orders scores from highest to lowest (-0 as +0).
TARMAC_NMS_KERNEL_FN std::uint32_t descending_key(float score) {
  const std::uint32_t bits = float_bits(score + 0.0f);
  return bits & 0x80000000u ? bits : ~(bits | 0x80000000u);
}

// Boxes in rank order, one array per coordinate, with their areas.
struct device_soa {
  float *x1, *y1, *x2, *y2, *area;
};

// A column tile's boxes, staged in shared memory by a mask block.
struct column_boxes {
  float x1[tile], y1[tile], x2[tile], y2[tile], area[tile];
};

// One block of the suppression mask, one thread per row of row_tile (64 threads): bit k of
// mask[(row - row_begin) * words + column_tile] says that row suppresses column column_tile*64 + k.
// Only the upper triangle (columns after the row) is written; m is the number of ranked boxes.
// Blocks on the diagonal also write earlier[row - row_begin] (unless null): the rows of its own
// tile before it that suppress it. IoU is symmetric to the bit (min, max, + and * commute), so
// that is the transpose of the upper triangle, for the greedy pass's column-wise decisions.
template <coords C, class Block>
TARMAC_NMS_KERNEL_FN void suppression_mask_block(const Block& block, column_boxes& columns, device_soa soa, std::uint32_t m,
                                                 std::uint32_t row_tile, std::uint32_t column_tile, std::uint32_t row_begin,
                                                 std::uint32_t row_end, std::uint32_t words, float threshold,
                                                 mask_word* mask, mask_word* earlier) {
  if (column_tile < row_tile || row_tile * tile >= m || column_tile * tile >= m) return;  // the whole block
  const std::uint32_t lane = block.thread();
  const std::uint32_t c = column_tile * tile + lane;
  if (c < m) {
    columns.x1[lane] = soa.x1[c], columns.y1[lane] = soa.y1[c], columns.x2[lane] = soa.x2[c];
    columns.y2[lane] = soa.y2[c], columns.area[lane] = soa.area[c];
  }
  block.sync();
  const std::uint32_t row = row_tile * tile + lane;
  if (row >= m || row >= row_end) return;
  const float x1 = soa.x1[row], y1 = soa.y1[row], x2 = soa.x2[row], y2 = soa.y2[row], a = soa.area[row];
  mask_word bits = 0;
  const std::uint32_t count = smaller(tile, m - column_tile * tile);
  for (std::uint32_t k = 0; k < count; ++k)
    if (suppresses_rn<C>(x1, y1, x2, y2, a, columns.x1[k], columns.y1[k], columns.x2[k], columns.y2[k], columns.area[k],
                         threshold))
      bits |= mask_word(1) << k;
  if (column_tile == row_tile) {
    const mask_word after = lane + 1 < tile ? ~mask_word(0) << (lane + 1) : 0;
    if (earlier) earlier[row - row_begin] = bits & ~after & ~(mask_word(1) << lane);
    bits &= after;
  }
  mask[std::size_t(row - row_begin) * words + column_tile] = bits;
}

// The greedy pass's shared state, double-buffered by tile parity: while warp 0 resolves tile t,
// the other warps OR tile t-1's kept rows into the later words and fetch tile t+1's words.
struct gather_state {
  mask_word earlier[2][tile];  // per row of a tile, the rows of the tile before it that suppress it
  mask_word next[2][tile];     // per row of a tile, its word at the next column
  std::uint32_t kept_rows[2][tile];
  std::uint32_t kept_in_tile[2];
  std::uint32_t kept_total[2];
};

// The mask of one chunk of rows and where things are.
struct chunk_view {
  const mask_word* mask;
  const mask_word* earlier;    // suppression_mask_block's, per row of the chunk
  std::uint32_t row_begin;     // first row of the chunk (a multiple of 64)
  std::uint32_t rows_end;      // end of the chunk's ranked rows
  std::uint32_t words;         // row stride of the mask
  std::uint32_t column_tiles;  // columns written: ceil(ranked boxes / 64)
  TARMAC_NMS_KERNEL_FN mask_word at(std::uint32_t row, std::uint32_t column) const {
    return mask[std::size_t(row - row_begin) * words + column];
  }
};

// Chunk [row_begin, row_end) of a mask with `words` words a row, over `count` ranked boxes.
TARMAC_NMS_KERNEL_FN chunk_view chunk_of(const mask_word* mask, const mask_word* earlier, std::uint32_t count,
                                         std::uint32_t row_begin, std::uint32_t row_end, std::uint32_t words) {
  return {mask, earlier, row_begin, smaller(count, row_end), words, (count + tile - 1) / tile};
}

constexpr std::uint32_t serial_warp = 32;  // warp 0 resolves tiles; threads from here on help

// Tile t's earlier words and words at the next column, into the buffers of t's parity; thread i of n.
TARMAC_NMS_KERNEL_FN void fetch_tile(gather_state& s, const chunk_view& chunk, std::uint32_t t, std::uint32_t i,
                                     std::uint32_t n) {
  for (; i < 2 * tile; i += n) {
    const std::uint32_t row = t * tile + i % tile;
    if (i < tile)
      s.earlier[t & 1][i] = row < chunk.rows_end ? chunk.earlier[row - chunk.row_begin] : 0;
    else
      s.next[t & 1][i - tile] = row < chunk.rows_end && t + 1 < chunk.column_tiles ? chunk.at(row, t + 1) : 0;
  }
}

// Warp 0's step (lane l holds rows l and l + 32): the greedy decisions inside tile t, given the
// bits removed by earlier tiles. In rounds, a row is kept once no row of the tile before it that
// suppresses it is kept or undecided, and dropped once one of them is kept; the first undecided
// row is settled every round, and suppression chains inside a tile are short, so rounds are few.
// Returns what the kept rows remove in column t+1 (the same on every lane).
template <class Block>
TARMAC_NMS_KERNEL_FN mask_word resolve_tile(const Block& block, std::uint32_t lane, gather_state& s, mask_word removed,
                                            std::uint32_t t, std::uint32_t rows_end, std::uint32_t max_keep,
                                            std::uint32_t* keep) {
  const std::uint32_t p = t & 1, rows = smaller(tile, rows_end - t * tile);
  const mask_word earlier[2] = {s.earlier[p][lane], s.earlier[p][lane + 32]};
  mask_word kept = 0, undecided = ~removed & (rows == tile ? ~mask_word(0) : (mask_word(1) << rows) - 1);
  while (undecided != 0) {
    mask_word keep_now = 0, drop_now = 0;
    for (std::uint32_t half = 0; half < 2; ++half) {
      const bool open = (undecided >> (lane + 32 * half) & 1) != 0;
      keep_now |= mask_word(block.ballot(open && (earlier[half] & (undecided | kept)) == 0)) << (32 * half);
      drop_now |= mask_word(block.ballot(open && (earlier[half] & kept) != 0)) << (32 * half);
    }
    kept |= keep_now;
    undecided &= ~(keep_now | drop_now);
  }
  // Each lane files its own kept rows, by rank, up to max_keep.
  const std::uint32_t before = s.kept_total[p ^ 1], room = max_keep - before;
  mask_word next = 0;
  for (std::uint32_t half = 0; half < 2; ++half) {
    const std::uint32_t r = lane + 32 * half, rank = bit_count(kept & ((mask_word(1) << r) - 1));
    if ((kept >> r & 1) != 0 && rank < room) {
      keep[before + rank] = t * tile + r;
      s.kept_rows[p][rank] = t * tile + r;
      next |= s.next[p][r];
    }
  }
  if (lane == 0) {
    const std::uint32_t n = smaller(bit_count(kept), room);
    s.kept_in_tile[p] = n;
    s.kept_total[p] = before + n;
  }
  return block.warp_or(next);
}

// removed[w] |= the kept rows (of the tile with parity p) at column w, for w in [from,
// column_tiles); thread i of n. Neighbouring threads read neighbouring words of a row.
TARMAC_NMS_KERNEL_FN void remove_after_kept(const gather_state& s, std::uint32_t p, const chunk_view& chunk,
                                            std::uint32_t from, mask_word* removed, std::uint32_t i, std::uint32_t n) {
  const std::uint32_t kept = s.kept_in_tile[p];
  if (kept == 0) return;
  for (std::uint32_t w = from + i; w < chunk.column_tiles; w += n) {
    mask_word acc = removed[w];
    for (std::uint32_t k = 0; k < kept; ++k) acc |= chunk.at(s.kept_rows[p][k], w);
    removed[w] = acc;
  }
}

// The greedy pass over one chunk's rows, one block of more than 32 threads. It continues from the
// removed set (removed_global, ceil(count/64) words) and the keep list (keep, keep_count) left by
// earlier chunks, and leaves them for the next. `removed` is the block's copy (shared memory).
// One barrier per tile: warp 0's serial work on tile t overlaps the helpers' work for t-1 and
// t+1, and everything one side writes in an iteration the other reads only after the barrier.
template <class Block>
TARMAC_NMS_KERNEL_FN void gather_keep_block(const Block& block, gather_state& s, mask_word* removed, const chunk_view& chunk,
                                            std::uint32_t max_keep, mask_word* removed_global, std::uint32_t* keep,
                                            std::uint32_t* keep_count) {
  const std::uint32_t id = block.thread(), threads = block.size();
  const std::uint32_t first = chunk.row_begin / tile, last = (chunk.rows_end + tile - 1) / tile;
  for (std::uint32_t w = first + id; w < chunk.column_tiles; w += threads) removed[w] = removed_global[w];
  if (id == 0) {
    s.kept_total[(first - 1) & 1] = *keep_count;
    s.kept_in_tile[(first - 1) & 1] = 0;
  }
  fetch_tile(s, chunk, first, id, threads);
  block.sync();
  mask_word carry = 0;  // warp 0's: tile t-1's kept rows at column t
  std::uint32_t t = first;
  for (; t < last && s.kept_total[(t - 1) & 1] < max_keep; ++t) {
    if (id < serial_warp) {
      carry = resolve_tile(block, id, s, removed[t] | carry, t, chunk.rows_end, max_keep, keep);
    } else {
      if (t + 1 < last) fetch_tile(s, chunk, t + 1, id - serial_warp, threads - serial_warp);
      remove_after_kept(s, (t - 1) & 1, chunk, t + 1, removed, id - serial_warp, threads - serial_warp);
    }
    block.sync();
  }
  // The last tile's kept rows, for the chunks after this one.
  remove_after_kept(s, (t - 1) & 1, chunk, t, removed, id, threads);
  block.sync();
  for (std::uint32_t w = first + id; w < chunk.column_tiles; w += threads) removed_global[w] = removed[w];
  if (id == 0) *keep_count = s.kept_total[(t - 1) & 1];
}

}  // namespace tarmac::nms::detail
