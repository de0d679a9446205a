#pragma once
// Softmax and softmax + cross-entropy, stable for any finite logits: exponents are taken after
// subtracting the row maximum and the loss is log-sum-exp minus the true logit, so logits of
// +-1e4 give exact probabilities and finite losses.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>

namespace tarmac::nn {

template <class T>
void softmax(const T* logits, std::size_t rows, std::size_t classes, T* probabilities) {
  for (std::size_t r = 0; r < rows; ++r) {
    const T* z = logits + r * classes;
    T* p = probabilities + r * classes;
    const T top = *std::max_element(z, z + classes);
    T sum = 0;
    for (std::size_t k = 0; k < classes; ++k) sum += p[k] = std::exp(z[k] - top);
    for (std::size_t k = 0; k < classes; ++k) p[k] /= sum;
  }
}

struct loss_result {
  double loss = 0;       // mean cross-entropy (weighted by class_weights when given)
  std::size_t correct = 0;  // rows whose largest logit is the label (first one on ties)
};

// Mean cross-entropy of softmax(logits) against labels; writes d loss / d logits into d_logits
// (may be null). class_weights (empty = all 1) weight each row by its label's weight, and the
// mean divides by the sum of those weights, as torch.nn.CrossEntropyLoss(weight=...) does.
template <class T>
loss_result softmax_cross_entropy(const T* logits, std::size_t rows, std::size_t classes,
                                  std::span<const std::size_t> labels, std::span<const T> class_weights, T* d_logits) {
  loss_result result;
  double total_weight = 0;
  for (std::size_t r = 0; r < rows; ++r) total_weight += class_weights.empty() ? 1.0 : double(class_weights[labels[r]]);
  for (std::size_t r = 0; r < rows; ++r) {
    const T* z = logits + r * classes;
    const std::size_t y = labels[r];
    const std::size_t arg = static_cast<std::size_t>(std::max_element(z, z + classes) - z);
    const T top = z[arg];
    T sum = 0;
    for (std::size_t k = 0; k < classes; ++k) sum += std::exp(z[k] - top);
    const T log_sum = std::log(sum);
    const double weight = (class_weights.empty() ? 1.0 : double(class_weights[y])) / total_weight;
    result.loss += weight * double(log_sum - (z[y] - top));
    result.correct += arg == y;
    if (d_logits)
      for (std::size_t k = 0; k < classes; ++k)
        d_logits[r * classes + k] = T(weight) * (std::exp(z[k] - top - log_sum) - T(k == y));
  }
  return result;
}

}  // namespace tarmac::nn
