#pragma once
// The CUDA policy: nms<tarmac::nms::cuda>(boxes, scores, params) returns exactly what the
// CPU policies return, and nms_device() serves boxes that already live on the GPU.
//
// Method: boxes sorted by score (CUB's stable radix sort on the device path; the host path
// receives the front end's order), a bitmask of "row suppresses column" built 64x64 boxes per
// block in shared memory (one uint64 per row and 64-column tile, upper triangle only), then
// the greedy pass gathered on the device by one block with the removed set in shared memory:
// warp 0 resolves one 64-row tile after another with ballots, while the other warps OR the
// previous tile's kept rows into the later words and fetch the next tile's words.
// Only the kept indices and their count come back: never the N x N/64 mask. The kernels' bodies
// live in cuda/kernels.hpp, which the tests also run on the CPU.
//
// Memory: the mask of N boxes needs N * ceil(N/64) * 8 bytes (1.25 GB at 100k, 5 GB at 200k);
// it is built and consumed in chunks of rows that fit cuda_workspace::mask_budget (512 MiB by
// default), so any N whose per-box buffers fit (about 60 bytes a box) works, up to the removed
// set's shared memory: N/8 bytes, 48 KiB (393,216 boxes) on any GPU, 227 KiB (1.86M boxes) on
// an H100, asked for when needed.
// IoU uses __fadd_rn/__fsub_rn/__fmul_rn/__fdiv_rn: no FMA contraction, the CPU's rounding.
// The kernels are templates (launched as kernel<>) so that several .cu files of one program
// can include this header: a plain __global__ function would be defined in each of them.
#ifndef __CUDACC__
#error "tarmac/nms/cuda.cuh needs nvcc: include it from a .cu file and link tarmac::cuda"
#endif

#include <cuda_runtime.h>

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include <cub/device/device_radix_sort.cuh>

#include "tarmac/core/error.hpp"
#include "tarmac/nms/nms.hpp"
#include "tarmac/nms/detail/area_rule.hpp"
#include "tarmac/nms/cuda/kernels.hpp"
#include "tarmac/nms/cuda/plan.hpp"

