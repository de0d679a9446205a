// bench_cnn: the RTK network (rtk_net<3>, 128x128x3 input) on this CPU. Training step at batch
// 32 (forward, backward, Adam), inference at batch 32 and batch 1, with 1 and 2 threads;
// OpenCV dnn on the same network as the inference peer; and the convolution kernel choice:
// tarmac's strided tile kernel against im2col + OpenBLAS sgemm on the three RTK conv shapes.
// Names contain "train" or "infer"; rates are items_per_second (images/s) plus GFLOP/s.
#include <benchmark/benchmark.h>

#include <random>
#include <type_traits>
#include <vector>

#include <opencv2/dnn.hpp>
#include <xtensor/xrandom.hpp>

#include <tarmac/nn.hpp>

namespace {

namespace nn = tarmac::nn;
using net_t = nn::rtk_net<3>;

// Multiply-adds x 2 of one image: the forward pass, and a training step (forward, weight
// gradients = forward, input gradients = forward less the first layer's, which needs none).
constexpr double forward_flops = double(net_t::forward_flops);
constexpr double first_conv_flops = 2.0 * 3 * 3 * 3 * 32 * 128 * 128;
constexpr double training_flops = 3 * forward_flops - first_conv_flops;

xt::xtensor<float, 4> images(std::size_t n) {
  xt::random::seed(1);
  return xt::random::rand<float>({n, std::size_t{128}, std::size_t{128}, std::size_t{3}});
}

void report(benchmark::State& state, std::size_t batch, double flops) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
  state.counters["GFLOP/s"] = benchmark::Counter(double(batch) * flops / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

void train(benchmark::State& state) {
  const auto threads = static_cast<std::size_t>(state.range(0));
  net_t net({.threads = threads});
  nn::adam<float> optimiser;
  const auto x = images(32);
  std::vector<std::size_t> labels(32);
  for (std::size_t i = 0; i < 32; ++i) labels[i] = i % 3;
  net.train_step(x, labels, optimiser);  // allocates activations, gradients and Adam state once
  for (auto _ : state) benchmark::DoNotOptimize(net.train_step(x, labels, optimiser));
  report(state, 32, training_flops);
}

void infer(benchmark::State& state) {
  const auto batch = static_cast<std::size_t>(state.range(0)), threads = static_cast<std::size_t>(state.range(1));
  net_t net({.threads = threads});
  const auto x = images(batch);
  net.predict(x);
  for (auto _ : state) benchmark::DoNotOptimize(net.predict(x));
  report(state, batch, forward_flops);
}

// The same network in OpenCV's dnn module (random weights; NCHW input).
cv::dnn::Net opencv_rtk_net() {
  cv::dnn::Net net;
  cv::RNG rng(2);
  int channels = 3, previous = 0, index = 0;
  auto add = [&](const std::string& type, cv::dnn::LayerParams params) {
    params.type = type;
    params.name = type + std::to_string(index++);
    previous = net.addLayerToPrev(params.name, type, params);
  };
  for (int filters : {32, 32, 64}) {
    cv::dnn::LayerParams conv;
    conv.set("kernel_size", 3);
    conv.set("pad", 1);
    conv.set("num_output", filters);
    conv.set("bias_term", true);
    cv::Mat w(std::vector<int>{filters, channels, 3, 3}, CV_32F), b(1, filters, CV_32F);
    rng.fill(w, cv::RNG::UNIFORM, -0.05, 0.05);
    rng.fill(b, cv::RNG::UNIFORM, -0.05, 0.05);
    conv.blobs = {w, b};
    add("Convolution", conv);
    cv::dnn::LayerParams pool;
    pool.set("pool", "max");
    pool.set("kernel_size", 2);
    pool.set("stride", 2);
    add("Pooling", pool);
    add("ReLU", {});
    channels = filters;
  }
  for (int outputs : {128, 3}) {
    cv::dnn::LayerParams dense;
    dense.set("num_output", outputs);
    dense.set("bias_term", true);
    cv::Mat w(outputs, outputs == 128 ? 16384 : 128, CV_32F), b(1, outputs, CV_32F);
    rng.fill(w, cv::RNG::UNIFORM, -0.01, 0.01);
    rng.fill(b, cv::RNG::UNIFORM, -0.01, 0.01);
    dense.blobs = {w, b};
    add("InnerProduct", dense);
    if (outputs == 128) add("ReLU", {});
  }
  add("Softmax", {});
  (void)previous;
  return net;
}

void infer_opencv_dnn(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0)), threads = static_cast<int>(state.range(1));
  cv::setNumThreads(threads);
  cv::dnn::Net net = opencv_rtk_net();
  cv::Mat x(std::vector<int>{batch, 3, 128, 128}, CV_32F);
  cv::randu(x, 0, 1);
  net.setInput(x);
  net.forward();
  for (auto _ : state) {
    net.setInput(x);
    benchmark::DoNotOptimize(net.forward());
  }
  report(state, std::size_t(batch), forward_flops);
}

