#pragma once
// What an evaluation found, as data: the renderers (eval/text.hpp, eval/json.hpp) and users
// read these. Accuracy, balanced accuracy and per-class precision, recall and F1 are read off
// the confusion matrices (nn::confusion_matrix), so they cannot disagree with the counts.
#include <cstddef>
#include <vector>

#include "tarmac/core/labels.hpp"
#include "tarmac/data/dataset.hpp"
#include "tarmac/nn/metrics.hpp"

namespace tarmac::eval {

// One item's outcome: which sample, its true class and the class called, with that class's probability.
struct prediction {
  std::size_t sample = 0, truth = 0, predicted = 0;
  float probability = 0;

  friend bool operator==(const prediction&, const prediction&) = default;
};

// A classifier on a data set.
struct report {
  std::vector<class_info> classes;
  nn::confusion_matrix confusion;          // rows: true class, columns: predicted
  std::vector<prediction> predictions;     // every item scored, in sample order
  std::vector<data::skipped_file> skipped;  // files that could not be used: in no count
  double seconds = 0;                      // decoding, ROI, resizing and the network

  double per_second() const { return double(confusion.total()) / seconds; }
};

// A cascade on the RTK layout: each frame's outcome is its (type, quality), or its type alone
// where the type has no quality model. outcomes.accuracy() is "type and quality both right".
struct cascade_report {
  std::vector<class_info> outcome_classes, type_classes;
  nn::confusion_matrix outcomes, types;
  std::vector<data::skipped_file> skipped;
  double seconds = 0;

  double per_second() const { return double(outcomes.total()) / seconds; }
};

// A mean and the sample standard deviation around it (0 for a single value).
struct spread {
  double mean = 0, deviation = 0;
};

// What a perfect model could score when byte-identical files carry different labels (it must
// call every copy the same class): `conflicting` such groups, and the highest accuracy and
// balanced accuracy possible.
struct ceiling {
  std::size_t conflicting = 0;
  double accuracy = 1, balanced_accuracy = 1;
};

// One fold of a cross-validation: the held-out items as its trainer scored them.
struct fold_report {
  std::size_t index = 0;  // from 0
  nn::confusion_matrix confusion;
  std::vector<prediction> predictions;
  std::size_t best_epoch = 0, epochs_run = 0;  // as the trainer reports them (0: it did not)
  double seconds = 0;                          // training and testing
};

struct cross_validation_report {
  std::vector<class_info> classes;
  std::vector<fold_report> folds;
  nn::confusion_matrix pooled;          // the sum of the folds' matrices: every item once
  spread accuracy, balanced_accuracy;   // over the folds
  std::vector<spread> recall;           // per class, over the folds where the class has items
  eval::ceiling ceiling;
};

}  // namespace tarmac::eval
