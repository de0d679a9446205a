#pragma once
// How the CUDA policy splits its suppression mask into chunks of rows (plain C++, so the
// arithmetic is unit-tested on machines without a GPU).
#include <algorithm>
#include <cstddef>

namespace tarmac::nms::detail {

struct mask_plan {
  std::size_t words;           // 64-bit words per row: ceil(n / 64)
  std::size_t rows_per_chunk;  // a multiple of 64, at least 64
  std::size_t chunks;
  std::size_t chunk_bytes;     // device memory of one chunk of mask
};

// A chunk's row tiles are the mask kernel's grid.y, which CUDA caps at 65535.
constexpr std::size_t max_tiles_per_chunk = 65535;

// Rows per chunk: as many as fit in `budget` bytes, in whole 64-row tiles (at least one, at most
// max_tiles_per_chunk).
inline mask_plan plan_mask(std::size_t n, std::size_t budget) {
  mask_plan p{};
  p.words = std::max<std::size_t>(1, (n + 63) / 64);
  const std::size_t row_bytes = p.words * 8;
  const std::size_t fit = std::clamp<std::size_t>(budget / row_bytes / 64 * 64, 64, max_tiles_per_chunk * 64);
  p.rows_per_chunk = std::min(fit, (std::max<std::size_t>(n, 1) + 63) / 64 * 64);
  p.chunks = (std::max<std::size_t>(n, 1) + p.rows_per_chunk - 1) / p.rows_per_chunk;
  p.chunk_bytes = p.rows_per_chunk * row_bytes;
  return p;
}

}  // namespace tarmac::nms::detail
