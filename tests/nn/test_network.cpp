// Whole networks: finite-difference gradient checks for every layer kind and a small RTK-like
// stack, learning a separable problem, optimiser updates, and errors for bad batches.
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <vector>

#include <xtensor/xrandom.hpp>
#include <xtensor/xsort.hpp>
#include <xtensor/xview.hpp>

#include <tarmac/nn.hpp>

#include "checks.hpp"

using namespace tarmac::nn;

using test::check_gradients;
using test::random_images;

TEST_CASE("gradients match finite differences for every layer kind") {
  SUBCASE("conv2d (weights, biases and input gradient through a second conv)") {
    check_gradients<basic_network<double, input<5, 6, 2>, conv2d<3, 3>, conv2d<4, 3>, flatten, dense<3>>>();
  }
  SUBCASE("conv2d with kernel 5 and 1") {
    check_gradients<basic_network<double, input<6, 5, 2>, conv2d<9, 5>, conv2d<3, 1>, flatten, dense<3>>>();
  }
  SUBCASE("maxpool2d with SAME edge windows") {
    check_gradients<basic_network<double, input<5, 7, 2>, conv2d<3, 3>, maxpool2d<2>, flatten, dense<3>>>();
  }
  SUBCASE("relu after conv and after dense") {
    check_gradients<basic_network<double, input<4, 4, 2>, conv2d<3, 3>, relu, flatten, dense<5>, relu, dense<3>>>();
  }
  SUBCASE("relu as the first layer works on a copy") {
    check_gradients<basic_network<double, input<3, 3, 2>, relu, flatten, dense<3>>>();
  }
  SUBCASE("dense stack") { check_gradients<basic_network<double, input<1, 1, 7>, dense<5>, dense<3>>>(); }
  SUBCASE("global_avg_pool head") {
    check_gradients<basic_network<double, input<5, 4, 3>, conv2d<6, 3>, global_avg_pool, dense<3>>>();
  }
  SUBCASE("a small RTK-shaped network, with class weights") {
    const std::vector<double> weights{0.5, 2.0, 1.0};
    check_gradients<basic_network<double, input<12, 12, 3>, conv2d<4, 3>, maxpool2d<2>, relu, conv2d<4, 3>,
                                  maxpool2d<2>, relu, conv2d<8, 3>, maxpool2d<2>, relu, flatten, dense<6>, relu,
                                  dense<3>>>(cross_entropy<double>{weights});
  }
}

TEST_CASE("dropout: gradients match finite differences of the training loss; inference passes values through") {
  using net_type = basic_network<double, input<4, 4, 2>, conv2d<3, 3>, relu, dropout<300>, flatten, dense<6>, relu,
                                 dropout<500>, dense<3>>;
  net_type net({.threads = 2, .init = init_scheme::he, .seed = 7});
  const auto images = random_images<net_type>(3, 11);
  const std::vector<std::size_t> labels{0, 2, 1};
  net.loss_and_gradient(images, labels);
  // the same step, so the same values dropped: differences of the training loss
  test::compare_with_differences(net, [&] { return net.loss_and_gradient(images, labels).loss; }, 1.0 / 3);
  // Dropout changes the training loss but not inference, and the next step draws anew.
  using plain_type = basic_network<double, input<4, 4, 2>, conv2d<3, 3>, relu, flatten, dense<6>, relu, dense<3>>;
  plain_type plain({.threads = 1});
  std::size_t copied = 0;
  plain.for_each_parameter([&](std::size_t, const std::string&, const std::vector<std::size_t>&, auto values) {
    std::vector<double> all;
    net.for_each_parameter([&](std::size_t, const std::string&, const std::vector<std::size_t>&, auto from) {
      all.insert(all.end(), from.begin(), from.end());
    });
    std::copy_n(all.begin() + std::ptrdiff_t(copied), values.size(), values.begin());
    copied += values.size();
  });
  CHECK(xt::allclose(net.predict(images), plain.predict(images), 0, 1e-12));
  CHECK(net.evaluate(images, labels).loss == doctest::Approx(plain.evaluate(images, labels).loss).epsilon(1e-12));
  CHECK(net.loss_and_gradient(images, labels).loss != doctest::Approx(plain.evaluate(images, labels).loss).epsilon(1e-6));
  const double before = net.loss_and_gradient(images, labels).loss;
  adam<double> frozen({.learning_rate = 1e-300});
  net.train_step(images, labels, frozen);
  CHECK(net.loss_and_gradient(images, labels).loss != doctest::Approx(before).epsilon(1e-9));
  // About the rate dropped, over many values.
  using wide = basic_network<double, input<1, 1, 4000>, dropout<250>, dense<2>>;
  wide w({.threads = 1, .seed = 3});
  xt::xtensor<double, 4> ones = xt::ones<double>({1, 1, 1, 4000});
  w.loss_and_gradient(ones, std::vector<std::size_t>{0});
  std::size_t zeros = 0;
  for (std::size_t i = 0; i < 4000; ++i) zeros += w.weight_gradients<1>()[i * 2] == 0;
  CHECK(zeros > 850);
  CHECK(zeros < 1150);
}

