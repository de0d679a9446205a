#pragma once
// Reports as text for a terminal (tarmac-eval's output): fixed-width tables with classes by
// their display labels, percentages with one decimal, "-" for an undefined value.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "tarmac/core/labels.hpp"
#include "tarmac/eval/report.hpp"
#include "tarmac/nn/metrics.hpp"
#include "tarmac/train/report.hpp"

namespace tarmac::eval {

namespace detail {

template <class... Args>
std::string format(const char* pattern, Args... args) {
  const int n = std::snprintf(nullptr, 0, pattern, args...);
  std::string out(std::size_t(n), '\0');
  std::snprintf(out.data(), out.size() + 1, pattern, args...);
  return out;
}


}  // namespace detail

// "  93.3%" style: 5.1f and a percent sign; "    -" for NaN.
inline std::string percent(double v) { return std::isnan(v) ? "    -" : detail::format("%5.1f%%", 100 * v); }

// The confusion matrix as the tools print it (one renderer, the trainer's).
using train::confusion_text;

// Precision, recall, F1 and support of each class.
inline std::string per_class_text(const std::vector<class_info>& classes, const nn::confusion_matrix& m) {
  const int width = train::label_column_width(classes);
  std::string out = detail::format("%*s  precision  recall     F1  support\n", width, "");
  for (std::size_t c = 0; c < m.classes(); ++c)
    out += detail::format("%*s     %s  %s  %s  %7zu\n", width, classes.at(c).label.c_str(), percent(m.precision(c)).c_str(),
                          percent(m.recall(c)).c_str(), percent(m.f1(c)).c_str(), m.support(c));
  return out;
}

// Accuracy and balanced accuracy on one line, then the matrix and the per-class table.
inline std::string metrics_text(const std::vector<class_info>& classes, const nn::confusion_matrix& m) {
  return detail::format("Accuracy %s, balanced accuracy %s (%zu images)\n", percent(m.accuracy()).c_str(),
                        percent(m.balanced_accuracy()).c_str(), m.total()) +
         confusion_text(classes, m) + per_class_text(classes, m);
}

inline std::string to_text(const report& r) { return metrics_text(r.classes, r.confusion); }

// The type alone, then type and quality together.
inline std::string to_text(const cascade_report& r) {
  return "Type: " + metrics_text(r.type_classes, r.types) +
         "Type and quality (rows: true, columns: the cascade's answer): " + metrics_text(r.outcome_classes, r.outcomes);
}

// One line: "Fold 2/5: accuracy ..., balanced accuracy ..., recall <label> ..., ... (N test
// images, best epoch E of R, S s)".
inline std::string fold_text(const fold_report& f, const std::vector<class_info>& classes, std::size_t folds) {
  const nn::confusion_matrix& m = f.confusion;
  std::string out = detail::format("Fold %zu/%zu: accuracy %s, balanced accuracy %s, recall", f.index + 1, folds,
                                   percent(m.accuracy()).c_str(), percent(m.balanced_accuracy()).c_str());
  for (std::size_t c = 0; c < classes.size(); ++c)
    out += detail::format("%s %s %s", c ? "," : "", classes[c].label.c_str(), percent(m.recall(c)).c_str());
  return out + detail::format(" (%zu test images, best epoch %zu of %zu, %.0f s)\n", m.total(), f.best_epoch, f.epochs_run,
                              f.seconds);
}

// Mean +- sample standard deviation over the folds, the ceiling when duplicates conflict, and
// the pooled matrix.
inline std::string to_text(const cross_validation_report& r) {
  std::string out = detail::format("Over %zu folds (mean +- sample standard deviation):\n", r.folds.size());
  const auto line = [&](const char* name, const spread& s) {
    out += detail::format("  %s %s +- %.1f%%\n", name, percent(s.mean).c_str(), 100 * s.deviation);
  };
  line("accuracy         ", r.accuracy);
  line("balanced accuracy", r.balanced_accuracy);
  for (std::size_t c = 0; c < r.classes.size(); ++c)
    line(detail::format("recall %-10s", r.classes[c].label.c_str()).c_str(), r.recall.at(c));
  if (r.ceiling.conflicting)
    out += detail::format("  %zu files are filed under two classes; no model can score more than %s accuracy, %s balanced accuracy\n",
                          r.ceiling.conflicting, percent(r.ceiling.accuracy).c_str(),
                          percent(r.ceiling.balanced_accuracy).c_str());
  return out + "Pooled over the held-out folds: " + metrics_text(r.classes, r.pooled);
}

}  // namespace tarmac::eval
