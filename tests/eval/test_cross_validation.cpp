// Cross-validation: the fold plan (groups kept together, stratified, seeded), the spread over
// folds, the pooled matrix, the ceiling that duplicates filed under two classes set, and the
// run with a caller's trainer.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <vector>

#include <tarmac/eval/cross_validation.hpp>
#include "confusion_counts.hpp"

using namespace tarmac;

namespace {

// Samples with the given labels (paths are never opened here).
std::vector<data::sample> labelled(const std::vector<std::size_t>& labels) {
  std::vector<data::sample> out;
  for (std::size_t i = 0; i < labels.size(); ++i) out.push_back({"s" + std::to_string(i) + ".png", labels[i]});
  return out;
}

std::vector<class_info> classes(std::size_t k) {
  std::vector<class_info> out;
  for (std::size_t c = 0; c < k; ++c) out.push_back({"c" + std::to_string(c), "class " + std::to_string(c)});
  return out;
}

// 0 for a training item, 1 for a validation item, 2 for a test item of the plan.
int side(const eval::fold_plan& p, std::size_t i) {
  const auto in = [&](const std::vector<std::size_t>& v) { return std::find(v.begin(), v.end(), i) != v.end(); };
  return in(p.test) ? 2 : in(p.split.validation) ? 1 : 0;
}

}  // namespace

TEST_CASE("spread_of: mean and sample standard deviation, NaN left out") {
  const eval::spread s = eval::spread_of({1, 2, 3, 4});
  CHECK(s.mean == doctest::Approx(2.5));
  CHECK(s.deviation == doctest::Approx(std::sqrt(5.0 / 3)));
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const eval::spread with_nan = eval::spread_of({nan, 0.5, 1.0});
  CHECK(with_nan.mean == doctest::Approx(0.75));
  CHECK(with_nan.deviation == doctest::Approx(std::sqrt(0.125)));
  CHECK(eval::spread_of({5}).mean == 5);
  CHECK(eval::spread_of({5}).deviation == 0);
  CHECK(std::isnan(eval::spread_of({nan}).mean));
  CHECK(std::isnan(eval::spread_of({}).deviation));
}

TEST_CASE("plan_folds: every item held out once, the rest split; stratified, seeded") {
  // 12, 9 and 6 items of three classes.
  std::vector<std::size_t> labels(12, 0);
  labels.insert(labels.end(), 9, 1);
  labels.insert(labels.end(), 6, 2);
  const auto samples = labelled(labels);
  const eval::cross_validation_options options{3, 0.25, 7};
  const auto plans = eval::plan_folds(samples, classes(3), {}, options);
  REQUIRE(plans.size() == 3);
  std::vector<int> held_out(samples.size(), 0);
  for (std::size_t f = 0; f < plans.size(); ++f) {
    const eval::fold_plan& p = plans[f];
    CHECK(p.index == f);
    for (std::size_t i : p.test) ++held_out[i];
    // Each fold holds a third of every class, and the rest is all of the other folds.
    std::vector<std::size_t> per_class(3, 0);
    for (std::size_t i : p.test) ++per_class[samples[i].label];
    CHECK(per_class == std::vector<std::size_t>{4, 3, 2});
    CHECK(p.test.size() + p.split.train.size() + p.split.validation.size() == samples.size());
    for (std::size_t i = 0; i < samples.size(); ++i) {
      const auto count = std::count(p.test.begin(), p.test.end(), i) + std::count(p.split.train.begin(), p.split.train.end(), i) +
                         std::count(p.split.validation.begin(), p.split.validation.end(), i);
      CHECK(count == 1);
    }
    // A quarter of each class's remaining items for validation: 8 -> 2, 6 -> 2 (1.5 rounds up), 4 -> 1.
    std::vector<std::size_t> validation(3, 0);
    for (std::size_t i : p.split.validation) ++validation[samples[i].label];
    CHECK(validation == std::vector<std::size_t>{2, 2, 1});
  }
  CHECK(std::all_of(held_out.begin(), held_out.end(), [](int n) { return n == 1; }));

  // The same seed gives the same plan; another seed another one.
  const auto again = eval::plan_folds(samples, classes(3), {}, options);
  const auto other = eval::plan_folds(samples, classes(3), {}, {3, 0.25, 8});
  bool same = true, differs = false;
  for (std::size_t f = 0; f < 3; ++f) {
    same = same && again[f].test == plans[f].test && again[f].split.train == plans[f].split.train &&
           again[f].split.validation == plans[f].split.validation;
    differs = differs || other[f].test != plans[f].test;
  }
  CHECK(same);
  CHECK(differs);

  CHECK_THROWS_WITH_AS(eval::plan_folds(samples, classes(3), {}, {7, 0.2, 1}),
                       doctest::Contains("class c2 has 6 distinct images"), invalid_argument);
}

