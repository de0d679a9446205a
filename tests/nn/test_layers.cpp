// Each layer's forward pass against a plain reference loop on random data (batch of 3, two
// threads, sizes that leave partial tiles and edge windows), and softmax / cross-entropy.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include <tarmac/nn.hpp>

#include "checks.hpp"

using namespace tarmac::nn;

namespace {

using test::forward;
using test::random_vector;

void check_close(const std::vector<double>& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    REQUIRE(got[i] == doctest::Approx(want[i]).epsilon(1e-12));
  }
}

template <std::size_t H, std::size_t W, std::size_t C, std::size_t F, std::size_t K>
void check_conv() {
  using L = typename conv2d<F, K>::template bind<shape<H, W, C>, double>;
  constexpr std::size_t n = 3;
  const auto in = random_vector(n * H * W * C, 1), w = random_vector(K * K * C * F, 2), b = random_vector(F, 3);
  std::vector<double> want(n * H * W * F);
  const long pad = (K - 1) / 2;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t y = 0; y < H; ++y)
      for (std::size_t x = 0; x < W; ++x)
        for (std::size_t f = 0; f < F; ++f) {
          double sum = b[f];
          for (std::size_t ky = 0; ky < K; ++ky)
            for (std::size_t kx = 0; kx < K; ++kx) {
              const long sy = long(y + ky) - pad, sx = long(x + kx) - pad;
              if (sy < 0 || sx < 0 || sy >= long(H) || sx >= long(W)) continue;
              for (std::size_t c = 0; c < C; ++c)
                sum += in[((i * H + sy) * W + sx) * C + c] * w[((ky * K + kx) * C + c) * F + f];
            }
          want[((i * H + y) * W + x) * F + f] = sum;
        }
  check_close(forward<L>(in, w, b, n), want);
}

template <std::size_t H, std::size_t W, std::size_t C, std::size_t S>
void check_maxpool() {
  using L = typename maxpool2d<S>::template bind<shape<H, W, C>, double>;
  constexpr std::size_t n = 3, OH = (H + S - 1) / S, OW = (W + S - 1) / S;
  const auto in = random_vector(n * H * W * C, 4);
  std::vector<double> want(n * OH * OW * C, -1e300);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t y = 0; y < H; ++y)
      for (std::size_t x = 0; x < W; ++x)
        for (std::size_t c = 0; c < C; ++c) {
          double& m = want[((i * OH + y / S) * OW + x / S) * C + c];
          m = std::max(m, in[((i * H + y) * W + x) * C + c]);
        }
  check_close(forward<L>(in, {}, {}, n), want);
}


