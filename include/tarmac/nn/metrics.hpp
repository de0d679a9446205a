#pragma once
// How well a classifier did: the confusion matrix and what users read off it. Quantities that
// are undefined (recall of a class with no examples, precision of a class never predicted)
// are NaN, not a made-up 0 or 1.
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "tarmac/core/error.hpp"

namespace tarmac::nn {

class confusion_matrix {
 public:
  explicit confusion_matrix(std::size_t classes = 0) : classes_(classes), counts_(classes * classes, 0) {}

  std::size_t classes() const { return classes_; }

  void add(std::size_t truth, std::size_t predicted, std::size_t count = 1) {
    if (truth >= classes_ || predicted >= classes_)
      throw invalid_argument("confusion_matrix: class " + std::to_string(truth >= classes_ ? truth : predicted) +
                             " of " + std::to_string(classes_));
    counts_[truth * classes_ + predicted] += count;
  }

  confusion_matrix& operator+=(const confusion_matrix& other) {
    if (other.classes_ != classes_)
      throw invalid_argument("confusion_matrix: adding a " + std::to_string(other.classes_) + "-class matrix to a " +
                             std::to_string(classes_) + "-class one");
    for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    return *this;
  }

  void clear() { counts_.assign(counts_.size(), 0); }

  // Rows are true classes, columns predicted classes.
  std::size_t operator()(std::size_t truth, std::size_t predicted) const { return counts_.at(truth * classes_ + predicted); }

  std::size_t total() const {
    std::size_t n = 0;
    for (std::size_t c : counts_) n += c;
    return n;
  }
  std::size_t support(std::size_t c) const {  // examples of class c
    std::size_t n = 0;
    for (std::size_t p = 0; p < classes_; ++p) n += (*this)(c, p);
    return n;
  }
  std::size_t predicted(std::size_t c) const {  // examples called class c
    std::size_t n = 0;
    for (std::size_t t = 0; t < classes_; ++t) n += (*this)(t, c);
    return n;
  }

  double accuracy() const {
    std::size_t right = 0;
    for (std::size_t c = 0; c < classes_; ++c) right += (*this)(c, c);
    return ratio(right, total());
  }
  double recall(std::size_t c) const { return ratio((*this)(c, c), support(c)); }
  double precision(std::size_t c) const { return ratio((*this)(c, c), predicted(c)); }
  double f1(std::size_t c) const {
    const double p = precision(c), r = recall(c);
    if (std::isnan(p) || std::isnan(r)) return std::numeric_limits<double>::quiet_NaN();
    return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
  }
  // Mean recall over the classes that have examples (chance level: 1 / those classes).
  double balanced_accuracy() const {
    double sum = 0;
    std::size_t present = 0;
    for (std::size_t c = 0; c < classes_; ++c)
      if (support(c) > 0) sum += recall(c), ++present;
    return present ? sum / double(present) : std::numeric_limits<double>::quiet_NaN();
  }

 private:
  static double ratio(std::size_t a, std::size_t b) {
    return b ? double(a) / double(b) : std::numeric_limits<double>::quiet_NaN();
  }

  std::size_t classes_;
  std::vector<std::size_t> counts_;
};

}  // namespace tarmac::nn
