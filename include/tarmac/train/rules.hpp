#pragma once
// The trainer's rules, each in one place: the learning rate of an epoch, how an epoch's items
// and the loss weights balance the classes, and which epoch makes the better checkpoint.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <string>
#include <vector>

#include "tarmac/core/error.hpp"
#include "tarmac/core/labels.hpp"
#include "tarmac/data/dataset.hpp"
#include "tarmac/train/options.hpp"
#include "tarmac/train/records.hpp"

namespace tarmac::train {

// The learning rate of epoch (1-based): cosine goes from the base rate at epoch 1 down to 1% of
// it at the last epoch; a run of options::iterations steps has no known last epoch and keeps the
// base rate.
inline double learning_rate(const options& o, std::size_t epoch) {
  if (o.schedule != schedule::cosine || o.iterations) return o.learning_rate;
  return o.learning_rate *
         (0.01 + 0.99 * 0.5 * (1 + std::cos(std::numbers::pi * double(epoch - 1) / double(std::max<std::size_t>(1, o.epochs - 1)))));
}

// Per-class weights of the loss (empty: unweighted). balance::weights gives every class the same
// total weight: an image of a class of n weighs 1 / n.
inline std::vector<float> loss_weights(balance b, const std::vector<std::size_t>& counts) {
  std::vector<float> out;
  if (b == balance::weights)
    for (double w : data::class_weights(counts)) out.push_back(float(w * double(counts.size())));
  return out;
}

// The items of one epoch (1-based) drawn from the training items, with counts their images per
// class: repeated per class (replicate), drawn with replacement (sample, seeded by seed + epoch)
// or as they are.
inline std::vector<std::size_t> epoch_items(balance b, const std::vector<data::sample>& samples,
                                            const std::vector<std::size_t>& train, const std::vector<std::size_t>& counts,
                                            std::uint64_t seed, std::size_t epoch) {
  if (b == balance::replicate) return data::replicate(samples, train, data::replication_factors(counts));
  if (b == balance::sample) return data::weighted_draw(samples, train, data::class_weights(counts), train.size(), seed + epoch);
  return train;
}

// The validation score the checkpoint is chosen by.
inline double score(selection s, const epoch_record& r) {
  return s == selection::balanced_accuracy ? r.validation_balanced_accuracy : r.validation_accuracy;
}

// Whether epoch r makes a better checkpoint than best: a higher score, or the same score at a
// lower validation loss.
inline bool better(selection s, const epoch_record& r, const epoch_record& best) {
  return score(s, r) > score(s, best) || (score(s, r) == score(s, best) && r.validation_loss < best.validation_loss);
}

// Images per class among the training items; invalid_argument naming the first class that has
// none (nothing could teach the network that class).
inline std::vector<std::size_t> training_counts(const std::vector<class_info>& classes, const std::vector<data::sample>& samples,
                                                const std::vector<std::size_t>& train) {
  const auto counts = data::class_counts(samples, train, classes.size());
  for (std::size_t c = 0; c < classes.size(); ++c)
    if (counts[c] == 0) throw invalid_argument("class " + classes[c].id + " has no training images after the validation split");
  return counts;
}

}  // namespace tarmac::train