TEST_CASE("the RTK network has the paper's shapes, parameter count and cost") {
  using net = rtk_net<3>;
  CHECK(net::parameter_count == 896 + 9248 + 18496 + 16384 * 128 + 128 + 128 * 3 + 3);
  CHECK(net::forward_flops == 145752832);
  const auto arch = net::architecture();
  REQUIRE(arch.size() == 13);
  CHECK(arch[9].to_string() == "flatten -> 1x1x16384");
  CHECK(arch[12] == layer_spec{"dense", {3}, {1, 1, 3}});
}

TEST_CASE("rtk initialisation: truncated normal (sigma 0.05, cut at 2 sigma), biases 0.05; he: N(0, 2/fan_in)") {
  rtk_net<3> net({.threads = 1, .init = init_scheme::rtk, .seed = 1});
  auto w = net.weights<10>();
  double sum = 0, squares = 0, largest = 0;
  for (float x : w) sum += x, squares += double(x) * x, largest = std::max(largest, double(std::abs(x)));
  const double mean = sum / double(w.size()), sd = std::sqrt(squares / double(w.size()) - mean * mean);
  CHECK(std::abs(mean) < 1e-3);
  CHECK(sd == doctest::Approx(0.05 * 0.8796).epsilon(0.01));  // sd of N(0, s) truncated at 2s
  CHECK(largest <= 0.1);
  for (float b : net.biases<0>()) CHECK(b == 0.05f);
  net.initialise(init_scheme::he, 1);
  squares = 0;
  for (float x : net.weights<3>()) squares += double(x) * x;
  CHECK(std::sqrt(squares / 9216) == doctest::Approx(std::sqrt(2.0 / 288)).epsilon(0.05));
  for (float b : net.biases<3>()) CHECK(b == 0.f);
  rtk_net<3> again({.threads = 2, .init = init_scheme::rtk, .seed = 1});
  rtk_net<3> other({.threads = 2, .init = init_scheme::rtk, .seed = 2});
  net.initialise(init_scheme::rtk, 1);
  CHECK(std::equal(net.parameters().begin(), net.parameters().end(), again.parameters().begin()));
  CHECK(!std::equal(net.parameters().begin(), net.parameters().end(), other.parameters().begin()));
}

