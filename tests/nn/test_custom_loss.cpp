// train_step's loss as a parameter: a label-smoothed cross-entropy written outside the library
// (its gradient against finite differences, its checks), the default loss being exactly
// cross_entropy, and evaluate's chunks combining into the whole batch's loss.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include <tarmac/nn.hpp>

#include "checks.hpp"

namespace nn = tarmac::nn;

// Cross-entropy against labels smoothed by epsilon (Szegedy et al. 2016): the target gives the
// label 1 - epsilon + epsilon / K and every other class epsilon / K.
template <class T>
struct smoothed_cross_entropy {
  double epsilon = 0.1;

  void check(std::span<const std::size_t>, std::size_t, const char* who) const {
    if (!(epsilon >= 0 && epsilon < 1))
      throw tarmac::invalid_argument(std::string(who) + ": epsilon must be in [0, 1), got " + std::to_string(epsilon));
  }

  nn::loss_value evaluate(std::span<const T> logits, std::span<const std::size_t> labels, std::size_t classes,
                          std::span<T> d_logits) const {
    const std::size_t rows = labels.size();
    std::vector<T> p(classes);
    double total = 0;
    for (std::size_t r = 0; r < rows; ++r) {
      nn::softmax(logits.data() + r * classes, 1, classes, p.data());
      for (std::size_t k = 0; k < classes; ++k) {
        const double target = (k == labels[r] ? 1 - epsilon : 0) + epsilon / double(classes);
        total -= target * std::log(double(p[k]));
        if (!d_logits.empty()) d_logits[r * classes + k] = T((double(p[k]) - target) / double(rows));
      }
    }
    return {total / double(rows), double(rows)};
  }
};

static_assert(nn::loss_for<smoothed_cross_entropy<float>, float>);
static_assert(nn::loss_for<nn::cross_entropy<double>, double>);
static_assert(!nn::loss_for<nn::cross_entropy<double>, float>);
static_assert(!nn::loss_for<nn::adam<float>, float>);

namespace {

using small_net = nn::basic_network<double, nn::input<6, 5, 2>, nn::conv2d<4, 3>, nn::maxpool2d<2>, nn::relu,
                                    nn::flatten, nn::dense<5>, nn::relu, nn::dense<3>>;

std::string message_of(auto&& fn) {
  try {
    fn();
  } catch (const tarmac::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("a loss written outside the library: gradients match finite differences; epsilon 0 is cross-entropy") {
  nn::test::check_gradients<small_net>(smoothed_cross_entropy<double>{0.2});
  small_net net({.threads = 2, .init = nn::init_scheme::he, .seed = 3});
  const auto images = nn::test::random_images<small_net>(4, 9);
  const std::vector<std::size_t> labels{2, 0, 1, 1};
  const double plain = net.evaluate(images, labels).loss;
  CHECK(net.evaluate(images, labels, smoothed_cross_entropy<double>{0}).loss == doctest::Approx(plain).epsilon(1e-12));
  CHECK(net.evaluate(images, labels, smoothed_cross_entropy<double>{0.3}).loss != doctest::Approx(plain).epsilon(1e-3));
}

TEST_CASE("a loss's checks run before anything else, named by the call") {
  small_net net({.threads = 1});
  nn::sgd<double> optimiser;
  const auto images = nn::test::random_images<small_net>(2, 1);
  const std::vector<std::size_t> labels{0, 1};
  const std::vector<double> before(net.parameters().begin(), net.parameters().end());
  CHECK(message_of([&] { net.train_step(images, labels, smoothed_cross_entropy<double>{1.5}, optimiser); }) ==
        "loss_and_gradient: epsilon must be in [0, 1), got 1.500000");
  CHECK(message_of([&] { net.evaluate(images, labels, smoothed_cross_entropy<double>{-1}); }) ==
        "evaluate: epsilon must be in [0, 1), got -1.000000");
  CHECK(std::equal(before.begin(), before.end(), net.parameters().begin()));
  CHECK(optimiser.steps() == 0);
}

TEST_CASE("train_step without a loss is cross_entropy with the class weights, bit for bit; another loss trains differently") {
  using net_t = nn::network<nn::input<8, 8, 3>, nn::conv2d<4, 3>, nn::maxpool2d<2>, nn::relu, nn::flatten, nn::dense<3>>;
  const auto images = nn::test::random_images<net_t>(6, 2);
  const std::vector<std::size_t> labels{0, 1, 2, 2, 1, 0};
  const std::vector<float> weights{1.f, 2.f, 0.5f};
  net_t a({.threads = 2, .seed = 1}), b = a, c = a;
  nn::adam<float> oa({.learning_rate = 1e-2}), ob = oa, oc = oa;
  for (int step = 0; step < 3; ++step) {
    const auto ra = a.train_step(images, labels, oa, weights);
    const auto rb = b.train_step(images, labels, nn::cross_entropy<float>{weights}, ob);
    c.train_step(images, labels, smoothed_cross_entropy<float>{0.2}, oc);
    CHECK(ra.loss == rb.loss);
    CHECK(ra.accuracy == rb.accuracy);
  }
  CHECK(std::equal(a.parameters().begin(), a.parameters().end(), b.parameters().begin()));
  CHECK(!std::equal(a.parameters().begin(), a.parameters().end(), c.parameters().begin()));
}

TEST_CASE("evaluate combines its chunks of 32 into the batch's loss, also when a chunk weighs 0") {
  using net_t = nn::basic_network<double, nn::input<3, 3, 2>, nn::flatten, nn::dense<4>, nn::relu, nn::dense<3>>;
  net_t net({.threads = 2, .init = nn::init_scheme::he, .seed = 6});
  const auto images = nn::test::random_images<net_t>(40, 4);
  std::vector<std::size_t> labels(40);
  for (std::size_t i = 0; i < 40; ++i) labels[i] = i < 32 ? i % 3 : 2;  // the second chunk: class 2 only
  const std::vector<double> weights{1.0, 3.0, 0.0};
  for (const auto& loss : {nn::cross_entropy<double>{}, nn::cross_entropy<double>{weights}}) {
    const nn::step_result whole = net.loss_and_gradient(images, labels, loss);
    const nn::step_result chunked = net.evaluate(images, labels, loss);
    CHECK(chunked.loss == doctest::Approx(whole.loss).epsilon(1e-12));
    CHECK(chunked.accuracy == whole.accuracy);
  }
  const auto smoothed = smoothed_cross_entropy<double>{0.1};
  CHECK(net.evaluate(images, labels, smoothed).loss ==
        doctest::Approx(net.loss_and_gradient(images, labels, smoothed).loss).epsilon(1e-12));
}