// conv2d -> maxpool2d -> relu as the network runs it (one fused pass) against the three layers
// one after another, forward and backward. `levels` > 0 draws inputs and weights from that many
// integers, so windows hold ties (the first maximum must win in both).
template <std::size_t H, std::size_t W, std::size_t C, std::size_t F, std::size_t S>
void check_fused(std::size_t levels) {
  using conv = typename conv2d<F, 3>::template bind<shape<H, W, C>, double>;
  using pool = typename maxpool2d<S>::template bind<typename conv::out_shape, double>;
  using act = typename relu::template bind<typename pool::out_shape, double>;
  using fused = detail::conv_pool_relu<double, conv, pool>;
  constexpr std::size_t n = 3, P = pool::out_shape::size;
  auto quantise = [&](std::vector<double> v) {
    if (levels)
      for (double& x : v) x = std::floor((x + 1) / 2 * double(levels)) - double(levels / 2);
    return v;
  };
  const auto in = quantise(random_vector(n * H * W * C, 5)), w = quantise(random_vector(9 * C * F, 6));
  const auto b = quantise(random_vector(F, 7)), d_out = random_vector(n * P, 8);
  tarmac::thread_pool threads(2);
  const std::size_t per_worker = std::max({conv::scratch_per_worker, pool::scratch_per_worker, fused::scratch_per_worker});
  std::vector<double> scratch(per_worker * 2 + conv::scratch_shared);
  const context<double> ctx{threads, scratch.data(), per_worker, scratch.data() + per_worker * 2};

  std::vector<double> conv_out(n * conv::out_shape::size), pooled(n * P);
  conv::forward(ctx, w.data(), b.data(), in.data(), conv_out.data(), n);
  pool::forward(ctx, nullptr, nullptr, conv_out.data(), pooled.data(), n);
  act::forward(ctx, nullptr, nullptr, pooled.data(), pooled.data(), n);
  std::vector<double> d_pooled(n * P), d_conv(conv_out.size()), d_in(in.size()), d_w(w.size()), d_b(F);
  act::backward(ctx, nullptr, nullptr, pooled.data(), d_out.data(), d_pooled.data(), nullptr, nullptr, n);
  pool::backward(ctx, nullptr, conv_out.data(), nullptr, d_pooled.data(), d_conv.data(), nullptr, nullptr, n);
  conv::backward(ctx, w.data(), in.data(), nullptr, d_conv.data(), d_in.data(), d_w.data(), d_b.data(), n);

  std::vector<double> fused_pooled(n * P), fused_inference(n * P), fused_d_in(in.size()), fused_d_w(w.size()), fused_d_b(F);
  std::vector<std::uint8_t> where(n * P);
  fused::forward(ctx, w.data(), b.data(), in.data(), fused_pooled.data(), where.data(), n);
  fused::forward(ctx, w.data(), b.data(), in.data(), fused_inference.data(), nullptr, n);
  CHECK(fused_pooled == pooled);  // the same arithmetic in the same order: bit for bit
  CHECK(fused_inference == pooled);
  for (std::uint8_t at : where) REQUIRE(at < S * S);
  fused::backward(ctx, w.data(), in.data(), fused_pooled.data(), where.data(), d_out.data(), fused_d_in.data(),
                  fused_d_w.data(), fused_d_b.data(), n);
  check_close(fused_d_in, d_in);
  check_close(fused_d_w, d_w);
  check_close(fused_d_b, d_b);
  if (levels) {  // ties really occurred: some window held its maximum more than once
    std::size_t tied = 0;
    for (std::size_t i = 0; i < n * P; ++i) tied += d_pooled[i] != 0 && pooled[i] > 0;
    CHECK(tied > 0);
  }
}
}  // namespace

TEST_CASE("conv2d forward equals the reference loop (SAME padding, partial tiles, odd channel counts)") {
  check_conv<5, 7, 3, 4, 3>();
  check_conv<9, 13, 2, 32, 3>();  // two full vectors of filters plus the row tail
  check_conv<4, 20, 5, 19, 3>();  // vector + scalar filter columns
  check_conv<6, 6, 3, 8, 5>();
  check_conv<3, 3, 4, 6, 1>();
  CHECK(conv2d<32, 3>::bind<shape<128, 128, 3>, float>::weight_count == 3 * 3 * 3 * 32);
  CHECK(std::is_same_v<conv2d<32, 3>::bind<shape<128, 128, 3>, float>::out_shape, shape<128, 128, 32>>);
}

TEST_CASE("maxpool2d forward equals the reference loop, including SAME edge windows") {
  check_maxpool<8, 8, 3, 2>();
  check_maxpool<5, 7, 4, 2>();
  check_maxpool<7, 5, 2, 3>();
  CHECK(std::is_same_v<maxpool2d<2>::bind<shape<5, 7, 4>, float>::out_shape, shape<3, 4, 4>>);
}

