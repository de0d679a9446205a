// bench_synth: frames/s of the procedural road-scene generator on one core, per surface type
// and at the RTK (352x288) and KITTI (1240x375) sizes.
#include <benchmark/benchmark.h>

#include <tarmac/surface/synthetic.hpp>

namespace {

namespace surface = tarmac::surface;

void synth_frames(benchmark::State& state) {
  const auto type = surface::road_types[std::size_t(state.range(0))];
  surface::scene_options o;
  o.size = state.range(1) ? cv::Size(1240, 375) : cv::Size(352, 288);
  std::uint64_t seed = 0;
  for (auto _ : state) {
    const surface::road_quality q = type == surface::road_type::unpaved ? surface::road_qualities[1 + seed % 2] : surface::road_qualities[seed % 3];
    cv::Mat frame = surface::render_road_frame(type, q, seed++, o);
    benchmark::DoNotOptimize(frame.data);
  }
  state.SetItemsProcessed(std::int64_t(state.iterations()));
  state.SetLabel(surface::name(type) + (state.range(1) ? " 1240x375" : " 352x288"));
}

}  // namespace

BENCHMARK(synth_frames)->ArgsProduct({{0, 1, 2}, {0, 1}})->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
