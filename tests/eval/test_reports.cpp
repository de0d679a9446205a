// The renderers: reports as text and as JSON, checked against exact text written out by hand.
#include <doctest/doctest.h>

#include <limits>
#include <string>
#include <vector>

#include <tarmac/eval/cross_validation.hpp>
#include <tarmac/eval/json.hpp>
#include <tarmac/eval/text.hpp>
#include "confusion_counts.hpp"

using namespace tarmac;

namespace {

std::vector<class_info> good_bad() { return {{"x", "good"}, {"y", "bad"}}; }

// Two hand-made folds: 3 of 4 right ([[2, 1], [0, 1]]), then all 4 ([[1, 0], [0, 3]]).
eval::cross_validation_report two_folds() {
  std::vector<eval::fold_report> folds = {{0, confusion_from_counts(2, {2, 1, 0, 1}), {}, 4, 6, 1.5},
                                          {1, confusion_from_counts(2, {1, 0, 0, 3}), {}, 2, 6, 0.25}};
  return eval::summarise(good_bad(), folds, {2, 0.9, 0.95});
}

const std::string fold_a_json =
    R"("accuracy": 0.75, "balanced_accuracy": 0.8333333333333333, "n": 4, "classes": ["x", "y"], "labels": ["good", "bad"], )"
    R"("confusion": [[2, 1], [0, 1]], "precision": [1, 0.5], "recall": [0.6666666666666666, 1], "f1": [0.8, 0.6666666666666666])";

}  // namespace

TEST_CASE("text: percentages, the confusion matrix and the per-class table, exactly") {
  CHECK(eval::percent(0.5) == " 50.0%");
  CHECK(eval::percent(1) == "100.0%");
  CHECK(eval::percent(0.0004) == "  0.0%");
  CHECK(eval::percent(std::numeric_limits<double>::quiet_NaN()) == "    -");

  const nn::confusion_matrix m = confusion_from_counts(2, {2, 1, 0, 1});
  const std::string confusion = "Confusion matrix (rows: true class, columns: predicted)\n"
                                "               good       bad\n"
                                "     good         2         1\n"
                                "      bad         0         1\n";
  CHECK(eval::confusion_text(good_bad(), m) == confusion);
  const std::string per_class = "           precision  recall     F1  support\n"
                                "     good     100.0%   66.7%   80.0%        3\n"
                                "      bad      50.0%  100.0%   66.7%        1\n";
  CHECK(eval::per_class_text(good_bad(), m) == per_class);
  const std::string metrics = "Accuracy  75.0%, balanced accuracy  83.3% (4 images)\n" + confusion + per_class;
  CHECK(eval::metrics_text(good_bad(), m) == metrics);
  CHECK(eval::to_text(eval::report{good_bad(), m, {}, {}, 1}) == metrics);

  // A label longer than 8 characters widens every column to that length + 1; undefined values are "-".
  const std::vector<class_info> long_label = {{"a", "asphalt (good)"}, {"b", "b"}};
  CHECK(eval::confusion_text(long_label, confusion_from_counts(2, {1, 0, 0, 0})) ==
        "Confusion matrix (rows: true class, columns: predicted)\n"
        "                 asphalt (good)               b\n"
        " asphalt (good)               1               0\n"
        "              b               0               0\n");
  CHECK(eval::per_class_text(long_label, confusion_from_counts(2, {1, 0, 0, 0})) ==
        "                 precision  recall     F1  support\n"
        " asphalt (good)     100.0%  100.0%  100.0%        1\n"
        "              b         -      -      -        0\n");
}