TEST_CASE("conv2d -> maxpool2d -> relu fused equals the three layers one after another, forward and backward") {
  check_fused<7, 100, 2, 3, 2>(0);    // blocks of 2 rows (the last one partial), SAME edge windows
  check_fused<8, 100, 3, 9, 3>(0);    // window 3: blocks of 3 rows, a partial last window row
  check_fused<6, 9, 4, 17, 2>(0);     // one block; vector and scalar filter columns
  check_fused<9, 70, 2, 8, 2>(3);     // integers in {-1, 0, 1}: ties in most windows
  CHECK(detail::conv_pool_relu<float, conv2d<32, 3>::bind<shape<128, 128, 3>, float>,
                               maxpool2d<2>::bind<shape<128, 128, 32>, float>>::rows % 2 == 0);
}

TEST_CASE("relu, flatten, dense and global_avg_pool forward equal the reference") {
  constexpr std::size_t n = 3;
  {
    using L = relu::bind<shape<2, 3, 5>, double>;
    const auto in = random_vector(n * 30, 5);
    std::vector<double> want(in);
    for (double& v : want) v = v > 0 ? v : 0;
    check_close(forward<L>(in, {}, {}, n), want);
    CHECK(std::is_same_v<flatten::bind<shape<2, 3, 5>, float>::out_shape, shape<1, 1, 30>>);
  }
  for (const std::size_t n : {std::size_t{3}, std::size_t{9}}) {  // weight-streaming and GEMM paths
    CAPTURE(n);
    using L = dense<37>::bind<shape<1, 1, 50>, double>;
    const auto in = random_vector(n * 50, 6), w = random_vector(50 * 37, 7), b = random_vector(37, 8);
    std::vector<double> want(n * 37);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t o = 0; o < 37; ++o) {
        double sum = b[o];
        for (std::size_t k = 0; k < 50; ++k) sum += in[i * 50 + k] * w[k * 37 + o];
        want[i * 37 + o] = sum;
      }
    check_close(forward<L>(in, w, b, n), want);
  }
  {
    using L = global_avg_pool::bind<shape<3, 4, 5>, double>;
    const auto in = random_vector(n * 60, 9);
    std::vector<double> want(n * 5, 0.0);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t p = 0; p < 12; ++p)
        for (std::size_t c = 0; c < 5; ++c) want[i * 5 + c] += in[(i * 12 + p) * 5 + c] / 12;
    check_close(forward<L>(in, {}, {}, n), want);
  }
}

TEST_CASE("softmax and cross-entropy are exact and finite for logits of +-1e4") {
  const std::vector<float> logits{1e4f, -1e4f, 0.f, 0.f, 0.f, 1e4f, 3.f, 1.f, 2.f};
  std::vector<float> p(9), d(9);
  softmax(logits.data(), 3, 3, p.data());
  CHECK(p[0] == 1.f);
  CHECK(p[1] == 0.f);
  CHECK(p[5] == 1.f);
  CHECK(p[6] == doctest::Approx(std::exp(3.0) / (std::exp(3.0) + std::exp(1.0) + std::exp(2.0))));
  const std::vector<std::size_t> labels{1, 2, 0};  // row 0 confidently wrong by 2e4
  const loss_result r = softmax_cross_entropy<float>(logits.data(), 3, 3, labels, {}, d.data());
  const double row2 = std::log(std::exp(3.0) + std::exp(1.0) + std::exp(2.0)) - 3.0;
  CHECK(std::isfinite(r.loss));
  CHECK(r.loss == doctest::Approx((2e4 + 0 + row2) / 3).epsilon(1e-6));
  CHECK(r.correct == 2);
  CHECK(d[0] == doctest::Approx(1.0 / 3));  // (p - onehot) / rows
  CHECK(d[1] == doctest::Approx(-1.0 / 3));
  // class weights: the mean divides by the weights of the rows' labels
  const std::vector<float> weights{2.f, 0.5f, 1.f};
  const loss_result w = softmax_cross_entropy<float>(logits.data(), 3, 3, labels, weights, nullptr);
  CHECK(w.loss == doctest::Approx((0.5 * 2e4 + 1 * 0 + 2 * row2) / 3.5).epsilon(1e-6));
}
