// Layers written outside the library, as a user writes them: a leaky ReLU (README.md's example,
// which must stay the same text as here), a per-channel scale with parameters, and a fusion of
// three leaky ReLUs into one pass. Forward values against plain loops, gradients against
// finite differences, and the protocol's concepts.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "checks.hpp"

// README: write your own layer (begin)
#include <tarmac/nn.hpp>

namespace nn = tarmac::nn;

// y = x where x > 0, x / 10 elsewhere. In place: backward reads the sign from the output.
struct leaky_relu {
  template <class In, class T>
  struct bind : nn::layer_defaults {
    using out_shape = In;
    static constexpr bool in_place = true;
    static nn::layer_spec spec() { return {"leaky_relu", {}, {In::height, In::width, In::channels}}; }
    static void forward(const nn::context<T>& ctx, const T*, const T*, const T* in, T* out, std::size_t n) {
      nn::parallel_ranges(ctx.pool, n * In::size, 1024, [&](std::size_t begin, std::size_t end, std::size_t) {
        for (std::size_t i = begin; i < end; ++i) out[i] = in[i] > 0 ? in[i] : in[i] / 10;
      });
    }
    static void backward(const nn::context<T>&, const T*, const T*, const T* out, const T* d_out, T* d_in, T*, T*,
                         std::size_t n) {
      for (std::size_t i = 0; i < n * In::size; ++i) d_in[i] = out[i] > 0 ? d_out[i] : d_out[i] / 10;
    }
  };
};

using my_net = nn::network<nn::input<32, 32, 3>, nn::conv2d<16, 3>, leaky_relu, nn::flatten, nn::dense<4>>;
// README: write your own layer (end)

// y[c] = w[c] x[c] + b[c] at every pixel: a layer with parameters.
struct channel_scale {
  template <class In, class T>
  struct bind {
    static constexpr std::size_t C = In::channels, P = In::height * In::width;
    using out_shape = In;
    static constexpr std::size_t weight_count = C, bias_count = C, scratch_per_worker = 0, scratch_shared = 0;
    static constexpr bool in_place = false;
    static nn::layer_spec spec() { return {"channel_scale", {}, {In::height, In::width, C}}; }
    static std::vector<std::size_t> weight_shape() { return {C}; }
    static void init(std::span<T> w, std::span<T> b, nn::init_scheme scheme, nn::init_engine& engine) {
      nn::initialise(w, b, 1, scheme, engine);
    }
    static void forward(const nn::context<T>&, const T* w, const T* b, const T* in, T* out, std::size_t n) {
      for (std::size_t i = 0; i < n * P; ++i)
        for (std::size_t c = 0; c < C; ++c) out[i * C + c] = w[c] * in[i * C + c] + b[c];
    }
    static void backward(const nn::context<T>&, const T* w, const T* in, const T*, const T* d_out, T* d_in, T* d_w,
                         T* d_b, std::size_t n) {
      std::fill_n(d_w, C, T(0));
      std::fill_n(d_b, C, T(0));
      for (std::size_t i = 0; i < n * P; ++i)
        for (std::size_t c = 0; c < C; ++c) {
          d_w[c] += d_out[i * C + c] * in[i * C + c];
          d_b[c] += d_out[i * C + c];
          if (d_in) d_in[i * C + c] = d_out[i * C + c] * w[c];
        }
    }
  };
};

// Three leaky_relu in a row as one pass, with the same arithmetic; counts its forward passes.
inline std::atomic<int> triple_leaky_runs{0};
template <class T, class In>
struct triple_leaky {
  static constexpr std::size_t scratch_per_worker = 0, scratch_shared = 0, saved_per_sample = 0;
  static void forward(const nn::context<T>&, const T*, const T*, const T* in, T* out, std::uint8_t*, std::size_t n) {
    ++triple_leaky_runs;
    for (std::size_t i = 0; i < n * In::size; ++i) out[i] = in[i] > 0 ? in[i] : in[i] / 10 / 10 / 10;
  }
  static void backward(const nn::context<T>&, const T*, const T* in, const T*, const std::uint8_t*, const T* d_out,
                       T* d_in, T*, T*, std::size_t n) {
    for (std::size_t i = 0; i < n * In::size; ++i) d_in[i] = in[i] > 0 ? d_out[i] : d_out[i] / 10 / 10 / 10;
  }
};
template <>
struct tarmac::nn::fusion<leaky_relu, leaky_relu, leaky_relu> : std::true_type {
  template <class T, class First, class, class>
  using pass = triple_leaky<T, typename First::out_shape>;
};

namespace {

using nn::test::check_gradients;
using nn::test::random_images;
using nn::test::random_vector;

static_assert(nn::layer<leaky_relu, nn::shape<4, 4, 2>, double>);
static_assert(nn::layer<channel_scale, nn::shape<4, 4, 2>>);
static_assert(nn::layer<nn::conv2d<8, 3>, nn::shape<8, 8, 3>> && nn::layer<nn::dropout<100>, nn::shape<1, 1, 9>>);
static_assert(!nn::layer<int, nn::shape<4, 4, 2>>);
static_assert(!nn::bound_layer<leaky_relu, nn::shape<4, 4, 2>, float>);  // unbound: no out_shape
static_assert(nn::fuses_with<nn::conv2d<8, 3>, nn::maxpool2d<2>, nn::relu>);
static_assert(!nn::fuses_with<nn::conv2d<8, 3>, nn::maxpool2d<2>, leaky_relu>);
static_assert(nn::fused_pass<triple_leaky<double, nn::shape<2, 2, 2>>, double>);

}  // namespace