namespace tarmac::nms {

// Policy tag; a value can carry the stream to run on.
struct cuda {
  cudaStream_t stream = nullptr;
};

namespace detail {

inline void cuda_check(cudaError_t status, const char* call) {
  if (status != cudaSuccess) {
    cudaGetLastError();  // clear a sticky launch error so later calls report their own
    throw cuda_error(std::string(call) + " failed: " + cudaGetErrorString(status));
  }
}

}  // namespace detail

#define TARMAC_CUDA_CHECK(call) ::tarmac::nms::detail::cuda_check((call), #call)

// True when a CUDA device and a driver that can run it are present.
inline bool cuda_available() {
  int devices = 0;
  const cudaError_t status = cudaGetDeviceCount(&devices);
  cudaGetLastError();
  return status == cudaSuccess && devices > 0;
}

namespace detail {

// The first thing every entry point does: a clear error instead of a failed allocation.
inline void require_device(const char* where) {
  int devices = 0;
  const cudaError_t status = cudaGetDeviceCount(&devices);
  cudaGetLastError();
  if (status != cudaSuccess || devices == 0)
    throw cuda_error(std::string(where) + ": no usable CUDA device (" +
                     (status != cudaSuccess ? cudaGetErrorString(status) : "no device found") + ")");
}

// cuda/kernels.hpp's block interface on the GPU.
struct device_block {
  __device__ std::uint32_t thread() const { return threadIdx.x; }
  __device__ std::uint32_t size() const { return blockDim.x; }
  __device__ void sync() const { __syncthreads(); }
  __device__ std::uint32_t ballot(bool vote) const { return __ballot_sync(0xFFFFFFFFu, vote); }
  __device__ mask_word warp_or(mask_word word) const {
    for (int lane_mask = 16; lane_mask > 0; lane_mask /= 2) word |= __shfl_xor_sync(0xFFFFFFFFu, word, lane_mask);
    return word;
  }
};

// Keys for the stable sort; boxes below the score threshold get the largest key and sort last.
// Also finds the first invalid box or score (non-finite, x2 < x1, y2 < y1, or an area outside
// area_fault_of's range), as the host's check_entry would.
template <coords C>
__global__ void score_keys(const box<float>* boxes, const float* scores, std::uint32_t n, float score_threshold,
                           std::uint32_t* keys, std::uint32_t* values, std::uint32_t* valid_count,
                           std::uint32_t* first_invalid) {
  const std::uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const box<float> b = boxes[i];
  const float s = scores[i];
  if (!(isfinite(b.x1) && isfinite(b.y1) && isfinite(b.x2) && isfinite(b.y2) && isfinite(s)) || b.x2 < b.x1 ||
      b.y2 < b.y1 ||
      area_fault_of(extent_rn<C>(b.x1, b.x2), extent_rn<C>(b.y1, b.y2), area_rn<C>(b.x1, b.y1, b.x2, b.y2)) !=
          area_fault::none)
    atomicMin(first_invalid, i);
  const bool passes = !(s < score_threshold);
  keys[i] = passes ? descending_key(s) : 0xFFFFFFFFu;
  values[i] = i;
  if (passes) atomicAdd(valid_count, 1u);
}

// Boxes in rank order as a structure of arrays, with their areas.
template <coords C>
__global__ void gather_sorted(const box<float>* boxes, const std::uint32_t* order, std::uint32_t n, device_soa out) {
  const std::uint32_t r = blockIdx.x * blockDim.x + threadIdx.x;
  if (r >= n) return;
  const box<float> b = boxes[order ? order[r] : r];
  out.x1[r] = b.x1, out.y1[r] = b.y1, out.x2[r] = b.x2, out.y2[r] = b.y2;
  out.area[r] = area_rn<C>(b.x1, b.y1, b.x2, b.y2);
}

// Grid: (column tiles, row tiles of the chunk), 64 threads; *count ranked boxes. With kept_count,
// a chunk after the one that reached max_keep builds nothing.
template <coords C>
__global__ void suppression_mask(device_soa soa, const std::uint32_t* count, std::uint32_t row_begin, std::uint32_t row_end,
                                 std::uint32_t words, float threshold, mask_word* mask, mask_word* earlier = nullptr,
                                 const std::uint32_t* kept_count = nullptr, std::uint32_t max_keep = 0) {
  if (kept_count && *kept_count >= max_keep) return;
  __shared__ column_boxes columns;
  suppression_mask_block<C>(device_block{}, columns, soa, *count, row_begin / tile + blockIdx.y, blockIdx.x, row_begin,
                            row_end, words, threshold, mask, earlier);
}

// One block of up to 1024 threads (gather_threads); dynamic shared memory: the removed set,
// `words` words.
template <class = void>
__global__ void __launch_bounds__(1024) gather_keep(const mask_word* mask, const mask_word* earlier, const std::uint32_t* count, std::uint32_t row_begin,
                            std::uint32_t row_end, std::uint32_t words, std::uint32_t max_keep, mask_word* removed,
                            std::uint32_t* keep, std::uint32_t* keep_count) {
  extern __shared__ mask_word removed_copy[];
  __shared__ gather_state state;
  gather_keep_block(device_block{}, state, removed_copy, chunk_of(mask, earlier, *count, row_begin, row_end, words), max_keep,
                    removed, keep, keep_count);
}

// The helpers' loads grow with the words a row has: more warps for more words.
inline unsigned gather_threads(std::size_t words) { return words <= 224 ? 256 : 1024; }

// Kept ranks -> indices of the input.
template <class = void>
__global__ void ranks_to_indices(const std::uint32_t* ranks, const std::uint32_t* order, const std::uint32_t* count,
                                 std::uint32_t* out) {
  const std::uint32_t k = blockIdx.x * blockDim.x + threadIdx.x;
  if (k < *count) out[k] = order[ranks[k]];
}

// A device buffer that only grows.
template <class T>
class device_buffer {
 public:
  device_buffer() = default;
  device_buffer(const device_buffer&) = delete;
  device_buffer& operator=(const device_buffer&) = delete;
  ~device_buffer() { cudaFree(data_); }
  T* reserve(std::size_t n) {
    if (n > capacity_) {
      cudaFree(data_);
      data_ = nullptr;
      capacity_ = 0;
      TARMAC_CUDA_CHECK(cudaMalloc(&data_, n * sizeof(T)));
      capacity_ = n;
    }
    return data_;
  }
  T* get() const { return data_; }