TEST_CASE("a small network learns a separable problem to > 98% and predict agrees with evaluate") {
  // Four classes: a bright 3x3 square in one of the four quadrants of a noisy 8x8 image.
  using net_t = network<input<8, 8, 1>, conv2d<8, 3>, maxpool2d<2>, relu, flatten, dense<4>>;
  std::mt19937_64 engine(3);
  std::normal_distribution<float> noise(0.f, 0.3f);
  std::uniform_int_distribution<int> offset(0, 1);
  auto make = [&](std::size_t n, std::vector<std::size_t>& labels) {
    xt::xtensor<float, 4> x = xt::zeros<float>({n, std::size_t{8}, std::size_t{8}, std::size_t{1}});
    labels.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      labels[i] = i % 4;
      const std::size_t y0 = (labels[i] / 2) * 4 + offset(engine), x0 = (labels[i] % 2) * 4 + offset(engine);
      for (std::size_t y = 0; y < 8; ++y)
        for (std::size_t xx = 0; xx < 8; ++xx)
          x(i, y, xx, 0) = noise(engine) + ((y >= y0 && y < y0 + 3 && xx >= x0 && xx < x0 + 3) ? 1.f : 0.f);
    }
    return x;
  };
  std::vector<std::size_t> train_labels, test_labels;
  const auto train = make(512, train_labels), test = make(400, test_labels);
  net_t net({.threads = 2, .init = init_scheme::he, .seed = 5});
  adam<float> optimiser({.learning_rate = 3e-3});
  for (int epoch = 0; epoch < 15; ++epoch)
    for (std::size_t b = 0; b < 512; b += 32) {
      const xt::xtensor<float, 4> batch = xt::view(train, xt::range(b, b + 32));
      net.train_step(batch, std::span(train_labels).subspan(b, 32), optimiser);
    }
  const step_result r = net.evaluate(test, test_labels);
  CHECK(r.accuracy > 0.98);
  const auto p = net.predict(test);
  std::size_t correct = 0;
  for (std::size_t i = 0; i < 400; ++i) {
    const auto row = xt::view(p, i);
    CHECK(xt::sum(row)() == doctest::Approx(1.f));
    correct += std::size_t(xt::argmax(row)()) == test_labels[i];
  }
  CHECK(double(correct) / 400 == doctest::Approx(r.accuracy));
}

TEST_CASE("results do not depend on the thread count; copies are independent") {
  using net_t = basic_network<double, input<9, 10, 3>, conv2d<5, 3>, maxpool2d<2>, relu, flatten, dense<3>>;
  net_t one({.threads = 1, .seed = 4}), two({.threads = 2, .seed = 4});
  const auto images = random_images<net_t>(5, 3);
  const std::vector<std::size_t> labels{0, 1, 2, 0, 1};
  const auto a = one.loss_and_gradient(images, labels), b = two.loss_and_gradient(images, labels);
  CHECK(a.loss == doctest::Approx(b.loss).epsilon(1e-12));
  for (std::size_t i = 0; i < one.gradients().size(); ++i)
    REQUIRE(one.gradients()[i] == doctest::Approx(two.gradients()[i]).epsilon(1e-10));
  net_t copy = two;
  sgd<double> optimiser;
  two.train_step(images, labels, optimiser);
  CHECK(!std::equal(copy.parameters().begin(), copy.parameters().end(), two.parameters().begin()));
  CHECK(copy.evaluate(images, labels).loss == doctest::Approx(a.loss).epsilon(1e-12));
}

