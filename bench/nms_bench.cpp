// bench_nms: every NMS policy and OpenCV's cv::dnn::NMSBoxes on (a) the classic experiment
// (6000 pixel-inclusive boxes from NumPy's stream, seed 1; thresholds 0.7 / 0.8 / 0.9) and
// (b) boxes scattered over a 1920x1080 image (16..256 px, threshold 0.5, N = 1k..100k) and
// (c) the 100k scene plus one hostile box (far away, near 1e30, or giant), which must not make simd quadratic.
#include <benchmark/benchmark.h>

#include <cmath>
#include <map>
#include <utility>
#include <vector>

#include <opencv2/dnn.hpp>

#include <tarmac/nms.hpp>
#include <tarmac/nms/datasets.hpp>

namespace {

namespace nms = tarmac::nms;

const nms::scored_boxes<float>& classic() {
  static const auto set = nms::classic_boxes();
  return set;
}

const nms::scored_boxes<float>& scene(std::size_t n) {
  static std::map<std::size_t, nms::scored_boxes<float>> sets;
  auto it = sets.find(n);
  if (it == sets.end()) it = sets.emplace(n, nms::scene_boxes(n, 1)).first;
  return it->second;
}

// 100k boxes plus one hostile box (kind 0: none, 1: at 1e7, 2: near 1e30, one float step wide
// there, 3: giant), scoring in the middle so that the boxes kept before it must reckon with it.
// Base 0 is the scene at t = 0.5; base 1 spreads the boxes over 100000 x 100000 px at t = 0,
// where most are kept and, before issue 14, a giant box made every query span the whole set.
const nms::scored_boxes<float>& with_outlier(int base, int kind) {
  static std::map<std::pair<int, int>, nms::scored_boxes<float>> sets;
  auto it = sets.find({base, kind});
  if (it != sets.end()) return it->second;
  auto set = base == 0 ? scene(100000) : nms::scene_boxes(100000, 1, 1e5, 1e5);
  const float far = 1e30f, next = std::nextafter(far, 2 * far);
  const nms::box<float> outliers[] = {{1e7f, 1e7f, 1e7f + 50, 1e7f + 50}, {far, 500, next, 600}, {0, 0, 1e7f, 1e7f}};
  if (kind > 0) {
    set.boxes.push_back(outliers[kind - 1]);
    set.scores.push_back(0.5f);
  }
  return sets.emplace(std::pair{base, kind}, std::move(set)).first->second;
}

void report(benchmark::State& state, std::size_t boxes, std::size_t kept) {
  state.SetItemsProcessed(std::int64_t(state.iterations() * boxes));
  state.counters["kept"] = double(kept);
  state.counters["boxes/s"] = benchmark::Counter(double(state.iterations() * boxes), benchmark::Counter::kIsRate);
}

// The timed loop, the same for every set.
template <class Policy>
void time_nms(benchmark::State& state, const nms::scored_boxes<float>& set, const nms::params& p) {
  std::size_t kept = 0;
  for (auto _ : state) {
    auto keep = nms::nms<Policy>(set.boxes, set.scores, p);
    kept = keep.size();
    benchmark::DoNotOptimize(keep.data());
  }
  report(state, set.boxes.size(), kept);
}

template <class Policy>
void classic_policy(benchmark::State& state) {
  nms::params p;
  p.iou_threshold = float(state.range(0)) / 10;
  p.convention = nms::coords::pixel_inclusive;
  time_nms<Policy>(state, classic(), p);
}

template <class Policy>
void scene_policy(benchmark::State& state) {
  nms::params p;
  p.iou_threshold = 0.5f;
  time_nms<Policy>(state, scene(std::size_t(state.range(0))), p);
}

template <class Policy>
void scene_outlier(benchmark::State& state) {
  nms::params p;
  p.iou_threshold = state.range(0) == 0 ? 0.5f : 0.0f;
  time_nms<Policy>(state, with_outlier(int(state.range(0)), int(state.range(1))), p);
}

// OpenCV measures Rect2d areas as width * height, so width = x2 - x1 (+1 when inclusive).
void opencv_nms(benchmark::State& state, const nms::scored_boxes<float>& set, float threshold, float plus) {
  std::vector<cv::Rect2d> rects;
  for (const auto& b : set.boxes) rects.emplace_back(b.x1, b.y1, b.x2 - b.x1 + plus, b.y2 - b.y1 + plus);
  std::vector<int> keep;
  for (auto _ : state) {
    cv::dnn::NMSBoxes(rects, set.scores, 0.0f, threshold, keep);  // OpenCV requires >= 0
    benchmark::DoNotOptimize(keep.data());
  }
  report(state, set.boxes.size(), keep.size());
}

void classic_opencv(benchmark::State& state) { opencv_nms(state, classic(), float(state.range(0)) / 10, 1); }
void scene_opencv(benchmark::State& state) { opencv_nms(state, scene(std::size_t(state.range(0))), 0.5f, 0); }

void classic_args(benchmark::internal::Benchmark* b) { b->Arg(7)->Arg(8)->Arg(9)->Unit(benchmark::kMillisecond); }
void scene_args(benchmark::internal::Benchmark* b) {
  b->Arg(1000)->Arg(6000)->Arg(20000)->Arg(100000)->Unit(benchmark::kMillisecond);
}

void outlier_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"sparse_t0", "outlier"})->Unit(benchmark::kMillisecond);
  for (int base : {0, 1})
    for (int kind : {0, 1, 2, 3}) b->Args({base, kind});
}

}  // namespace

BENCHMARK(classic_policy<nms::naive>)->Apply(classic_args);
BENCHMARK(classic_policy<nms::suppressed_flag>)->Apply(classic_args);
BENCHMARK(classic_policy<nms::simd>)->Apply(classic_args);
BENCHMARK(classic_opencv)->Apply(classic_args);
BENCHMARK(scene_policy<nms::naive>)->Apply(scene_args);
BENCHMARK(scene_policy<nms::suppressed_flag>)->Apply(scene_args);
BENCHMARK(scene_policy<nms::simd>)->Apply(scene_args);
BENCHMARK(scene_opencv)->Apply(scene_args);
BENCHMARK(scene_outlier<nms::simd>)->Apply(outlier_args);

BENCHMARK_MAIN();
