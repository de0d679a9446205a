#pragma once
// Optimisers: one loop over the network's single parameter buffer. The buffer holds all weights
// first and all biases after them, so weight decay applies to [0, decayed) and never to biases.
// State lives in the optimiser (sized on its first step), not keyed by any address.
#include <cmath>
#include <concepts>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "tarmac/core/error.hpp"
#include "tarmac/core/thread_pool.hpp"
#include "tarmac/nn/context.hpp"

namespace tarmac::nn {

namespace detail {
// Checks run every step: messages are built only on failure, so a step allocates nothing.
template <class T>
void check_sizes(const std::vector<T>& state, std::size_t params, std::size_t grads, const char* who) {
  if (params != grads)
    throw invalid_argument(std::string(who) + ": " + std::to_string(params) + " parameters but " +
                           std::to_string(grads) + " gradients");
  if (!state.empty() && state.size() != params)
    throw invalid_argument(std::string(who) + ": state was sized for " + std::to_string(state.size()) +
                           " parameters, this step has " + std::to_string(params) + " (one optimiser per network)");
}
inline void check_rate(double rate, const char* who) {
  if (!(std::isfinite(rate) && rate > 0))
    throw invalid_argument(std::string(who) + ": learning_rate must be positive, got " + std::to_string(rate));
}
inline void check_decay(double decay, const char* who) {
  if (!(decay >= 0 && std::isfinite(decay))) throw invalid_argument(std::string(who) + ": weight_decay must be >= 0");
}
}  // namespace detail

// Adam (Kingma & Ba) with PyTorch's update; weight_decay is decoupled (AdamW: p -= lr * wd * p).
template <class T = float>
class adam {
 public:
  struct options {
    double learning_rate = 1e-4, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, weight_decay = 0;
  };

  explicit adam(options o = {}) : options_(o) { validate(); }

  options& settings() { return options_; }  // e.g. to change the learning rate between epochs
  std::size_t steps() const { return steps_; }

  void step(std::span<T> params, std::span<const T> grads, std::size_t decayed, thread_pool& pool) {
    validate();
    detail::check_sizes(m_, params.size(), grads.size(), "adam");
    if (m_.empty()) m_.assign(params.size(), T(0)), v_.assign(params.size(), T(0));
    ++steps_;
    const T b1 = T(options_.beta1), b2 = T(options_.beta2), eps = T(options_.epsilon);
    const T step = T(options_.learning_rate / (1 - std::pow(options_.beta1, double(steps_))));
    const T root_correction = T(1 / std::sqrt(1 - std::pow(options_.beta2, double(steps_))));
    const T shrink = T(1 - options_.learning_rate * options_.weight_decay);
    T *p = params.data(), *m = m_.data(), *v = v_.data();
    const T* g = grads.data();
    parallel_ranges(pool, params.size(), 1024, [&](std::size_t begin, std::size_t end, std::size_t) {
      for (std::size_t i = begin; i < end; ++i) {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        const T decayed_p = i < decayed ? p[i] * shrink : p[i];
        p[i] = decayed_p - step * m[i] / (std::sqrt(v[i]) * root_correction + eps);
      }
    });
  }

 private:
  void validate() const {
    detail::check_rate(options_.learning_rate, "adam");
    if (!(options_.beta1 >= 0 && options_.beta1 < 1 && options_.beta2 >= 0 && options_.beta2 < 1))
      throw invalid_argument("adam: beta1 and beta2 must be in [0, 1)");
    if (!(options_.epsilon > 0)) throw invalid_argument("adam: epsilon must be positive");
    detail::check_decay(options_.weight_decay, "adam");
  }
  options options_;
  std::vector<T> m_, v_;
  std::size_t steps_ = 0;
};

// SGD with (heavy-ball) momentum as PyTorch: buf = momentum * buf + g + wd * p; p -= lr * buf.
template <class T = float>
class sgd {
 public:
  struct options {
    double learning_rate = 0.01, momentum = 0.9, weight_decay = 0;
  };

  explicit sgd(options o = {}) : options_(o) { validate(); }

  options& settings() { return options_; }
  std::size_t steps() const { return steps_; }

  void step(std::span<T> params, std::span<const T> grads, std::size_t decayed, thread_pool& pool) {
    validate();
    detail::check_sizes(velocity_, params.size(), grads.size(), "sgd");
    if (velocity_.empty()) velocity_.assign(params.size(), T(0));
    ++steps_;
    const T lr = T(options_.learning_rate), mu = T(options_.momentum), wd = T(options_.weight_decay);
    T *p = params.data(), *b = velocity_.data();
    const T* g = grads.data();
    parallel_ranges(pool, params.size(), 1024, [&](std::size_t begin, std::size_t end, std::size_t) {
      for (std::size_t i = begin; i < end; ++i) {
        b[i] = mu * b[i] + g[i] + (i < decayed ? wd * p[i] : T(0));
        p[i] -= lr * b[i];
      }
    });
  }

 private:
  void validate() const {
    detail::check_rate(options_.learning_rate, "sgd");
    if (!(options_.momentum >= 0 && options_.momentum < 1)) throw invalid_argument("sgd: momentum must be in [0, 1)");
    detail::check_decay(options_.weight_decay, "sgd");
  }
  options options_;
  std::vector<T> velocity_;
  std::size_t steps_ = 0;
};

template <class O, class T>
concept optimiser_for = requires(O o, std::span<T> p, std::span<const T> g, thread_pool& pool) {
  o.step(p, g, std::size_t{}, pool);
};

}  // namespace tarmac::nn