// Convolution kernels on the RTK shapes, one thread, 8 images: tarmac's direct tile kernel and its
// Winograd F(2x2, 3x3) vs im2col materialised and multiplied by OpenBLAS (the classic approach; kept
// here only to justify the choice). GFLOP/s counts the direct convolution's multiply-adds.
struct im2col_openblas {};
template <std::size_t H, std::size_t C, std::size_t F, class Algorithm>
void conv_kernel(benchmark::State& state) {
  constexpr std::size_t n = 8, K = 3;
  constexpr bool Tile = !std::is_same_v<Algorithm, im2col_openblas>;
  using layer = typename nn::conv2d<F, K, std::conditional_t<Tile, Algorithm, nn::conv_direct>>::template bind<
      nn::shape<H, H, C>, float>;
  tarmac::thread_pool pool(1);
  std::vector<float> in(n * H * H * C, 0.5f), w(K * K * C * F, 0.01f), b(F, 0.f), out(n * H * H * F);
  std::vector<float> scratch(layer::scratch_per_worker + layer::scratch_shared);
  std::vector<float> col(H * H * K * K * C);
  nn::context<float> ctx{pool, scratch.data(), layer::scratch_per_worker, scratch.data() + layer::scratch_per_worker};
  for (auto _ : state) {
    if constexpr (Tile) {
      layer::forward(ctx, w.data(), b.data(), in.data(), out.data(), n);
    } else {
      for (std::size_t i = 0; i < n; ++i) {
        float* c = col.data();
        for (std::size_t y = 0; y < H; ++y)
          for (std::size_t x = 0; x < H; ++x)
            for (std::size_t ky = 0; ky < K; ++ky)
              for (std::size_t kx = 0; kx < K; ++kx, c += C) {
                const long sy = long(y + ky) - 1, sx = long(x + kx) - 1;
                if (sy < 0 || sx < 0 || sy >= long(H) || sx >= long(H))
                  std::fill_n(c, C, 0.f);
                else
                  std::copy_n(in.data() + ((i * H + sy) * H + sx) * C, C, c);
              }
        nn::detail::gemm<float>(nn::detail::op::none, nn::detail::op::none, H * H, F, K * K * C, 1.f, col.data(),
                                K * K * C, w.data(), F, 0.f, out.data() + i * H * H * F, F);
      }
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
  state.counters["GFLOP/s"] = benchmark::Counter(double(n) * 2.0 * H * H * K * K * C * F / 1e9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

// The ceiling: OpenBLAS sgemm on large squares (1024^3), the threads each multiplying a slice of rows.
void sgemm_ceiling(benchmark::State& state) {
  const auto threads = static_cast<std::size_t>(state.range(0));
  constexpr std::size_t n = 1024;
  tarmac::thread_pool pool(threads);
  std::vector<float> a(n * n, 0.5f), b(n * n, 0.25f), c(n * n);
  for (auto _ : state) {
    pool.run(threads, [&](std::size_t t, std::size_t) {
      const std::size_t r0 = n * t / threads, r1 = n * (t + 1) / threads;
      nn::detail::gemm<float>(nn::detail::op::none, nn::detail::op::none, r1 - r0, n, n, 1.f, a.data() + r0 * n, n,
                              b.data(), n, 0.f, c.data() + r0 * n, n);
    });
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * n * n * n / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

BENCHMARK(sgemm_ceiling)->Name("openblas_sgemm_1024")->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(train)->Name("rtk_train_batch32")->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(infer)->Name("rtk_infer")->ArgNames({"batch", "threads"})->Args({32, 1})->Args({32, 2})->Args({1, 1})->Args({1, 2})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(infer_opencv_dnn)->Name("opencv_dnn_infer")->ArgNames({"batch", "threads"})->Args({32, 1})->Args({32, 2})->Args({1, 1})->Args({1, 2})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(conv_kernel<128, 3, 32, nn::conv_direct>)->Name("conv_kernel/conv1_128x128x3_to_32/tile")->Unit(benchmark::kMillisecond);
BENCHMARK(conv_kernel<128, 3, 32, im2col_openblas>)->Name("conv_kernel/conv1_128x128x3_to_32/im2col_openblas")->Unit(benchmark::kMillisecond);
BENCHMARK(conv_kernel<64, 32, 32, nn::conv_direct>)->Name("conv_kernel/conv2_64x64x32_to_32/tile")->Unit(benchmark::kMillisecond);
BENCHMARK(conv_kernel<64, 32, 32, nn::conv_winograd>)->Name("conv_kernel/conv2_64x64x32_to_32/winograd")->Unit(benchmark::kMillisecond);
BENCHMARK(conv_kernel<64, 32, 32, im2col_openblas>)->Name("conv_kernel/conv2_64x64x32_to_32/im2col_openblas")->Unit(benchmark::kMillisecond);
BENCHMARK(conv_kernel<32, 32, 64, nn::conv_direct>)->Name("conv_kernel/conv3_32x32x32_to_64/tile")->Unit(benchmark::kMillisecond);
BENCHMARK(conv_kernel<32, 32, 64, nn::conv_winograd>)->Name("conv_kernel/conv3_32x32x32_to_64/winograd")->Unit(benchmark::kMillisecond);
BENCHMARK(conv_kernel<32, 32, 64, im2col_openblas>)->Name("conv_kernel/conv3_32x32x32_to_64/im2col_openblas")->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
