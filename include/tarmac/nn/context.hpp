#pragma once
// What a layer's forward and backward passes get besides their tensors (part of the layer
// protocol, layer.hpp): the network's thread pool, scratch memory the network allocated once
// (a region per worker and one region all workers share), and whether this is a training step.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "tarmac/core/thread_pool.hpp"

namespace tarmac::nn {

template <class T>
struct context {
  thread_pool& pool;
  T* scratch;                   // per worker: scratch_per_worker values at worker_scratch(worker)
  std::size_t per_worker;       // the stride between workers' regions (>= every layer's scratch_per_worker)
  T* shared;                    // scratch_shared values, one region for the whole pass
  bool training = false;        // a training step's forward and backward (dropout drops), not inference
  std::uint64_t step_seed = 0;  // fixed within one step, so a backward pass sees its forward pass's draws

  T* worker_scratch(std::size_t worker) const { return scratch + worker * per_worker; }
};

namespace detail {
constexpr std::size_t align_up(std::size_t n) { return (n + 15) / 16 * 16; }  // 64 bytes of floats
}  // namespace detail

// Calls fn(begin, end, worker) over [0, total) cut into one chunk per worker (a multiple of
// `align` elements, so SIMD loops and cache lines are not split between threads). Where the
// chunks fall depends on the thread count: for work whose result does not depend on them.
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

// Calls fn(begin, end, worker) over [0, total) cut into chunks of `chunk` elements (the last one
// shorter), whatever the thread count: for work whose result depends on where chunks fall (a
// GEMM's rounding does), so that it is the same on any number of threads.
template <class F>
void parallel_chunks(thread_pool& pool, std::size_t total, std::size_t chunk, F&& fn) {
  pool.run((total + chunk - 1) / chunk, [&](std::size_t c, std::size_t worker) {
    fn(c * chunk, std::min(total, (c + 1) * chunk), worker);
  });
}

}  // namespace tarmac::nn