TEST_CASE("plan_folds: the members of a group share their fold and their side of each split") {
  std::vector<std::size_t> labels(10, 0);
  labels.insert(labels.end(), 10, 1);
  const auto samples = labelled(labels);
  // Identical files: three copies in class 0, and a pair filed under both classes.
  const std::vector<std::vector<std::size_t>> groups = {{0, 4, 9}, {2, 15}};
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    const auto plans = eval::plan_folds(samples, classes(2), groups, {4, 0.3, seed});
    for (const eval::fold_plan& p : plans)
      for (const auto& g : groups)
        for (std::size_t i : g) CHECK(side(p, i) == side(p, g.front()));
  }
}

TEST_CASE("best_possible: what duplicates filed under two classes leave; checked against every assignment") {
  // Labels 0 0 0 1 1 2 2; groups: {0, 3} (classes 0 and 1), {1, 5, 6} (0, 2, 2), {2, 4} not a group.
  const auto samples = labelled({0, 0, 0, 1, 1, 2, 2});
  const std::vector<std::vector<std::size_t>> groups = {{0, 3}, {1, 5, 6}};
  const eval::ceiling c = eval::best_possible(samples, 3, groups);
  CHECK(c.conflicting == 2);
  // By hand: calling {0, 3} class 0 or 1 loses one item, {1, 5, 6} class 2 loses one: 5 of 7.
  CHECK(c.accuracy == doctest::Approx(5.0 / 7));

  // Brute force: each unit (a group, or an item alone) called each class in turn.
  const std::vector<std::vector<std::size_t>> units = {{0, 3}, {1, 5, 6}, {2}, {4}};
  double best_accuracy = 0, best_balanced = 0;
  for (std::size_t code = 0; code < 81; ++code) {
    nn::confusion_matrix m(3);
    std::size_t rest = code;
    for (const auto& u : units) {
      for (std::size_t i : u) m.add(samples[i].label, rest % 3);
      rest /= 3;
    }
    best_accuracy = std::max(best_accuracy, m.accuracy());
    best_balanced = std::max(best_balanced, m.balanced_accuracy());
  }
  CHECK(c.accuracy == doctest::Approx(best_accuracy));
  CHECK(c.balanced_accuracy == doctest::Approx(best_balanced));

  // Groups that agree, or none, leave a perfect score possible.
  const eval::ceiling agreed = eval::best_possible(samples, 3, {{0, 1, 2}, {5, 6}});
  CHECK(agreed.conflicting == 0);
  CHECK(agreed.accuracy == 1);
  CHECK(agreed.balanced_accuracy == 1);
  CHECK_THROWS_AS(eval::best_possible(samples, 3, {{0, 7}}), invalid_argument);
  CHECK_THROWS_AS(eval::best_possible(samples, 2, {}), invalid_argument);
}

