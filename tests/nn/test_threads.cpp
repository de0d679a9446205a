// Threads: training is reproducible bit for bit, run after run and whatever the thread count;
// networks can share one pool (a cascade's four) and compute what they compute on their own;
// a shared pool takes runs from several threads in turn and refuses a run from its own task.
#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <tarmac/nn.hpp>

#include "checks.hpp"

namespace nn = tarmac::nn;

namespace {

// Every kind of layer with parameters, a fused conv -> pool -> relu whose backward pass has more
// blocks than gradient slots (24 x 64 input, blocks of 4 rows, batch 16: 96 blocks), a Winograd
// conv (32 input channels) with its input gradient, dropout.
using net_t = nn::network<nn::input<24, 64, 3>, nn::conv2d<32, 3>, nn::maxpool2d<2>, nn::relu, nn::conv2d<8, 3>,
                          nn::relu, nn::flatten, nn::dropout<200>, nn::dense<16>, nn::relu, nn::dense<3>>;
static_assert(nn::conv2d<8, 3>::bind<nn::shape<12, 32, 32>, float>::winograd, "the second conv runs Winograd");

std::vector<float> trained(std::size_t threads) {
  net_t net({.threads = threads, .init = nn::init_scheme::he, .seed = 11});
  nn::adam<float> optimiser({.learning_rate = 1e-2});
  const auto images = nn::test::random_images<net_t>(16, 5);
  std::vector<std::size_t> labels(16);
  for (std::size_t i = 0; i < 16; ++i) labels[i] = i % 3;
  for (int step = 0; step < 4; ++step) net.train_step(images, labels, optimiser);
  return {net.parameters().begin(), net.parameters().end()};
}

}  // namespace

TEST_CASE("training is bit-identical on every run and for every thread count") {
  const std::vector<float> two = trained(2);
  CHECK(trained(2) == two);
  CHECK(trained(3) == two);
  CHECK(trained(1) == two);
  const net_t initial({.init = nn::init_scheme::he, .seed = 11});
  CHECK(two != std::vector<float>(initial.parameters().begin(), initial.parameters().end()));
}

TEST_CASE("predictions are bit-identical for every thread count, at batch 3 (weights streamed) and 16 (GEMM)") {
  net_t one({.threads = 1, .seed = 2}), three({.threads = 3, .seed = 2});
  for (const std::size_t n : {std::size_t{3}, std::size_t{16}}) {
    const auto images = nn::test::random_images<net_t>(n, 8);
    CHECK(one.predict(images) == three.predict(images));
  }
}

TEST_CASE("networks sharing one pool compute what they compute on their own pools") {
  using small_t = nn::network<nn::input<10, 12, 3>, nn::conv2d<4, 3>, nn::maxpool2d<2>, nn::relu, nn::flatten, nn::dense<2>>;
  auto pool = std::make_shared<tarmac::thread_pool>(2);
  net_t a({.seed = 1, .pool = pool});
  small_t b({.threads = 2, .seed = 2, .pool = pool});
  net_t own_a({.threads = 2, .seed = 1});
  small_t own_b({.threads = 2, .seed = 2});
  CHECK(a.pool() == pool);
  CHECK(b.pool() == pool);
  CHECK(a.threads() == 2);
  CHECK(own_a.pool() != pool);

  const auto images_a = nn::test::random_images<net_t>(5, 1);
  const auto images_b = nn::test::random_images<small_t>(7, 2);
  CHECK(a.predict(images_a) == own_a.predict(images_a));
  CHECK(b.predict(images_b) == own_b.predict(images_b));
  nn::adam<float> oa, ob, own_oa, own_ob;
  const std::vector<std::size_t> labels{0, 1, 1, 0, 1};
  for (int step = 0; step < 2; ++step) {  // in turns on the one pool
    a.train_step(images_a, labels, oa);
    b.train_step(images_b, std::span(labels).first(4), ob);
    own_a.train_step(images_a, labels, own_oa);
    own_b.train_step(images_b, std::span(labels).first(4), own_ob);
  }
  CHECK(std::equal(a.parameters().begin(), a.parameters().end(), own_a.parameters().begin()));
  CHECK(std::equal(b.parameters().begin(), b.parameters().end(), own_b.parameters().begin()));

  // A copy keeps sharing the pool; a copy of a network with its own pool gets its own.
  CHECK(net_t(a).pool() == pool);
  CHECK(net_t(own_a).pool() != own_a.pool());
  CHECK(net_t(own_a).threads() == 2);
  // The networks own the pool with the caller: it lives on after the caller lets go.
  pool.reset();
  CHECK(b.predict(images_b) == own_b.predict(images_b));
}

TEST_CASE("a pool and a different thread count are a contradiction") {
  auto pool = std::make_shared<tarmac::thread_pool>(2);
  CHECK_THROWS_WITH_AS(net_t({.threads = 3, .pool = pool}),
                       "network_options: threads = 3 but the shared pool has 2 threads (give one or the other)",
                       tarmac::invalid_argument);
}

TEST_CASE("a shared pool runs networks called from two threads in turn, with the results of one thread") {
  using small_t = nn::network<nn::input<16, 16, 3>, nn::conv2d<8, 3>, nn::maxpool2d<2>, nn::relu, nn::flatten, nn::dense<3>>;
  auto pool = std::make_shared<tarmac::thread_pool>(2);
  small_t a({.seed = 1, .pool = pool}), b({.seed = 2, .pool = pool});
  const auto images = nn::test::random_images<small_t>(8, 3);
  const auto want_a = a.predict(images), want_b = b.predict(images);
  std::atomic<int> wrong{0};
  auto use = [&](small_t& net, const xt::xtensor<float, 2>& want) {
    for (int i = 0; i < 50; ++i) wrong += net.predict(images) != want;
  };
  std::thread other([&] { use(b, want_b); });
  use(a, want_a);
  other.join();
  CHECK(wrong == 0);
}

TEST_CASE("a task that starts a run on its own pool, also through another pool, is an error, not a deadlock") {
  tarmac::thread_pool pool(2), other(2);
  std::atomic<int> inner{0};
  CHECK_THROWS_WITH_AS(pool.run(4, [&](std::size_t, std::size_t) { pool.run(2, [](std::size_t, std::size_t) {}); }),
                       "thread_pool::run: called from a task of the same pool (it would wait for itself)",
                       tarmac::invalid_argument);
  // Through another pool's run, on its workers too.
  CHECK_THROWS_WITH_AS(pool.run(2, [&](std::size_t, std::size_t) {
                         other.run(4, [&](std::size_t, std::size_t) { pool.run(2, [](std::size_t, std::size_t) {}); });
                       }),
                       "thread_pool::run: called from a task of the same pool (it would wait for itself)",
                       tarmac::invalid_argument);
  // Another pool's run inside a task is fine, and the pool works after the error.
  pool.run(2, [&](std::size_t, std::size_t) { other.run(3, [&](std::size_t, std::size_t) { ++inner; }); });
  CHECK(inner == 6);
  pool.run(5, [&](std::size_t, std::size_t) { ++inner; });
  CHECK(inner == 11);
}