TEST_CASE("a layer written outside the library: forward values of the bound layer and in a network") {
  using bound = leaky_relu::bind<nn::shape<3, 5, 4>, double>;
  const auto in = random_vector(2 * 60, 1);
  const auto out = nn::test::forward<bound>(in, {}, {}, 2);
  for (std::size_t i = 0; i < in.size(); ++i) REQUIRE(out[i] == (in[i] > 0 ? in[i] : in[i] / 10));

  // As the network's first layer (in place on a copy: the caller's images stay as they were),
  // before a dense layer whose weights are the identity: the logits are the leaky ReLU's output.
  using net_t = nn::basic_network<double, nn::input<1, 1, 3>, leaky_relu, nn::dense<3>>;
  net_t net({.threads = 2});
  auto w = net.weights<1>();
  std::fill(w.begin(), w.end(), 0.0);
  for (std::size_t k = 0; k < 3; ++k) w[k * 3 + k] = 1;
  std::fill(net.biases<1>().begin(), net.biases<1>().end(), 0.0);
  const xt::xtensor<double, 4> x{{{{2.0, -3.0, 0.5}}}};
  const xt::xtensor<double, 4> kept = x;
  const auto p = net.predict(x);
  const double logits[3] = {2.0, -0.3, 0.5};
  double sum = 0;
  for (double z : logits) sum += std::exp(z);
  for (std::size_t k = 0; k < 3; ++k) CHECK(p(0, k) == doctest::Approx(std::exp(logits[k]) / sum).epsilon(1e-14));
  CHECK(x == kept);
  CHECK(net_t::architecture()[0] == nn::layer_spec{"leaky_relu", {}, {1, 1, 3}});
  CHECK(my_net::parameter_count == 3 * 3 * 3 * 16 + 16 + 32 * 32 * 16 * 4 + 4);
}

TEST_CASE("a layer written outside the library: gradients match finite differences") {
  SUBCASE("leaky_relu after a conv and after a dense layer") {
    check_gradients<nn::basic_network<double, nn::input<4, 5, 2>, nn::conv2d<3, 3>, leaky_relu, nn::flatten,
                                      nn::dense<5>, leaky_relu, nn::dense<3>>>();
  }
  SUBCASE("leaky_relu as the first layer") {
    check_gradients<nn::basic_network<double, nn::input<3, 3, 2>, leaky_relu, nn::flatten, nn::dense<3>>>();
  }
  SUBCASE("channel_scale: its own parameters, and the input gradient into a conv") {
    check_gradients<nn::basic_network<double, nn::input<4, 4, 3>, nn::conv2d<4, 3>, channel_scale, nn::maxpool2d<2>,
                                      nn::flatten, nn::dense<3>>>();
  }
}

TEST_CASE("channel_scale's parameters are the network's: model-file shapes and initialisation") {
  using net_t = nn::network<nn::input<2, 2, 5>, channel_scale, nn::flatten, nn::dense<2>>;
  net_t net({.threads = 1, .init = nn::init_scheme::rtk, .seed = 3});
  std::vector<std::vector<std::size_t>> shapes;
  net.for_each_parameter([&](std::size_t layer, const std::string&, const std::vector<std::size_t>& shape, auto) {
    if (layer == 0) shapes.push_back(shape);
  });
  CHECK(shapes == std::vector<std::vector<std::size_t>>{{5}, {5}});
  for (float b : net.biases<0>()) CHECK(b == 0.05f);  // rtk: biases 0.05
  CHECK(net.weights<0>()[0] != 0.f);
}

TEST_CASE("a fusion written outside the library is chosen by its trait and equals the layers one by one") {
  using fused_t = nn::basic_network<double, nn::input<5, 4, 2>, nn::conv2d<3, 3>, leaky_relu, leaky_relu, leaky_relu,
                                    nn::flatten, nn::dense<3>>;
  // The same layers with flatten (which changes no value) inside the triple: nothing fuses.
  using plain_t = nn::basic_network<double, nn::input<5, 4, 2>, nn::conv2d<3, 3>, leaky_relu, nn::flatten, leaky_relu,
                                    leaky_relu, nn::dense<3>>;
  fused_t fused({.threads = 2, .init = nn::init_scheme::he, .seed = 4});
  plain_t plain({.threads = 2});
  REQUIRE(fused.parameters().size() == plain.parameters().size());
  std::copy(fused.parameters().begin(), fused.parameters().end(), plain.parameters().begin());
  const auto images = random_images<fused_t>(3, 5);
  const std::vector<std::size_t> labels{1, 0, 2};

  const int runs = triple_leaky_runs;
  CHECK(fused.predict(images) == plain.predict(images));
  CHECK(triple_leaky_runs == runs + 1);
  const auto a = fused.loss_and_gradient(images, labels), b = plain.loss_and_gradient(images, labels);
  CHECK(triple_leaky_runs == runs + 2);
  CHECK(a.loss == b.loss);
  CHECK(std::equal(fused.gradients().begin(), fused.gradients().end(), plain.gradients().begin()));
  check_gradients<fused_t>();
}
