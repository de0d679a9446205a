#include <doctest/doctest.h>

#include <tarmac/nms/cuda/plan.hpp>

using tarmac::nms::detail::plan_mask;

TEST_CASE("the CUDA mask is split into chunks of whole 64-row tiles within the budget") {
  // 6000 boxes: 94 words a row, 4.5 MB in all: one chunk.
  auto p = plan_mask(6000, std::size_t(512) << 20);
  CHECK(p.words == 94);
  CHECK(p.chunks == 1);
  CHECK(p.rows_per_chunk == 6016);
  // 100k boxes: 1563 words (12,504 bytes) a row, 1.25 GB in all: three chunks of 42,880 rows.
  p = plan_mask(100000, std::size_t(512) << 20);
  CHECK(p.words == 1563);
  CHECK(p.rows_per_chunk == 42880);
  CHECK(p.chunks == 3);
  CHECK(p.chunk_bytes <= std::size_t(512) << 20);
  // 200k boxes: 5 GB of mask in 512 MiB chunks.
  p = plan_mask(200000, std::size_t(512) << 20);
  CHECK(p.rows_per_chunk * p.chunks >= 200000);
  CHECK(p.chunk_bytes <= std::size_t(512) << 20);
  CHECK(p.rows_per_chunk % 64 == 0);
  // A budget below one tile still gets one tile; no boxes still plans one word.
  p = plan_mask(1000, 100);
  CHECK(p.rows_per_chunk == 64);
  CHECK(p.chunks == 16);
  CHECK(plan_mask(0, 1 << 20).words == 1);
  // A budget so large that the chunk would pass CUDA's grid.y limit of 65535 tiles: capped.
  p = plan_mask(5'000'000, std::size_t(1) << 50);
  CHECK(p.rows_per_chunk == 65535 * 64);
  CHECK(p.chunks == 2);
}