 private:
  T* data_ = nullptr;
  std::size_t capacity_ = 0;
};

}  // namespace detail

namespace detail {
struct cuda_buffers {
  device_buffer<std::uint32_t> keys_, keys_sorted_, values_, values_sorted_, ranks_, counters_;
  device_buffer<float> soa_;
  device_buffer<box<float>> boxes_;
  device_buffer<mask_word> mask_, earlier_, removed_;
  device_buffer<unsigned char> cub_temp_;
};
}  // namespace detail

// Device memory reused from call to call: repeated calls of the same or smaller size allocate
// nothing. Not thread-safe: one workspace per stream, on the device it was first used on.
struct cuda_workspace {
  std::size_t mask_budget = std::size_t(512) << 20;  // bytes of mask built at once
  detail::cuda_buffers buffers;
};

struct cuda_runner {
  // Greedy over m boxes already in rank order in ws.buffers.soa_ (count in counters_[0]); kept ranks
  // land in ws.buffers.ranks_, their count in counters_[1].
  template <coords C>
  static void greedy_sorted(cuda_workspace& ws, std::size_t n, float threshold, std::size_t max_keep, cudaStream_t stream) {
    const detail::mask_plan plan = detail::plan_mask(n, ws.mask_budget);
    const std::size_t removed_bytes = plan.words * sizeof(detail::mask_word);
    reserve_gather_shared_memory(n, removed_bytes);
    detail::mask_word* mask = ws.buffers.mask_.reserve(plan.words * plan.rows_per_chunk);
    detail::mask_word* earlier = ws.buffers.earlier_.reserve(plan.rows_per_chunk);
    detail::mask_word* removed = ws.buffers.removed_.reserve(plan.words);
    TARMAC_CUDA_CHECK(cudaMemsetAsync(removed, 0, removed_bytes, stream));
    std::uint32_t* counters = ws.buffers.counters_.get();
    const detail::device_soa soa = soa_of(ws, n);
    const auto keep_limit = std::uint32_t(std::min<std::size_t>(max_keep, 0xFFFFFFFFu));
    for (std::size_t begin = 0; begin < n; begin += plan.rows_per_chunk) {
      const std::size_t end = std::min(n, begin + plan.rows_per_chunk);
      const dim3 grid(unsigned(plan.words), unsigned((end - begin + detail::tile - 1) / detail::tile));
      detail::suppression_mask<C><<<grid, detail::tile, 0, stream>>>(soa, counters, std::uint32_t(begin), std::uint32_t(end),
                                                                      std::uint32_t(plan.words), threshold, mask, earlier,
                                                                      counters + 1, keep_limit);
      TARMAC_CUDA_CHECK(cudaGetLastError());
      detail::gather_keep<><<<1, detail::gather_threads(plan.words), removed_bytes, stream>>>(
          mask, earlier, counters, std::uint32_t(begin), std::uint32_t(end), std::uint32_t(plan.words), keep_limit, removed,
          ws.buffers.ranks_.get(), counters + 1);
      TARMAC_CUDA_CHECK(cudaGetLastError());
    }
  }

