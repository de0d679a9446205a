// The CUDA policy against the naive reference. On a machine without a usable GPU the
// comparisons are skipped (with a message) and the error path is checked instead.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <utility>
#include <vector>

#include <tarmac/nms/cuda.cuh>
#include <tarmac/nms/datasets.hpp>
#include <tarmac/nms/policy/naive.hpp>

namespace nms = tarmac::nms;
using nms::box;

namespace {
bool skip_without_gpu() {
  if (nms::cuda_available()) return false;
  static const bool said = [] {
    std::printf("test_nms_cuda: no usable CUDA device here: GPU comparisons skipped, error path checked\n");
    return true;
  }();
  (void)said;
  return true;
}

// Random sets full of ties, duplicates and zero-area boxes on an integer grid.
nms::scored_boxes<float> tricky(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  nms::scored_boxes<float> s;
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0 && rng() % 5 == 0) {
      s.boxes.push_back(s.boxes[rng() % i]);
    } else {
      const float x = float(rng() % 40), y = float(rng() % 40);
      s.boxes.push_back({x, y, x + float(rng() % 8), y + float(rng() % 8)});
    }
    s.scores.push_back(float(rng() % 5) / 4);
  }
  return s;
}
}  // namespace

TEST_CASE("without a GPU the CUDA policy fails with a clear cuda_error, not a crash") {
  if (nms::cuda_available()) return;
  const std::vector<box<float>> b = {{0, 0, 1, 1}};
  const std::vector<float> s = {0.5f};
  CHECK_THROWS_WITH_AS(nms::nms<nms::cuda>(b, s), doctest::Contains("nms<cuda>: no usable CUDA device"), tarmac::cuda_error);
  nms::cuda_workspace ws;
  CHECK_THROWS_AS(nms::nms_device(nullptr, nullptr, 4, nullptr, {}, ws), tarmac::cuda_error);
  CHECK(nms::nms<nms::cuda>(std::vector<box<float>>{}, std::vector<float>{}).empty());  // nothing to do, no device needed
}

TEST_CASE("the CUDA front ends reject what the CPU front ends reject, before they need a device") {
  // Issue 14: an area that overflows float, and a convention that is not a coords value.
  const std::vector<box<float>> b = {{0, 0, 1, 1}, {0, 0, 1e20f, 1e20f}};
  const std::vector<float> s = {0.5f, 0.4f};
  CHECK_THROWS_WITH_AS(nms::nms<nms::cuda>(b, s), doctest::Contains("nms: box 1 (0, 0, 1e+20, 1e+20): its area 1e+40 exceeds"),
                       tarmac::invalid_argument);
  nms::params p;
  p.convention = static_cast<nms::coords>(7);
  nms::cuda_workspace ws;
  CHECK_THROWS_WITH_AS(nms::nms_device(nullptr, nullptr, 4, nullptr, p, ws), doctest::Contains("convention 7"),
                       tarmac::invalid_argument);
}

TEST_CASE("cuda matches naive on random sets with ties, duplicates and zero-area boxes") {
  if (skip_without_gpu()) return;
  for (std::uint32_t seed = 0; seed < 300; ++seed) {
    const auto set = tricky(1 + seed * 7 % 900, seed);
    for (float t : {0.0f, 0.3f, 0.5f, 0.7f, 0.9f, 1.0f})
      for (auto convention : {nms::coords::continuous, nms::coords::pixel_inclusive}) {
        nms::params p;
        p.iou_threshold = t;
        p.convention = convention;
        if (seed % 4 == 0) p.max_keep = seed % 17;
        if (seed % 5 == 0) p.score_threshold = 0.5f;
        INFO("seed " << seed << " threshold " << t);
        REQUIRE(nms::nms<nms::cuda>(set.boxes, set.scores, p) == nms::nms<nms::naive>(set.boxes, set.scores, p));
      }
  }
}

