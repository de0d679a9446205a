// bench_nms: every NMS policy and OpenCV's cv::dnn::NMSBoxes on (a) the classic experiment
// (6000 pixel-inclusive boxes from NumPy's stream, seed 1; thresholds 0.7 / 0.8 / 0.9) and
// (b) boxes scattered over a 1920x1080 image (16..256 px, threshold 0.5, N = 1k..100k).
#include <benchmark/benchmark.h>

#include <map>
#include <vector>

#include <opencv2/dnn.hpp>

#include <tarmac/nms.hpp>

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

void report(benchmark::State& state, std::size_t boxes, std::size_t kept) {
  state.SetItemsProcessed(std::int64_t(state.iterations() * boxes));
  state.counters["kept"] = double(kept);
  state.counters["boxes/s"] = benchmark::Counter(double(state.iterations() * boxes), benchmark::Counter::kIsRate);
}

template <class Policy>
void classic_policy(benchmark::State& state) {
  nms::params p;
  p.iou_threshold = float(state.range(0)) / 10;
  p.convention = nms::coords::pixel_inclusive;
  std::size_t kept = 0;
  for (auto _ : state) {
    auto keep = nms::nms<Policy>(classic().boxes, classic().scores, p);
    kept = keep.size();
    benchmark::DoNotOptimize(keep.data());
  }
  report(state, classic().boxes.size(), kept);
}

template <class Policy>
void scene_policy(benchmark::State& state) {
  const auto& set = scene(std::size_t(state.range(0)));
  nms::params p;
  p.iou_threshold = 0.5f;
  std::size_t kept = 0;
  for (auto _ : state) {
    auto keep = nms::nms<Policy>(set.boxes, set.scores, p);
    kept = keep.size();
    benchmark::DoNotOptimize(keep.data());
  }
  report(state, set.boxes.size(), kept);
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

}  // namespace

BENCHMARK(classic_policy<nms::naive>)->Apply(classic_args);
BENCHMARK(classic_policy<nms::suppressed_flag>)->Apply(classic_args);
BENCHMARK(classic_policy<nms::simd>)->Apply(classic_args);
BENCHMARK(classic_opencv)->Apply(classic_args);
BENCHMARK(scene_policy<nms::naive>)->Apply(scene_args);
BENCHMARK(scene_policy<nms::suppressed_flag>)->Apply(scene_args);
BENCHMARK(scene_policy<nms::simd>)->Apply(scene_args);
BENCHMARK(scene_opencv)->Apply(scene_args);

BENCHMARK_MAIN();