  // The gather keeps the removed set (one bit a box) in shared memory: above the 48 KiB every GPU
  // grants, ask for more, up to what the device allows.
  static void reserve_gather_shared_memory(std::size_t n, std::size_t removed_bytes) {
    constexpr std::size_t granted = 48 << 10;
    if (removed_bytes + sizeof(detail::gather_state) <= granted) return;
    int device = 0, optin = 0;
    TARMAC_CUDA_CHECK(cudaGetDevice(&device));
    TARMAC_CUDA_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
    if (removed_bytes + sizeof(detail::gather_state) > std::size_t(optin))
      throw invalid_argument("nms<cuda>: " + std::to_string(n) + " boxes need " + std::to_string(removed_bytes) +
                             " bytes of shared memory for the removed set; this GPU has " + std::to_string(optin) +
                             " a block (at most " +
                             std::to_string((std::size_t(optin) - sizeof(detail::gather_state)) / sizeof(detail::mask_word) * detail::tile) +
                             " boxes)");
    TARMAC_CUDA_CHECK(cudaFuncSetAttribute(detail::gather_keep<>, cudaFuncAttributeMaxDynamicSharedMemorySize, int(removed_bytes)));
  }

  static detail::device_soa soa_of(cuda_workspace& ws, std::size_t n) {
    float* base = ws.buffers.soa_.get();
    return {base, base + n, base + 2 * n, base + 3 * n, base + 4 * n};
  }