TEST_CASE("cuda on the classic and scene sets, with the mask built in many chunks") {
  if (skip_without_gpu()) return;
  const auto classic = nms::classic_boxes();
  nms::params p;
  p.convention = nms::coords::pixel_inclusive;
  for (float t : {0.7f, 0.8f, 0.9f}) {
    p.iou_threshold = t;
    CHECK(nms::nms<nms::cuda>(classic.boxes, classic.scores, p) == nms::nms<nms::naive>(classic.boxes, classic.scores, p));
  }
  // The device path, with a mask budget small enough to need dozens of chunks.
  const auto scene = nms::scene_boxes(20000, 4);
  nms::params q;
  box<float>* d_boxes = nullptr;
  float* d_scores = nullptr;
  std::uint32_t* d_keep = nullptr;
  REQUIRE(cudaMalloc(&d_boxes, scene.boxes.size() * sizeof(box<float>)) == cudaSuccess);
  REQUIRE(cudaMalloc(&d_scores, scene.scores.size() * sizeof(float)) == cudaSuccess);
  REQUIRE(cudaMalloc(&d_keep, scene.boxes.size() * sizeof(std::uint32_t)) == cudaSuccess);
  cudaMemcpy(d_boxes, scene.boxes.data(), scene.boxes.size() * sizeof(box<float>), cudaMemcpyHostToDevice);
  cudaMemcpy(d_scores, scene.scores.data(), scene.scores.size() * sizeof(float), cudaMemcpyHostToDevice);
  nms::cuda_workspace ws;
  ws.mask_budget = 1 << 20;
  const std::size_t kept = nms::nms_device(d_boxes, d_scores, scene.boxes.size(), d_keep, q, ws);
  std::vector<std::uint32_t> got(kept);
  cudaMemcpy(got.data(), d_keep, kept * sizeof(std::uint32_t), cudaMemcpyDeviceToHost);
  const auto expected = nms::nms<nms::naive>(scene.boxes, scene.scores, q);
  CHECK(std::vector<std::size_t>(got.begin(), got.end()) == expected);
  // max_keep reached in the middle of a tile and of a chunk, and boxes dropped by score first.
  for (auto [max_keep, score_threshold] : {std::pair{std::size_t(777), -1.0f}, std::pair{std::size_t(50), 0.5f}}) {
    nms::params r;
    r.max_keep = max_keep;
    r.score_threshold = score_threshold;
    const std::size_t count = nms::nms_device(d_boxes, d_scores, scene.boxes.size(), d_keep, r, ws);
    std::vector<std::uint32_t> first(count);
    cudaMemcpy(first.data(), d_keep, count * sizeof(std::uint32_t), cudaMemcpyDeviceToHost);
    CHECK(std::vector<std::size_t>(first.begin(), first.end()) == nms::nms<nms::naive>(scene.boxes, scene.scores, r));
  }
  // Invalid input is reported after the call's one synchronisation.
  const box<float> bad{5, 5, 1, 1};
  cudaMemcpy(d_boxes + 17, &bad, sizeof bad, cudaMemcpyHostToDevice);
  CHECK_THROWS_WITH_AS(nms::nms_device(d_boxes, d_scores, scene.boxes.size(), d_keep, q, ws),
                       doctest::Contains("nms_device: box 17 has x2 < x1 or y2 < y1 (5, 5, 1, 1)"), tarmac::invalid_argument);
  // So is a box whose area overflows float (issue 14): its IoU with a copy of itself would be NaN.
  const box<float> huge{0, 0, 1e20f, 1e20f};
  cudaMemcpy(d_boxes + 17, &huge, sizeof huge, cudaMemcpyHostToDevice);
  CHECK_THROWS_WITH_AS(nms::nms_device(d_boxes, d_scores, scene.boxes.size(), d_keep, q, ws),
                       doctest::Contains("nms_device: box 17 (0, 0, 1e+20, 1e+20): its area 1e+40 exceeds"),
                       tarmac::invalid_argument);
  cudaFree(d_boxes);
  cudaFree(d_scores);
  cudaFree(d_keep);
}

TEST_CASE("batched_nms<cuda> equals batched_nms<naive>") {
  if (skip_without_gpu()) return;
  const auto set = nms::scene_boxes(3000, 8, 500, 400, 10, 120);
  std::vector<int> classes(set.boxes.size());
  for (std::size_t i = 0; i < classes.size(); ++i) classes[i] = int(i % 5);
  CHECK(nms::batched_nms<nms::cuda>(set.boxes, set.scores, classes) == nms::batched_nms<nms::naive>(set.boxes, set.scores, classes));
}

TEST_CASE("cuda on 400k boxes, whose removed set needs more than the 48 KiB of shared memory every GPU grants") {
  if (skip_without_gpu()) return;
  // 200k pairs on a grid: the two boxes of a pair overlap (IoU 0.82) and touch no other box, so
  // the better box of each pair is kept (the lower index on a tie).
  std::vector<box<float>> boxes;
  std::vector<float> scores;
  std::mt19937 rng(5);
  for (std::size_t pair = 0; pair < 200000; ++pair) {
    const float x = float(pair % 500) * 10, y = float(pair / 500) * 10;
    boxes.push_back({x, y, x + 5, y + 5});
    boxes.push_back({x + 0.5f, y, x + 5.5f, y + 5});
    scores.push_back(float(rng() % 4096) / 4096);
    scores.push_back(float(rng() % 4096) / 4096);
  }
  std::vector<std::size_t> expected;
  for (std::size_t i = 0; i < boxes.size(); i += 2) expected.push_back(scores[i] >= scores[i + 1] ? i : i + 1);
  std::stable_sort(expected.begin(), expected.end(), [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  CHECK(nms::nms<nms::cuda>(boxes, scores) == expected);
}
