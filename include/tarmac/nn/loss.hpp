#pragma once
// Softmax and softmax + cross-entropy, stable for any finite logits: exponents are taken after
// subtracting the row maximum and the loss is log-sum-exp minus the true logit, so logits of
// +-1e4 give exact probabilities and finite losses. And the loss protocol of train_step:
// loss_for, with cross_entropy (optionally class-weighted) as the default loss.
#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <span>
#include <string>

#include "tarmac/core/error.hpp"

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

// What a loss says of a batch: its mean over the rows and the rows' total weight (the row count
// when rows are not weighted), so that the means of several chunks combine into the whole's.
struct loss_value {
  double mean = 0;
  double weight = 0;
};

// A loss for a network of scalar T: how far logits (rows x classes, row-major) are from class
// labels (one per row, each < classes; the network checks that).
//   loss.check(labels, classes, who): throws tarmac::invalid_argument, its message starting with
//     `who`, for a batch the loss cannot score; called once per batch before anything runs.
//   loss.evaluate(logits, labels, classes, d_logits) -> loss_value: the batch's loss, and, when
//     d_logits is not empty, d mean / d logits written there (rows x classes). A batch whose
//     weight is 0 (all rows weigh 0) returns weight 0 and any mean.
template <class L, class T>
concept loss_for = requires(const L& loss, std::span<const T> logits, std::span<const std::size_t> labels,
                            std::size_t classes, std::span<T> d_logits, const char* who) {
  loss.check(labels, classes, who);
  { loss.evaluate(logits, labels, classes, d_logits) } -> std::same_as<loss_value>;
};

// Softmax cross-entropy, each row weighted by its label's class weight (empty: all 1), as
// softmax_cross_entropy computes it. The weights are not copied: they must outlive the loss.
template <class T = float>
struct cross_entropy {
  std::span<const T> class_weights;

  void check(std::span<const std::size_t> labels, std::size_t classes, const char* who) const {
    if (class_weights.empty()) return;
    if (class_weights.size() != classes)
      throw invalid_argument(std::string(who) + ": " + std::to_string(class_weights.size()) + " class weights for " +
                             std::to_string(classes) + " classes");
    for (std::size_t k = 0; k < classes; ++k)
      if (!(class_weights[k] >= 0) || !std::isfinite(class_weights[k]))
        throw invalid_argument(std::string(who) + ": class weight " + std::to_string(k) + " must be finite and >= 0");
    if (!(weight(labels) > 0)) throw invalid_argument(std::string(who) + ": every row of the batch has class weight 0");
  }

  loss_value evaluate(std::span<const T> logits, std::span<const std::size_t> labels, std::size_t classes,
                      std::span<T> d_logits) const {
    const double total = weight(labels);
    if (total == 0) return {0, 0};
    const loss_result r = softmax_cross_entropy(logits.data(), labels.size(), classes, labels, class_weights,
                                                d_logits.empty() ? nullptr : d_logits.data());
    return {r.loss, total};
  }

 private:
  double weight(std::span<const std::size_t> labels) const {
    if (class_weights.empty()) return double(labels.size());
    double sum = 0;
    for (std::size_t y : labels) sum += double(class_weights[y]);
    return sum;
  }
};

}  // namespace tarmac::nn
