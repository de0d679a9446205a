#pragma once
// Helpers shared by the nn tests: random data, one layer's forward pass run the way the network
// runs it, and finite-difference gradient checks of whole networks (double precision).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <span>
#include <vector>

#include <xtensor/xrandom.hpp>

#include <tarmac/nn.hpp>

namespace tarmac::nn::test {

inline std::vector<double> random_vector(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 engine(seed);
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<double> v(n);
  for (double& x : v) x = u(engine);
  return v;
}

// Runs bound layer L's forward pass the way the network does (scratch from a pool of 2 threads).
template <class L>
std::vector<double> forward(const std::vector<double>& in, const std::vector<double>& w, const std::vector<double>& b,
                            std::size_t n) {
  thread_pool pool(2);
  std::vector<double> scratch(L::scratch_per_worker * pool.size() + L::scratch_shared + 1);
  context<double> ctx{pool, scratch.data(), L::scratch_per_worker, scratch.data() + L::scratch_per_worker * 2};
  std::vector<double> out(n * L::out_shape::size, std::numeric_limits<double>::quiet_NaN());
  L::forward(ctx, w.data(), b.data(), in.data(), out.data(), n);
  return out;
}

template <class Net>
xt::xtensor<typename Net::scalar, 4> random_images(std::size_t n, std::uint64_t seed) {
  xt::random::seed(seed);
  using S = typename Net::input_shape;
  return xt::random::rand<typename Net::scalar>({n, S::height, S::width, S::channels}, -1, 1);
}

// The gradients of net's last loss_and_gradient against central differences of measure() (the
// loss as a function of the parameters) on every parameter; requires a worst relative error
// below 1e-6 and more than `nonzero` of the gradients not zero.
template <class Net, class Measure>
void compare_with_differences(Net& net, Measure&& measure, double nonzero) {
  const std::vector<double> analytic(net.gradients().begin(), net.gradients().end());
  auto params = net.parameters();
  const double h = 1e-5;
  std::size_t checked = 0;
  double worst = 0;
  for (std::size_t i = 0; i < params.size(); ++i) {
    const double keep = params[i];
    params[i] = keep + h;
    const double up = measure();
    params[i] = keep - h;
    const double down = measure();
    params[i] = keep;
    const double numeric = (up - down) / (2 * h);
    const double scale = std::max({std::abs(numeric), std::abs(analytic[i]), 1e-3});
    worst = std::max(worst, std::abs(numeric - analytic[i]) / scale);
    checked += analytic[i] != 0;
  }
  INFO("worst relative error " << worst);
  CHECK(worst < 1e-6);
  CHECK(double(checked) > double(params.size()) * nonzero);  // the gradients are not trivially zero
}

// Net's gradients under `loss` (softmax cross-entropy by default) against finite differences of
// its evaluated loss, on three random images.
template <class Net, class Loss = cross_entropy<double>>
void check_gradients(const Loss& loss = {}) {
  Net net({.threads = 2, .init = init_scheme::he, .seed = 7});
  const auto images = random_images<Net>(3, 11);
  const std::vector<std::size_t> labels{0, 2, 1};
  net.loss_and_gradient(images, labels, loss);
  compare_with_differences(net, [&] { return net.evaluate(images, labels, loss).loss; }, 0.5);
}

}  // namespace tarmac::nn::test