  static void reserve(cuda_workspace& ws, std::size_t n) {
    ws.buffers.soa_.reserve(5 * n);
    ws.buffers.ranks_.reserve(n);
    ws.buffers.counters_.reserve(3);
  }
};

// Host boxes in, host indices out, through the front end (validation, score order, max_keep):
// the boxes go up in rank order, the kept ranks come back.
inline std::vector<std::size_t> greedy(cuda policy, std::span<const box<float>> boxes, std::span<const std::uint32_t> order,
                                       float threshold, std::size_t max_keep, coords convention) {
  const std::size_t m = order.size();
  if (m == 0) return {};
  detail::require_device("nms<cuda>");
  // A workspace per thread and device: buffers belong to the device they were allocated on.
  int device = 0;
  TARMAC_CUDA_CHECK(cudaGetDevice(&device));
  thread_local std::map<int, cuda_workspace> workspaces;
  cuda_workspace& ws = workspaces[device];
  std::vector<box<float>> sorted(m);
  for (std::size_t r = 0; r < m; ++r) sorted[r] = boxes[order[r]];
  cuda_runner::reserve(ws, m);
  box<float>* d_boxes = ws.buffers.boxes_.reserve(m);
  const cudaStream_t stream = policy.stream;
  TARMAC_CUDA_CHECK(cudaMemcpyAsync(d_boxes, sorted.data(), m * sizeof(box<float>), cudaMemcpyHostToDevice, stream));
  const std::uint32_t counts[2] = {std::uint32_t(m), 0};
  TARMAC_CUDA_CHECK(cudaMemcpyAsync(ws.buffers.counters_.get(), counts, sizeof counts, cudaMemcpyHostToDevice, stream));
  const detail::device_soa soa = cuda_runner::soa_of(ws, m);
  const unsigned blocks = unsigned((m + 255) / 256);
  detail::with_convention(convention, [&]<coords C>() {
    detail::gather_sorted<C><<<blocks, 256, 0, stream>>>(d_boxes, nullptr, std::uint32_t(m), soa);
    TARMAC_CUDA_CHECK(cudaGetLastError());
    cuda_runner::greedy_sorted<C>(ws, m, threshold, max_keep, stream);
  });
  std::uint32_t kept = 0;
  TARMAC_CUDA_CHECK(cudaMemcpyAsync(&kept, ws.buffers.counters_.get() + 1, sizeof kept, cudaMemcpyDeviceToHost, stream));
  TARMAC_CUDA_CHECK(cudaStreamSynchronize(stream));
  std::vector<std::uint32_t> ranks(kept);
  TARMAC_CUDA_CHECK(cudaMemcpy(ranks.data(), ws.buffers.ranks_.get(), kept * sizeof(std::uint32_t), cudaMemcpyDeviceToHost));
  std::vector<std::size_t> keep(kept);
  for (std::size_t k = 0; k < kept; ++k) keep[k] = order[ranks[k]];
  return keep;
}

// Boxes and scores already on the GPU: sorts, suppresses and writes the kept indices (input
// positions, best first) to d_keep (room for n), all on `stream`, allocating nothing once the
// workspace has grown to n, and synchronising once, to return the kept count. Invalid boxes or
// scores raise tarmac::invalid_argument after that synchronisation. Memory and launches are
// planned for all n boxes: learning how many pass the score threshold would cost a second
// synchronisation (kernels past that count return at once).
inline std::size_t nms_device(const box<float>* d_boxes, const float* d_scores, std::size_t n, std::uint32_t* d_keep,
                              const params& p, cuda_workspace& ws, cudaStream_t stream = nullptr) {
  detail::check_params("nms_device", p);
  if (n == 0 || p.max_keep == 0) return 0;
  detail::require_device("nms_device");
  if (n > 0x7FFFFFFFu) throw invalid_argument("nms_device: " + std::to_string(n) + " boxes; CUB sorts at most 2^31 - 1");
  cuda_runner::reserve(ws, n);
  std::uint32_t* keys = ws.buffers.keys_.reserve(n);
  std::uint32_t* keys_sorted = ws.buffers.keys_sorted_.reserve(n);
  std::uint32_t* values = ws.buffers.values_.reserve(n);
  std::uint32_t* order = ws.buffers.values_sorted_.reserve(n);
  std::uint32_t* counters = ws.buffers.counters_.get();  // valid count, kept count, first invalid index
  // Memsets, not copies from the host's stack: those may synchronise with the stream.
  TARMAC_CUDA_CHECK(cudaMemsetAsync(counters, 0, 2 * sizeof(std::uint32_t), stream));
  TARMAC_CUDA_CHECK(cudaMemsetAsync(counters + 2, 0xFF, sizeof(std::uint32_t), stream));
  const unsigned blocks = unsigned((n + 255) / 256);
  detail::with_convention(p.convention, [&]<coords C>() {
    detail::score_keys<C><<<blocks, 256, 0, stream>>>(d_boxes, d_scores, std::uint32_t(n), p.score_threshold, keys,
                                                      values, counters, counters + 2);
    TARMAC_CUDA_CHECK(cudaGetLastError());
  });
  std::size_t temp_bytes = 0;
  TARMAC_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(nullptr, temp_bytes, keys, keys_sorted, values, order, int(n), 0, 32, stream));
  unsigned char* temp = ws.buffers.cub_temp_.reserve(temp_bytes);
  TARMAC_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(temp, temp_bytes, keys, keys_sorted, values, order, int(n), 0, 32, stream));
  const detail::device_soa soa = cuda_runner::soa_of(ws, n);
  detail::with_convention(p.convention, [&]<coords C>() {
    detail::gather_sorted<C><<<blocks, 256, 0, stream>>>(d_boxes, order, std::uint32_t(n), soa);
    TARMAC_CUDA_CHECK(cudaGetLastError());
    cuda_runner::greedy_sorted<C>(ws, n, p.iou_threshold, p.max_keep, stream);
  });
  detail::ranks_to_indices<><<<blocks, 256, 0, stream>>>(ws.buffers.ranks_.get(), order, counters + 1, d_keep);
  TARMAC_CUDA_CHECK(cudaGetLastError());
  std::uint32_t results[3] = {};
  TARMAC_CUDA_CHECK(cudaMemcpyAsync(results, counters, sizeof results, cudaMemcpyDeviceToHost, stream));
  TARMAC_CUDA_CHECK(cudaStreamSynchronize(stream));
  if (results[2] != 0xFFFFFFFFu) {
    // The host's check of that one box and score says what is wrong, in the CPU front end's words.
    box<float> b{};
    float score = 0;
    TARMAC_CUDA_CHECK(cudaMemcpy(&b, d_boxes + results[2], sizeof b, cudaMemcpyDeviceToHost));
    TARMAC_CUDA_CHECK(cudaMemcpy(&score, d_scores + results[2], sizeof score, cudaMemcpyDeviceToHost));
    detail::with_convention(p.convention, [&]<coords C>() { detail::check_entry<C>("nms_device", results[2], b, score); });
    throw invalid_argument("nms_device: box or score " + std::to_string(results[2]) + " is invalid");
  }
  return results[1];
}

}  // namespace tarmac::nms