TEST_CASE("summarise: pooled matrix and spreads over hand-made folds") {
  std::vector<eval::fold_report> folds = {{0, confusion_from_counts(2, {3, 1, 0, 2}), {}, 0, 0, 0},   // accuracy 5/6, recall 3/4 and 1
                                          {1, confusion_from_counts(2, {2, 0, 1, 1}), {}, 0, 0, 0},   // 3/4, recall 1 and 1/2
                                          {2, confusion_from_counts(2, {2, 0, 0, 0}), {}, 0, 0, 0}};  // 1, class 1 absent
  const eval::cross_validation_report r = eval::summarise(classes(2), folds, {1, 0.9, 0.8});
  CHECK(r.pooled(0, 0) == 7);
  CHECK(r.pooled(0, 1) == 1);
  CHECK(r.pooled(1, 0) == 1);
  CHECK(r.pooled(1, 1) == 3);
  CHECK(r.folds.size() == 3);
  CHECK(r.accuracy.mean == doctest::Approx((5.0 / 6 + 0.75 + 1) / 3));
  const auto sd = [](std::vector<double> v) {
    double mean = 0, sum = 0;
    for (double x : v) mean += x / double(v.size());
    for (double x : v) sum += (x - mean) * (x - mean);
    return std::sqrt(sum / double(v.size() - 1));
  };
  CHECK(r.accuracy.deviation == doctest::Approx(sd({5.0 / 6, 0.75, 1})));
  CHECK(r.balanced_accuracy.mean == doctest::Approx((0.875 + 0.75 + 1) / 3));
  CHECK(r.balanced_accuracy.deviation == doctest::Approx(sd({0.875, 0.75, 1})));
  REQUIRE(r.recall.size() == 2);
  CHECK(r.recall[0].mean == doctest::Approx((0.75 + 1 + 1) / 3));
  CHECK(r.recall[1].mean == doctest::Approx(0.75));  // the fold without class 1 has no recall for it
  CHECK(r.recall[1].deviation == doctest::Approx(sd({1, 0.5})));
  CHECK(r.ceiling.conflicting == 1);
  CHECK(r.ceiling.balanced_accuracy == 0.8);
}

TEST_CASE("cross_validate: the caller's trainer per fold, scored here; its mistakes are caught") {
  std::vector<std::size_t> labels(6, 0);
  labels.insert(labels.end(), 6, 1);
  const auto samples = labelled(labels);
  const std::vector<std::vector<std::size_t>> groups = {{0, 1}};
  const auto plans = eval::plan_folds(samples, classes(2), groups, {3, 0.2, 1});
  // A trainer that calls every item right but those whose index is a multiple of 5.
  std::vector<std::size_t> trained;
  const auto train = [&](const eval::fold_plan& p) {
    trained.push_back(p.index);
    eval::fold_outcome out{{}, p.index + 10, 20};
    for (std::size_t i : p.test) {
      const std::size_t truth = samples[i].label;
      out.predictions.push_back({i, truth, i % 5 == 0 ? 1 - truth : truth, 0.9f});
    }
    return out;
  };
  std::vector<std::size_t> seen;
  const eval::cross_validation_report r =
      eval::cross_validate(samples, classes(2), groups, plans, train, [&](const eval::fold_report& f) { seen.push_back(f.index); });
  CHECK(trained == std::vector<std::size_t>{0, 1, 2});
  CHECK(seen == std::vector<std::size_t>{0, 1, 2});
  // Items 0, 5 and 10 are called wrong: 0 and 5 are of class 0, 10 of class 1.
  CHECK(r.pooled(0, 0) == 4);
  CHECK(r.pooled(0, 1) == 2);
  CHECK(r.pooled(1, 0) == 1);
  CHECK(r.pooled(1, 1) == 5);
  std::size_t predictions = 0;
  for (const eval::fold_report& f : r.folds) {
    CHECK(f.best_epoch == f.index + 10);
    CHECK(f.epochs_run == 20);
    CHECK(f.seconds >= 0);
    CHECK(f.confusion.total() == plans[f.index].test.size());
    predictions += f.predictions.size();
  }
  CHECK(predictions == samples.size());
  CHECK(r.ceiling.conflicting == 0);

  // A prediction for an item the fold trained on, or with the wrong truth, is refused.
  const auto leaky = [&](const eval::fold_plan& p) {
    return eval::fold_outcome{{{p.split.train.front(), samples[p.split.train.front()].label, 0, 1.0f}}, 0, 0};
  };
  CHECK_THROWS_WITH_AS(eval::cross_validate(samples, classes(2), groups, plans, leaky),
                       doctest::Contains("fold 1 returned a prediction for sample"), invalid_argument);
  const auto mislabelled = [&](const eval::fold_plan& p) {
    return eval::fold_outcome{{{p.test.front(), 1 - samples[p.test.front()].label, 0, 1.0f}}, 0, 0};
  };
  CHECK_THROWS_AS(eval::cross_validate(samples, classes(2), groups, plans, mislabelled), invalid_argument);
  std::vector<eval::fold_plan> past_the_end = plans;
  past_the_end[0].test.push_back(12);
  CHECK_THROWS_WITH_AS(eval::cross_validate(samples, classes(2), groups, past_the_end, train),
                       "cross_validate: fold 1 holds out item 12 of 12 samples", invalid_argument);
}
