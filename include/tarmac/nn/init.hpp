#pragma once
// Parameter initialisation. rtk is how the RTK tutorial initialised its TensorFlow network
// (weights from a normal of sigma 0.05 truncated at 2 sigma, biases 0.05); he draws weights from
// N(0, 2 / fan_in) with zero biases, which trains deeper or wider variants faster. zeros draws
// nothing: for a network whose parameters a model file replaces (drawing 2.1 M normals for RTK
// takes longer than loading its file).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <random>
#include <span>

namespace tarmac::nn {

enum class init_scheme { rtk, he, zeros };

using init_engine = std::mt19937_64;

template <class T>
void initialise(std::span<T> weights, std::span<T> biases, std::size_t fan_in, init_scheme scheme,
                init_engine& engine) {
  if (scheme == init_scheme::zeros) {
    std::fill(weights.begin(), weights.end(), T(0));
    std::fill(biases.begin(), biases.end(), T(0));
    return;
  }
  const double sigma = scheme == init_scheme::rtk ? 0.05 : std::sqrt(2.0 / static_cast<double>(fan_in));
  std::normal_distribution<double> normal(0.0, sigma);
  for (T& w : weights) {
    double x = normal(engine);
    if (scheme == init_scheme::rtk)  // truncated: redraw beyond 2 sigma, as tf.truncated_normal
      while (std::abs(x) > 2 * sigma) x = normal(engine);
    w = static_cast<T>(x);
  }
  for (T& b : biases) b = scheme == init_scheme::rtk ? T(0.05) : T(0);
}

}  // namespace tarmac::nn
