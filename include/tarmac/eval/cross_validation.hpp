#pragma once
// Stratified k-fold cross-validation of a training recipe. The folds and each fold's
// training / validation split are planned here (seeded, stratified, groups of identical files
// kept on one side: data::stratified_folds and data::stratified_split); the training is the
// caller's, a callable that trains on a fold's split and returns its predictions on the
// held-out items. Scoring, the spread over the folds and the pooled matrix are done here.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <iterator>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "tarmac/core/error.hpp"
#include "tarmac/core/labels.hpp"
#include "tarmac/data/dataset.hpp"
#include "tarmac/eval/report.hpp"

namespace tarmac::eval {

// Mean and sample standard deviation of the values that are not NaN (an undefined score, e.g.
// the recall of a class a fold lacks, is left out rather than counted as 0); NaN when none is.
inline spread spread_of(const std::vector<double>& values) {
  std::vector<double> v;
  std::copy_if(values.begin(), values.end(), std::back_inserter(v), [](double x) { return !std::isnan(x); });
  if (v.empty()) return {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::quiet_NaN()};
  spread s;
  for (double x : v) s.mean += x;
  s.mean /= double(v.size());
  for (double x : v) s.deviation += (x - s.mean) * (x - s.mean);
  s.deviation = v.size() > 1 ? std::sqrt(s.deviation / double(v.size() - 1)) : 0.0;
  return s;
}

// The best a model can score on `samples` when the members of each group (byte-identical
// files) must all be called one class. Accuracy: each group's most common label. Balanced
// accuracy (the mean over classes with samples of right / support): the label with the largest
// count / support, since each group adds to one class's recall only.
inline ceiling best_possible(const std::vector<data::sample>& samples, std::size_t classes,
                             const std::vector<std::vector<std::size_t>>& groups) {
  std::vector<std::size_t> support(classes, 0);
  for (const data::sample& s : samples) {
    if (s.label >= classes)
      throw invalid_argument("best_possible: " + s.path.string() + " has label " + std::to_string(s.label) + " of " +
                             std::to_string(classes) + " classes");
    ++support[s.label];
  }
  const auto share = [&](const std::vector<std::size_t>& count, std::size_t k) {
    return support[k] ? double(count[k]) / double(support[k]) : 0.0;
  };
  ceiling c;
  double lost = 0;
  std::vector<double> lost_recall(classes, 0);
  for (const auto& group : groups) {
    std::vector<std::size_t> count(classes, 0);
    for (std::size_t i : group) {
      if (i >= samples.size())
        throw invalid_argument("best_possible: group member " + std::to_string(i) + " is not one of the " +
                               std::to_string(samples.size()) + " samples");
      ++count[samples[i].label];
    }
    if (std::count_if(count.begin(), count.end(), [](std::size_t n) { return n > 0; }) < 2) continue;
    ++c.conflicting;
    lost += double(group.size() - *std::max_element(count.begin(), count.end()));
    std::size_t keep = 0;
    for (std::size_t k = 1; k < classes; ++k)
      if (share(count, k) > share(count, keep)) keep = k;
    for (std::size_t k = 0; k < classes; ++k)
      if (k != keep) lost_recall[k] += share(count, k);
  }
  const auto present = std::count_if(support.begin(), support.end(), [](std::size_t n) { return n > 0; });
  c.accuracy = 1 - lost / double(samples.size());
  double recall_sum = 0;
  for (std::size_t k = 0; k < classes; ++k)
    if (support[k]) recall_sum += 1 - lost_recall[k];
  c.balanced_accuracy = recall_sum / double(present);
  return c;
}

struct cross_validation_options {
  std::size_t folds = 5;
  double validation = 0.2;  // the share of each fold's training part held out to pick the checkpoint
  std::uint64_t seed = 1;
};

// What a trainer is given for one fold.
struct fold_plan {
  std::size_t index = 0;           // from 0
  data::split_indices split;       // training and validation items, from the other folds
  std::vector<std::size_t> test;   // the held-out items of this fold
};

// What a trainer returns for one fold: a prediction for each held-out item it could use.
struct fold_outcome {
  std::vector<prediction> predictions;
  std::size_t best_epoch = 0, epochs_run = 0;  // for the report (0: not an epoch-based trainer)
};

// The folds (data::stratified_folds: seeded, stratified, each group in one fold) and, for
// each, the rest split into training and validation (data::stratified_split with seed +
// fold, groups on one side). An invalid_argument names a class with fewer items than folds.
inline std::vector<fold_plan> plan_folds(const std::vector<data::sample>& samples, const std::vector<class_info>& classes,
                                         const std::vector<std::vector<std::size_t>>& groups,
                                         const cross_validation_options& options) {
  const auto parts = data::stratified_folds(samples, classes, options.folds, options.seed, groups);
  std::vector<fold_plan> plans;
  for (std::size_t f = 0; f < parts.size(); ++f) {
    std::vector<std::size_t> rest;
    for (std::size_t g = 0; g < parts.size(); ++g)
      if (g != f) rest.insert(rest.end(), parts[g].begin(), parts[g].end());
    plans.push_back({f, data::stratified_split(samples, classes.size(), options.validation, options.seed + f, rest, groups),
                     parts[f]});
  }
  return plans;
}

// The pooled matrix and the spreads over the folds.
inline cross_validation_report summarise(std::vector<class_info> classes, std::vector<fold_report> folds, ceiling best) {
  const std::size_t k = classes.size();
  cross_validation_report r{std::move(classes), std::move(folds), nn::confusion_matrix(k), {}, {}, {}, best};
  std::vector<double> accuracy, balanced;
  std::vector<std::vector<double>> recall(k);
  for (const fold_report& f : r.folds) {
    r.pooled += f.confusion;
    accuracy.push_back(f.confusion.accuracy());
    balanced.push_back(f.confusion.balanced_accuracy());
    for (std::size_t c = 0; c < k; ++c) recall[c].push_back(f.confusion.recall(c));
  }
  r.accuracy = spread_of(accuracy);
  r.balanced_accuracy = spread_of(balanced);
  for (const auto& values : recall) r.recall.push_back(spread_of(values));
  return r;
}

// Runs `train(plan)` for each plan (see plan_folds) and scores what it returns; on_fold sees
// each fold's report as soon as it is scored. A prediction for an item that is not held out in
// that fold, or whose truth is not its sample's label, is an invalid_argument. What train
// throws (a stop, say) ends the run.
template <class Train>
  requires std::is_invocable_r_v<fold_outcome, Train&, const fold_plan&>
cross_validation_report cross_validate(const std::vector<data::sample>& samples, const std::vector<class_info>& classes,
                                       const std::vector<std::vector<std::size_t>>& groups,
                                       const std::vector<fold_plan>& plans, Train&& train,
                                       const std::function<void(const fold_report&)>& on_fold = {}) {
  std::vector<fold_report> folds;
  for (const fold_plan& plan : plans) {
    const auto start = std::chrono::steady_clock::now();
    fold_outcome outcome = train(plan);
    fold_report f{plan.index, nn::confusion_matrix(classes.size()), std::move(outcome.predictions), outcome.best_epoch,
                  outcome.epochs_run, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()};
    std::vector<bool> held_out(samples.size(), false);
    for (std::size_t i : plan.test) {
      if (i >= samples.size())
        throw invalid_argument("cross_validate: fold " + std::to_string(plan.index + 1) + " holds out item " +
                               std::to_string(i) + " of " + std::to_string(samples.size()) + " samples");
      held_out[i] = true;
    }
    for (const prediction& p : f.predictions) {
      if (p.sample >= samples.size() || !held_out[p.sample] || p.truth != samples[p.sample].label)
        throw invalid_argument("cross_validate: fold " + std::to_string(plan.index + 1) + " returned a prediction for sample " +
                               std::to_string(p.sample) + " that is not one of its held-out items with truth " +
                               std::to_string(p.truth));
      f.confusion.add(p.truth, p.predicted);
    }
    if (on_fold) on_fold(f);
    folds.push_back(std::move(f));
  }
  return summarise(classes, std::move(folds), best_possible(samples, classes.size(), groups));
}

}  // namespace tarmac::eval