TEST_CASE("text: a cascade report, a fold line and a cross-validation summary") {
  const std::vector<class_info> types = {{"asphalt", "asphalt"}, {"paved", "paved"}};
  const std::vector<class_info> outcomes = {{"asphalt/good", "asphalt good"}, {"asphalt/bad", "asphalt bad"}, {"paved", "paved"}};
  const eval::cascade_report c{outcomes, types, confusion_from_counts(3, {1, 1, 0, 0, 1, 0, 0, 0, 2}), confusion_from_counts(2, {3, 0, 0, 2}), {}, 1};
  CHECK(eval::to_text(c) == "Type: " + eval::metrics_text(types, c.types) +
                                "Type and quality (rows: true, columns: the cascade's answer): " +
                                eval::metrics_text(outcomes, c.outcomes));

  const eval::cross_validation_report r = two_folds();
  CHECK(eval::fold_text(r.folds[0], r.classes, 3) ==
        "Fold 1/3: accuracy  75.0%, balanced accuracy  83.3%, recall good  66.7%, bad 100.0% (4 test images, best epoch 4 of 6, 2 s)\n");
  CHECK(eval::to_text(r) == "Over 2 folds (mean +- sample standard deviation):\n"
                            "  accuracy           87.5% +- 17.7%\n"
                            "  balanced accuracy  91.7% +- 11.8%\n"
                            "  recall good        83.3% +- 23.6%\n"
                            "  recall bad        100.0% +- 0.0%\n"
                            "  2 files are filed under two classes; no model can score more than  90.0% accuracy,  95.0% balanced accuracy\n"
                            "Pooled over the held-out folds: " +
                                eval::metrics_text(r.classes, r.pooled));
  eval::cross_validation_report no_conflict = r;
  no_conflict.ceiling = {};
  CHECK(eval::to_text(no_conflict).find("filed under two classes") == std::string::npos);
}

TEST_CASE("json: a model report, exactly") {
  const eval::report r{good_bad(), confusion_from_counts(2, {2, 1, 0, 1}), {}, {}, 2};
  CHECK(eval::to_json(r).dump() == "{" + fold_a_json + R"(, "images_per_second": 2})");
  // A class without items has no recall; a class never called has no precision: both null.
  const eval::report empty_class{good_bad(), confusion_from_counts(2, {3, 0, 0, 0}), {}, {}, 0};
  CHECK(eval::to_json(empty_class).dump() ==
        R"({"accuracy": 1, "balanced_accuracy": 1, "n": 3, "classes": ["x", "y"], "labels": ["good", "bad"], )"
        R"("confusion": [[3, 0], [0, 0]], "precision": [1, null], "recall": [1, null], "f1": [1, null], "images_per_second": null})");
  CHECK_THROWS_AS(eval::metrics_json({{"x", "good"}}, confusion_from_counts(2, {1, 0, 0, 1})), invalid_argument);
}

TEST_CASE("json: a cascade report nests the type's fields under \"type\"") {
  const std::vector<class_info> types = {{"x", "good"}, {"y", "bad"}};
  const eval::cascade_report c{good_bad(), types, confusion_from_counts(2, {2, 1, 0, 1}), confusion_from_counts(2, {2, 1, 0, 1}), {}, 4};
  CHECK(eval::to_json(c).dump() == "{" + fold_a_json + ", \"type\": {" + fold_a_json + R"(}, "frames_per_second": 1})");
}

TEST_CASE("json: a cross-validation report, exactly") {
  CHECK(eval::to_json(two_folds()).dump() ==
        R"({"accuracy": 0.875, "balanced_accuracy": 0.875, "n": 8, "classes": ["x", "y"], "labels": ["good", "bad"], )"
        R"("confusion": [[3, 1], [0, 4]], "precision": [1, 0.8], "recall": [0.75, 1], "f1": [0.8571428571428571, 0.888888888888889], )"
        R"("accuracy_mean": 0.875, "accuracy_std": 0.1767766952966369, "balanced_accuracy_mean": 0.9166666666666666, )"
        R"("balanced_accuracy_std": 0.11785113019775798, "conflicting_duplicates": 2, "best_possible_accuracy": 0.9, )"
        R"("best_possible_balanced_accuracy": 0.95, "folds": [{)" +
            fold_a_json + R"(, "best_epoch": 4, "seconds": 1.5}, )" +
            R"({"accuracy": 1, "balanced_accuracy": 1, "n": 4, "classes": ["x", "y"], "labels": ["good", "bad"], )"
            R"("confusion": [[1, 0], [0, 3]], "precision": [1, 1], "recall": [1, 1], "f1": [1, 1], "best_epoch": 2, "seconds": 0.25}]})");
}
