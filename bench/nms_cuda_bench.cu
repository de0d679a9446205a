// bench_nms_cuda: the CUDA policy on the classic set (6000 boxes; thresholds 0.7 / 0.8 / 0.9)
// and on scenes of 1k-200k boxes over 1920x1080 (threshold 0.5). Three ways per case:
//   end to end   host boxes in, host indices out (nms<cuda>), wall clock
//   device       boxes already on the GPU (nms_device), CUDA events
//   classic      written like Faster R-CNN's gpu_nms: cudaMalloc per call, the whole mask copied
//                back, the greedy loop on the host (the baseline the 2018 blog measured)
// Needs only the CUDA toolkit: no Google Benchmark, OpenCV or xsimd. Prints a markdown table.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <tarmac/nms/cuda.cuh>
#include <tarmac/nms/datasets.hpp>
#include <tarmac/nms/policy/suppressed_flag.hpp>

#include "../examples/common/cli.hpp"

namespace {

namespace nms = tarmac::nms;

struct timing {
  double end_to_end_us, device_us, classic_us;
  std::size_t kept;
  bool agrees;
};

// The 2018-style GPU NMS: the same mask kernel, but no workspace, no device-side gathering.
std::vector<std::size_t> classic_gpu_nms(const nms::scored_boxes<float>& set, const nms::params& p) {
  std::vector<std::uint32_t> order;
  nms::detail::score_order(std::span<const float>(set.scores), p.score_threshold, order);
  const std::size_t m = order.size();
  std::vector<nms::box<float>> sorted(m);
  for (std::size_t r = 0; r < m; ++r) sorted[r] = set.boxes[order[r]];
  const std::size_t words = (m + 63) / 64;
  nms::box<float>* d_boxes = nullptr;
  float* d_soa = nullptr;
  unsigned long long* d_mask = nullptr;
  std::uint32_t* d_count = nullptr;
  TARMAC_CUDA_CHECK(cudaMalloc(&d_boxes, m * sizeof(nms::box<float>)));
  TARMAC_CUDA_CHECK(cudaMalloc(&d_soa, 5 * m * sizeof(float)));
  TARMAC_CUDA_CHECK(cudaMalloc(&d_mask, m * words * sizeof(unsigned long long)));
  TARMAC_CUDA_CHECK(cudaMalloc(&d_count, sizeof(std::uint32_t)));
  const auto count = std::uint32_t(m);
  TARMAC_CUDA_CHECK(cudaMemcpy(d_boxes, sorted.data(), m * sizeof(nms::box<float>), cudaMemcpyHostToDevice));
  TARMAC_CUDA_CHECK(cudaMemcpy(d_count, &count, sizeof count, cudaMemcpyHostToDevice));
  const nms::detail::device_soa soa{d_soa, d_soa + m, d_soa + 2 * m, d_soa + 3 * m, d_soa + 4 * m};
  nms::detail::with_convention(p.convention, [&]<nms::coords C>() {
    nms::detail::gather_sorted<C><<<unsigned((m + 255) / 256), 256>>>(d_boxes, nullptr, count, soa);
    const dim3 grid{unsigned(words), unsigned(words)};
    nms::detail::suppression_mask<C><<<grid, 64>>>(soa, d_count, 0, count, unsigned(words), p.iou_threshold, d_mask);
  });
  std::vector<unsigned long long> mask(m * words), removed(words, 0);
  TARMAC_CUDA_CHECK(cudaMemcpy(mask.data(), d_mask, mask.size() * sizeof(unsigned long long), cudaMemcpyDeviceToHost));
  std::vector<std::size_t> keep;
  for (std::size_t i = 0; i < m; ++i) {
    if (removed[i / 64] >> (i % 64) & 1ull) continue;
    keep.push_back(order[i]);
    for (std::size_t w = i / 64; w < words; ++w) removed[w] |= mask[i * words + w];
  }
  cudaFree(d_boxes);
  cudaFree(d_soa);
  cudaFree(d_mask);
  cudaFree(d_count);
  return keep;
}

template <class F>
double mean_us(int reps, F&& f) {
  f();  // warm-up (allocations, module load)
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < reps; ++i) f();
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() / reps;
}

