// conv2d's Winograd F(2x2, 3x3) path against its direct path (float, random data): the plain layer's
// forward pass and every gradient, and the fused conv -> maxpool -> relu, on shapes with partial
// tiles (odd H and W), tiny maps, odd channel counts, batch 1 and 3; the policy conv_auto picks;
// and finite differences through a network whose Winograd layers need their input gradient.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

#include <tarmac/nn.hpp>

#include "checks.hpp"

namespace nn = tarmac::nn;

namespace {

std::vector<float> random_floats(std::size_t n, std::uint64_t seed) {
  const auto v = nn::test::random_vector(n, seed);
  return {v.begin(), v.end()};
}

// max |got - want| / max |want|. float32 F(2x2, 3x3): its transforms add a few roundings of values
// up to 4x the inputs' to each of the direct path's 9 * Cin products, so the error is a few float
// epsilons (6e-8) of the output scale; measured 2e-7 to 1e-6 here. 1e-5 leaves 10x margin and
// still fails on any wrong tap or tile (an error of one product is ~1e-2 of the scale).
double relative_error(const std::vector<float>& got, const std::vector<float>& want) {
  REQUIRE(got.size() == want.size());
  double diff = 0, scale = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    diff = std::max(diff, std::abs(double(got[i]) - double(want[i])));
    scale = std::max(scale, std::abs(double(want[i])));
  }
  REQUIRE(scale > 0);
  return diff / scale;
}

constexpr double winograd_tolerance = 1e-5;

template <class L>
struct layer_run {
  std::vector<float> out, d_in, d_w, d_b;
};

// One bound layer (plain conv2d, or conv_pool_relu when Fused) forward then backward on 2 threads.
template <class L, bool Fused>
layer_run<L> run(const std::vector<float>& in, const std::vector<float>& w, const std::vector<float>& b,
                 const std::vector<float>& d_out, std::size_t n, std::size_t out_size) {
  tarmac::thread_pool threads(2);
  std::vector<float> scratch(L::scratch_per_worker * 2 + L::scratch_shared);
  const nn::context<float> ctx{threads, scratch.data(), L::scratch_per_worker, scratch.data() + L::scratch_per_worker * 2};
  layer_run<L> r{std::vector<float>(n * out_size), std::vector<float>(in.size()), std::vector<float>(w.size()),
                 std::vector<float>(b.size())};
  if constexpr (Fused) {
    std::vector<std::uint8_t> where(n * out_size);
    L::forward(ctx, w.data(), b.data(), in.data(), r.out.data(), where.data(), n);
    L::backward(ctx, w.data(), in.data(), r.out.data(), where.data(), d_out.data(), r.d_in.data(), r.d_w.data(),
                r.d_b.data(), n);
  } else {
    L::forward(ctx, w.data(), b.data(), in.data(), r.out.data(), n);
    L::backward(ctx, w.data(), in.data(), r.out.data(), d_out.data(), r.d_in.data(), r.d_w.data(), r.d_b.data(), n);
  }
  return r;
}

template <std::size_t H, std::size_t W, std::size_t C, std::size_t F, bool Fused, std::size_t Pool = 2>
void check_winograd(std::size_t n) {
  using direct = typename nn::conv2d<F, 3, nn::conv_direct>::template bind<nn::shape<H, W, C>, float>;
  using winograd = typename nn::conv2d<F, 3, nn::conv_winograd>::template bind<nn::shape<H, W, C>, float>;
  static_assert(winograd::winograd && !direct::winograd);
  using pool = typename nn::maxpool2d<Pool>::template bind<typename direct::out_shape, float>;
  using direct_pass = std::conditional_t<Fused, nn::detail::conv_pool_relu<float, direct, pool>, direct>;
  using winograd_pass = std::conditional_t<Fused, nn::detail::conv_pool_relu<float, winograd, pool>, winograd>;
  const std::size_t out_size = Fused ? pool::out_shape::size : direct::out_shape::size;
  const auto in = random_floats(n * H * W * C, 1), w = random_floats(9 * C * F, 2), b = random_floats(F, 3);
  const auto d_out = random_floats(n * out_size, 4);
  const auto want = run<direct_pass, Fused>(in, w, b, d_out, n, out_size);
  const auto got = run<winograd_pass, Fused>(in, w, b, d_out, n, out_size);
  INFO(H << "x" << W << "x" << C << " -> " << F << (Fused ? " fused, pool " : "") << (Fused ? Pool : 0) << ", batch " << n);
  CHECK(relative_error(got.out, want.out) < winograd_tolerance);
  CHECK(relative_error(got.d_in, want.d_in) < winograd_tolerance);
  CHECK(relative_error(got.d_w, want.d_w) < winograd_tolerance);
  CHECK(relative_error(got.d_b, want.d_b) < winograd_tolerance);
}

}  // namespace

