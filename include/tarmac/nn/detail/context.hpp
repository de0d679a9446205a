#pragma once
// What a layer's forward and backward passes get besides their tensors: the thread pool and
// scratch memory allocated once by the network (per worker, and one region all workers share).
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "tarmac/core/thread_pool.hpp"

namespace tarmac::nn::detail {

template <class T>
struct context {
  thread_pool& pool;
  T* scratch;                  // per worker: scratch + worker * per_worker
  std::size_t per_worker;
  T* shared;
  bool training = false;       // a training step's forward and backward (dropout drops), not inference
  std::uint64_t step_seed = 0;  // fixed within one step, so a backward pass sees its forward pass's draws

  T* worker_scratch(std::size_t worker) const { return scratch + worker * per_worker; }
};

// Calls fn(begin, end, worker) over [0, total) cut into one chunk per worker (a multiple of
// `align` elements, so SIMD loops and cache lines are not split between threads).
template <class F>
void parallel_ranges(thread_pool& pool, std::size_t total, std::size_t align, F&& fn) {
  const std::size_t chunks = std::min(pool.size(), (total + align - 1) / align);
  if (chunks == 0) return;
  const std::size_t step = ((total + chunks - 1) / chunks + align - 1) / align * align;
  pool.run(chunks, [&](std::size_t c, std::size_t worker) {
    const std::size_t begin = std::min(total, c * step), end = std::min(total, begin + step);
    if (begin < end) fn(begin, end, worker);
  });
}

}  // namespace tarmac::nn::detail