timing measure(const nms::scored_boxes<float>& set, const nms::params& p, int reps, bool check_cpu) {
  timing t{};
  std::vector<std::size_t> keep;
  t.end_to_end_us = mean_us(reps, [&] { keep = nms::nms<nms::cuda>(set.boxes, set.scores, p); });
  t.kept = keep.size();
  const std::size_t n = set.boxes.size();
  nms::box<float>* d_boxes = nullptr;
  float* d_scores = nullptr;
  std::uint32_t* d_keep = nullptr;
  TARMAC_CUDA_CHECK(cudaMalloc(&d_boxes, n * sizeof(nms::box<float>)));
  TARMAC_CUDA_CHECK(cudaMalloc(&d_scores, n * sizeof(float)));
  TARMAC_CUDA_CHECK(cudaMalloc(&d_keep, n * sizeof(std::uint32_t)));
  TARMAC_CUDA_CHECK(cudaMemcpy(d_boxes, set.boxes.data(), n * sizeof(nms::box<float>), cudaMemcpyHostToDevice));
  TARMAC_CUDA_CHECK(cudaMemcpy(d_scores, set.scores.data(), n * sizeof(float), cudaMemcpyHostToDevice));
  nms::cuda_workspace ws;
  std::size_t device_kept = nms::nms_device(d_boxes, d_scores, n, d_keep, p, ws);  // grows the workspace
  cudaEvent_t begin, end;
  cudaEventCreate(&begin);
  cudaEventCreate(&end);
  cudaEventRecord(begin);
  for (int i = 0; i < reps; ++i) device_kept = nms::nms_device(d_boxes, d_scores, n, d_keep, p, ws);
  cudaEventRecord(end);
  cudaEventSynchronize(end);
  float ms = 0;
  cudaEventElapsedTime(&ms, begin, end);
  t.device_us = 1000.0 * ms / reps;
  std::vector<std::uint32_t> device_keep(device_kept);
  cudaMemcpy(device_keep.data(), d_keep, device_kept * sizeof(std::uint32_t), cudaMemcpyDeviceToHost);
  cudaFree(d_boxes);
  cudaFree(d_scores);
  cudaFree(d_keep);
  const bool mask_fits = n * ((n + 63) / 64) * 8 < (std::size_t(4) << 30);
  std::vector<std::size_t> classic;
  t.classic_us = mask_fits ? mean_us(std::max(1, reps / 10), [&] { classic = classic_gpu_nms(set, p); }) : -1;
  t.agrees = std::vector<std::size_t>(device_keep.begin(), device_keep.end()) == keep && (!mask_fits || classic == keep);
  if (check_cpu) t.agrees = t.agrees && keep == nms::nms<nms::suppressed_flag>(set.boxes, set.scores, p);
  return t;
}

void row(const std::string& name, const timing& t) {
  char classic[32] = "- (mask > 4 GB)";
  if (t.classic_us >= 0) std::snprintf(classic, sizeof classic, "%.1f", t.classic_us);
  std::printf("| %s | %.1f | %.1f | %s | %zu | %s |\n", name.c_str(), t.end_to_end_us, t.device_us, classic, t.kept,
              t.agrees ? "yes" : "NO");
}

}  // namespace

// --indices classic|scene N THRESHOLD: the kept indices of nms<cuda> (continuous convention,
// as torchvision), one per line, for bench/compare_torchvision.py.
int print_indices(const std::string& set_name, std::size_t n, float threshold) {
  const auto set = set_name == "classic" ? nms::classic_boxes(n) : nms::scene_boxes(n, 1);
  nms::params p;
  p.iou_threshold = threshold;
  for (std::size_t i : nms::nms<nms::cuda>(set.boxes, set.scores, p)) std::printf("%zu\n", i);
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 5 && std::string(argv[1]) == "--indices")
    return tarmac::cli::run("bench_nms_cuda", [&] { return print_indices(argv[2], std::stoul(argv[3]), std::stof(argv[4])); });
  if (!nms::cuda_available()) {
    std::printf("bench_nms_cuda: no usable CUDA device on this machine; nothing to measure\n");
    return 0;
  }
  cudaDeviceProp prop{};
  cudaGetDeviceProperties(&prop, 0);
  std::printf("device: %s\n\n| case | end to end (us) | device resident (us) | classic gpu_nms (us) | kept | same as CPU |\n"
              "|---|---|---|---|---|---|\n", prop.name);
  const auto classic = nms::classic_boxes();
  for (float t : {0.7f, 0.8f, 0.9f}) {
    nms::params p;
    p.iou_threshold = t;
    p.convention = nms::coords::pixel_inclusive;
    char name[32];
    std::snprintf(name, sizeof name, "classic t=%.1f", t);
    row(name, measure(classic, p, 200, true));
  }
  for (std::size_t n : {1000u, 6000u, 20000u, 100000u, 200000u}) {
    nms::params p;
    row("scene n=" + std::to_string(n), measure(nms::scene_boxes(n, 1), p, n >= 100000 ? 10 : 100, n <= 20000));
  }
  return 0;
}
