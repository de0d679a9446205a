#pragma once
// Reports as JSON (tarmac-eval --json). Every report starts with the same fields, which outside
// scripts read: accuracy, balanced_accuracy, n, classes (ids), labels, confusion (rows: true
// class, in classes order), then per-class precision, recall and f1. Undefined values
// (the recall of a class without items) are null.
#include <string>
#include <vector>

#include "tarmac/core/json.hpp"
#include "tarmac/core/labels.hpp"
#include "tarmac/eval/report.hpp"
#include "tarmac/nn/metrics.hpp"

namespace tarmac::eval {

// The common fields of a confusion matrix, as the members of an object (so callers can add to it).
inline json::object metrics_json(const std::vector<class_info>& classes, const nn::confusion_matrix& m) {
  const std::size_t k = m.classes();
  if (classes.size() != k)
    throw invalid_argument("metrics_json: " + std::to_string(classes.size()) + " classes for a " + std::to_string(k) +
                           "-class confusion matrix");
  json::array ids, labels, confusion, precision, recall, f1;
  for (std::size_t c = 0; c < k; ++c) {
    ids.emplace_back(classes[c].id);
    labels.emplace_back(classes[c].label);
    json::array row;
    for (std::size_t p = 0; p < k; ++p) row.emplace_back(m(c, p));
    confusion.emplace_back(std::move(row));
    precision.emplace_back(m.precision(c));
    recall.emplace_back(m.recall(c));
    f1.emplace_back(m.f1(c));
  }
  return {{"accuracy", m.accuracy()},       {"balanced_accuracy", m.balanced_accuracy()},
          {"n", m.total()},                 {"classes", std::move(ids)},
          {"labels", std::move(labels)},    {"confusion", std::move(confusion)},
          {"precision", std::move(precision)}, {"recall", std::move(recall)},
          {"f1", std::move(f1)}};
}

// The common fields and images_per_second.
inline json::value to_json(const report& r) {
  json::object o = metrics_json(r.classes, r.confusion);
  o.emplace_back("images_per_second", r.per_second());
  return o;
}

// The common fields of the (type, quality) outcomes, "type": the common fields of the type
// alone, and frames_per_second.
inline json::value to_json(const cascade_report& r) {
  json::object o = metrics_json(r.outcome_classes, r.outcomes);
  o.emplace_back("type", metrics_json(r.type_classes, r.types));
  o.emplace_back("frames_per_second", r.per_second());
  return o;
}

// The common fields of the pooled matrix; the mean and sample standard deviation over the
// folds of accuracy and balanced accuracy; the ceiling set by conflicting duplicates; and
// "folds": each fold's common fields with best_epoch and seconds.
inline json::value to_json(const cross_validation_report& r) {
  json::object o = metrics_json(r.classes, r.pooled);
  json::array folds;
  for (const fold_report& f : r.folds) {
    json::object fold = metrics_json(r.classes, f.confusion);
    fold.emplace_back("best_epoch", f.best_epoch);
    fold.emplace_back("seconds", f.seconds);
    folds.emplace_back(std::move(fold));
  }
  o.insert(o.end(), {{"accuracy_mean", r.accuracy.mean},
                     {"accuracy_std", r.accuracy.deviation},
                     {"balanced_accuracy_mean", r.balanced_accuracy.mean},
                     {"balanced_accuracy_std", r.balanced_accuracy.deviation},
                     {"conflicting_duplicates", r.ceiling.conflicting},
                     {"best_possible_accuracy", r.ceiling.accuracy},
                     {"best_possible_balanced_accuracy", r.ceiling.balanced_accuracy},
                     {"folds", std::move(folds)}});
  return o;
}

}  // namespace tarmac::eval
