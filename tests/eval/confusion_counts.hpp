#pragma once
// A confusion matrix from its counts, given row by row (rows: true class).
#include <cstddef>
#include <vector>

#include <tarmac/nn/metrics.hpp>

inline tarmac::nn::confusion_matrix confusion_from_counts(std::size_t k, const std::vector<std::size_t>& counts) {
  tarmac::nn::confusion_matrix m(k);
  for (std::size_t i = 0; i < counts.size(); ++i) m.add(i / k, i % k, counts[i]);
  return m;
}
