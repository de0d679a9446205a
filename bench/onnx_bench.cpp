// bench_onnx: the same model in tarmac and in OpenCV's dnn module reading tarmac's ONNX export of
// it (rtk_net<3>, 128x128x3, random weights). Batch 32 and batch 1, with 1 and 2 threads; rounds
// alternate between the two runtimes (so load on the machine hits both alike) and each keeps its
// best round. Prints one table row per case, and the largest probability difference.
// usage: bench_onnx [ROUNDS] [SECONDS_PER_ROUND]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>

#include <unistd.h>

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <xtensor/xrandom.hpp>

#include <tarmac/nn.hpp>

namespace {

namespace nn = tarmac::nn;

// Milliseconds per call of fn: calls repeated for about `seconds`, after one warm-up call.
double time_ms(const std::function<void()>& fn, double seconds) {
  using clock = std::chrono::steady_clock;
  fn();
  std::size_t calls = 0;
  const auto start = clock::now();
  double elapsed = 0;
  do {
    fn();
    ++calls;
    elapsed = std::chrono::duration<double>(clock::now() - start).count();
  } while (elapsed < seconds);
  return 1e3 * elapsed / double(calls);
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 5;
  const double seconds = argc > 2 ? std::atof(argv[2]) : 1.0;
  // A name of its own (mkstemps creates it), so that runs side by side do not share one file.
  std::string name = (std::filesystem::temp_directory_path() / "tarmac-bench-onnx-XXXXXX.onnx").string();
  const int fd = mkstemps(name.data(), 5);
  if (fd < 0) {
    std::perror(name.c_str());
    return 1;
  }
  close(fd);
  const std::filesystem::path path = name;
  std::printf("| threads | batch | tarmac ms | OpenCV dnn (ONNX) ms | tarmac images/s | OpenCV images/s | max |p diff| |\n"
              "|---|---|---|---|---|---|---|\n");
  for (const int threads : {1, 2}) {
    nn::rtk_net<3> net({.threads = std::size_t(threads), .init = nn::init_scheme::he, .seed = 1});
    nn::save_onnx(path, nn::onnx_model_of(net));
    cv::setNumThreads(threads);
    cv::dnn::Net dnn = cv::dnn::readNetFromONNX(path.string());
    for (const std::size_t batch : {std::size_t{32}, std::size_t{1}}) {
      xt::random::seed(1);
      const xt::xtensor<float, 4> images = xt::random::rand<float>({batch, std::size_t{128}, std::size_t{128}, std::size_t{3}});
      cv::Mat blob(std::vector<int>{int(batch), 3, 128, 128}, CV_32F);
      for (std::size_t i = 0; i < batch; ++i)
        for (std::size_t k = 0; k < 3; ++k)
          for (std::size_t p = 0; p < 128 * 128; ++p) blob.ptr<float>()[(i * 3 + k) * 128 * 128 + p] = images.data()[(i * 128 * 128 + p) * 3 + k];
      xt::xtensor<float, 2> ours;
      cv::Mat theirs;
      double best_ours = 1e30, best_theirs = 1e30;
      for (int r = 0; r < rounds; ++r) {
        best_ours = std::min(best_ours, time_ms([&] { ours = net.predict(images); }, seconds));
        best_theirs = std::min(best_theirs, time_ms([&] {
                                 dnn.setInput(blob);
                                 theirs = dnn.forward();
                               }, seconds));
      }
      float diff = 0;
      for (std::size_t i = 0; i < ours.size(); ++i) diff = std::max(diff, std::abs(ours.data()[i] - theirs.ptr<float>()[i]));
      std::printf("| %d | %zu | %.2f | %.2f | %.0f | %.0f | %.2g |\n", threads, batch, best_ours, best_theirs,
                  1e3 * double(batch) / best_ours, 1e3 * double(batch) / best_theirs, double(diff));
    }
  }
  std::filesystem::remove(path);
}