TEST_CASE("adam and sgd follow the PyTorch update rules; weight decay never touches biases") {
  tarmac::thread_pool pool(2);
  std::vector<double> p{1.0, -2.0, 0.5}, g{0.1, -0.2, 0.3};
  adam<double> a({.learning_rate = 0.01, .weight_decay = 0.1});
  a.step(p, g, 2, pool);  // first two are weights
  // step 1: m = 0.1 g, v = 0.001 g^2, bias-corrected -> update = lr * g / (|g| + eps) = lr * sign(g)
  CHECK(p[0] == doctest::Approx(1.0 * (1 - 0.001) - 0.01));
  CHECK(p[1] == doctest::Approx(-2.0 * (1 - 0.001) + 0.01));
  CHECK(p[2] == doctest::Approx(0.5 - 0.01));
  CHECK(a.steps() == 1);
  std::vector<double> q{1.0, 1.0};
  const std::vector<double> gq{0.5, 0.5};
  sgd<double> s({.learning_rate = 0.1, .momentum = 0.9, .weight_decay = 0.2});
  s.step(q, gq, 1, pool);
  CHECK(q[0] == doctest::Approx(1.0 - 0.1 * (0.5 + 0.2)));
  CHECK(q[1] == doctest::Approx(1.0 - 0.1 * 0.5));
  s.step(q, gq, 1, pool);  // buf = 0.9 * 0.7 + 0.5 + 0.2 * 0.93
  CHECK(q[0] == doctest::Approx(0.93 - 0.1 * (0.9 * 0.7 + 0.5 + 0.2 * 0.93)));
  std::vector<double> wrong{1.0};
  CHECK_THROWS_AS(s.step(wrong, std::vector<double>{1.0}, 0, pool), tarmac::invalid_argument);
  CHECK_THROWS_AS(adam<float>({.learning_rate = -1}), tarmac::invalid_argument);
  CHECK_THROWS_AS(adam<float>({.beta1 = 1.0}), tarmac::invalid_argument);
  CHECK_THROWS_AS(sgd<float>({.momentum = 1.5}), tarmac::invalid_argument);
  CHECK_THROWS_AS(sgd<float>({.learning_rate = std::nan("")}), tarmac::invalid_argument);
}

TEST_CASE("bad batches are rejected with messages that say what was wrong") {
  using net_t = network<input<6, 6, 3>, conv2d<4, 3>, flatten, dense<3>>;
  net_t net({.threads = 2});
  adam<float> optimiser;
  const xt::xtensor<float, 4> images = xt::zeros<float>({4, 6, 6, 3});
  const std::vector<std::size_t> labels{0, 1, 2, 1};
  auto message = [](auto&& fn) {
    try {
      fn();
    } catch (const tarmac::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const xt::xtensor<float, 4> wrong = xt::zeros<float>({4, 6, 5, 3});
  CHECK(message([&] { net.predict(wrong); }) ==
        "predict: images are 6x5x3 but the network takes 6x6x3 (N x H x W x C)");
  CHECK(message([&] { net.train_step(images, std::span<const std::size_t>(), optimiser); }) ==
        "loss_and_gradient: empty batch (no labels)");
  const std::vector<std::size_t> five{0, 1, 2, 1, 0};
  CHECK(message([&] { net.train_step(images, five, optimiser); }) == "loss_and_gradient: 5 labels for 4 images");
  const std::vector<std::size_t> bad{0, 1, 3, 1};
  CHECK(message([&] { net.train_step(images, bad, optimiser); }) ==
        "loss_and_gradient: label 3 at row 2 is not a class id (the network has 3 classes)");
  const std::vector<float> two_weights{1.f, 1.f};
  CHECK(message([&] { net.train_step(images, labels, optimiser, two_weights); }) ==
        "loss_and_gradient: 2 class weights for 3 classes");
  const std::vector<float> zero{0.f, 0.f, 1.f};
  const std::vector<std::size_t> no_two{0, 1, 0, 1};
  CHECK(message([&] { net.train_step(images, no_two, optimiser, zero); }) ==
        "loss_and_gradient: every row of the batch has class weight 0");
  // Non-finite input: a typed error and the parameters stay as they were.
  xt::xtensor<float, 4> nan_images = images;
  nan_images(1, 2, 2, 0) = std::nanf("");
  const std::vector<float> before(net.parameters().begin(), net.parameters().end());
  CHECK_THROWS_AS(net.train_step(nan_images, labels, optimiser), tarmac::error);
  CHECK(std::equal(before.begin(), before.end(), net.parameters().begin()));
  CHECK(optimiser.steps() == 0);
}
