// bench_loader: images/s of the batch loader (decode JPEG -> ROI -> view -> 128x128 tensor)
// on 352x288 RTK-sized frames, and the peak resident memory of streaming an epoch the size
// of the full RTK data set (6,264 frames, three views, replication-balanced).
#include <benchmark/benchmark.h>

#include <sys/resource.h>

#include <filesystem>
#include <random>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <tarmac/data/loader.hpp>

namespace {

namespace data = tarmac::data;
namespace fs = std::filesystem;

// 64 distinct JPEG frames (textured, like road frames compress), reused by index.
const std::vector<data::sample>& frames() {
  static const std::vector<data::sample> samples = [] {
    const fs::path dir = fs::temp_directory_path() / "tarmac_bench_loader";
    fs::create_directories(dir);
    std::vector<data::sample> out;
    cv::RNG rng(3);
    for (std::size_t i = 0; i < 64; ++i) {
      cv::Mat frame(288, 352, CV_8UC3);
      rng.fill(frame, cv::RNG::UNIFORM, 0, 255);
      cv::GaussianBlur(frame, frame, {0, 0}, 2.0);
      const fs::path p = dir / ("frame" + std::to_string(i) + ".jpg");
      cv::imwrite(p.string(), frame, {cv::IMWRITE_JPEG_QUALITY, 90});
      out.push_back({p, i % 3});
    }
    return out;
  }();
  return samples;
}

double peak_resident_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return double(usage.ru_maxrss) / 1024.0;
}

void stream(benchmark::State& state, std::size_t items, data::views views, std::size_t threads) {
  std::vector<std::size_t> order(items);
  for (std::size_t i = 0; i < items; ++i) order[i] = i % frames().size();
  data::loader_options o;
  o.threads = threads;
  o.view_mode = views;
  std::size_t images = 0;
  for (auto _ : state) {
    data::batch_loader loader(frames(), order, o);
    while (const data::batch* b = loader.next()) images += b->size;
  }
  state.SetItemsProcessed(std::int64_t(images));
  state.counters["peak_rss_MiB"] = peak_resident_mib();
}

void loader_throughput(benchmark::State& state) {
  stream(state, 2048, data::views::original, std::size_t(state.range(0)));
}

// The full RTK set: 6,264 frames; replication to balance three classes at 70/20/10 % gives
// about 3 x 4,385 samples, each in three views: ~39,000 images through the loader.
void loader_rtk_sized_epoch(benchmark::State& state) {
  const std::size_t largest = 6264 * 70 / 100;
  stream(state, 3 * largest, data::views::rtk_three, 2);
}

}  // namespace

BENCHMARK(loader_throughput)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(loader_rtk_sized_epoch)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

BENCHMARK_MAIN();
