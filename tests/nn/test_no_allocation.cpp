// After the first step, a training step allocates nothing: activations, gradients, scratch and
// optimiser state are reused (counted through a replaced global operator new).
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include <xtensor/xrandom.hpp>

#include <tarmac/nn.hpp>

namespace {
std::atomic<std::size_t> allocations{0};
}

void* operator new(std::size_t size) {
  ++allocations;
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

TEST_CASE("train_step allocates nothing after the first step") {
  using net_t = tarmac::nn::network<tarmac::nn::input<16, 16, 3>, tarmac::nn::conv2d<8, 3>, tarmac::nn::maxpool2d<2>,
                                    tarmac::nn::relu, tarmac::nn::flatten, tarmac::nn::dense<16>, tarmac::nn::relu,
                                    tarmac::nn::dense<3>>;
  net_t net({.threads = 2});
  tarmac::nn::adam<float> optimiser;
  xt::random::seed(1);
  const xt::xtensor<float, 4> images = xt::random::rand<float>({8, 16, 16, 3});
  const std::vector<std::size_t> labels{0, 1, 2, 0, 1, 2, 0, 1};
  net.train_step(images, labels, optimiser);
  const std::size_t before = allocations;
  for (int i = 0; i < 3; ++i) net.train_step(images, labels, optimiser);
  CHECK(allocations - before == 0);
  net.train_step(images, std::span(labels).first(5), optimiser);  // a smaller last batch reuses the buffers
  CHECK(allocations - before == 0);
}