TEST_CASE("conv2d by Winograd F(2x2, 3x3) equals the direct path: output and input, weight and bias gradients") {
  check_winograd<8, 8, 32, 32, false>(3);
  check_winograd<7, 5, 32, 16, false>(1);   // odd H and W: partial edge tiles
  check_winograd<13, 9, 33, 19, false>(3);  // odd channel counts: vector and scalar columns of the GEMMs
  check_winograd<2, 3, 32, 8, false>(3);    // one row of two tiles, half of the second outside
  check_winograd<64, 64, 32, 32, false>(1); // the RTK net's second conv, several row blocks
}

TEST_CASE("conv2d -> maxpool2d -> relu fused by Winograd equals the fused direct path, forward and backward") {
  check_winograd<8, 8, 32, 32, true>(3);
  check_winograd<7, 5, 32, 16, true>(3);  // odd sizes: edge pooling windows over partial tiles
  check_winograd<32, 32, 32, 64, true>(1);  // the RTK net's third conv
  check_winograd<3, 100, 32, 8, true>(1);   // wide rows, blocks of 2 rows, the last one partial
  // Odd pooling windows: blocks of whole windows must still be whole tiles (an odd block once
  // padded the next block's first gradient row into its own and counted it twice in d_w).
  check_winograd<9, 100, 32, 8, true, 3>(2);
  check_winograd<15, 12, 32, 8, true, 3>(1);
  check_winograd<9, 100, 32, 8, true, 1>(1);
}

TEST_CASE("conv_auto picks Winograd for 3x3 convolutions with 32 input channels or more") {
  CHECK(nn::conv2d<32, 3>::bind<nn::shape<64, 64, 32>, float>::winograd);
  CHECK(nn::conv2d<64, 3>::bind<nn::shape<32, 32, 32>, float>::winograd);
  CHECK_FALSE(nn::conv2d<32, 3>::bind<nn::shape<128, 128, 3>, float>::winograd);  // RTK's first conv
  CHECK_FALSE(nn::conv2d<32, 3>::bind<nn::shape<16, 16, 31>, float>::winograd);
  CHECK_FALSE(nn::conv2d<32, 5>::bind<nn::shape<16, 16, 64>, float>::winograd);
  CHECK_FALSE(nn::conv2d<32, 3, nn::conv_direct>::bind<nn::shape<64, 64, 32>, float>::winograd);
  CHECK(nn::conv2d<4, 3, nn::conv_winograd>::bind<nn::shape<5, 5, 2>, float>::winograd);
}

// No relu between the convolutions: with one there, a unit of this net sits within the step of
// the differences of its kink (the direct path fails the same way, worst error 0.0085).
TEST_CASE("gradients through Winograd convolutions (plain and fused, input gradients needed) match finite differences") {
  nn::test::check_gradients<nn::basic_network<double, nn::input<5, 7, 2>, nn::conv2d<3, 3>,
                                              nn::conv2d<4, 3, nn::conv_winograd>,
                                              nn::conv2d<3, 3, nn::conv_winograd>, nn::maxpool2d<2>, nn::relu,
                                              nn::flatten, nn::dense<3>>>();
}
