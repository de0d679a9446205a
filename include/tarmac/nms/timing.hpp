#pragma once
// The classic NMS timing experiment as a table: mean seconds per call of each implementation at
// each IoU threshold, with the 2018 blog's figures beside them, rendered as markdown and as CSV.
// For tarmac-nms-timing and benchmarks; no OpenCV, so implementations outside tarmac (OpenCV's
// NMSBoxes) are timed through a caller's function. Not in <tarmac/nms.hpp>.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tarmac/core/error.hpp"

namespace tarmac::nms {

struct timing_row {
  std::string name;
  bool reference = false;         // reported elsewhere (the 2018 blog), not measured here
  std::vector<double> seconds;    // per threshold
  std::vector<std::size_t> kept;  // per threshold; empty in a reference row
};

struct timing_table {
  std::size_t boxes = 0;
  int reps = 0;                   // calls averaged per threshold
  std::vector<float> thresholds;  // the columns
  std::vector<timing_row> rows;
};

// The thresholds of the classic experiment (classic_boxes in <tarmac/nms/datasets.hpp>).
inline const std::vector<float> classic_thresholds = {0.7f, 0.8f, 0.9f};

// The blog's figures (seconds per call at classic_thresholds), reported in 2018 on its machine;
// they describe classic_boxes(6000, 1) only.
inline std::vector<timing_row> blog_rows() {
  return {{"pure Python (2018)", true, {0.0287, 0.1057, 0.4204}, {}},
          {"Cython (2018)", true, {0.0272, 0.1038, 0.4184}, {}},
          {"typed Cython (2018)", true, {0.0019, 0.0028, 0.0036}, {}},
          {"CUDA gpu_nms (2018)", true, {0.0120, 0.0063, 0.0071}, {}}};
}

// Times run(threshold) (which returns the number of boxes kept) at each threshold: one warm-up
// call, then the mean of `reps` calls.
template <class Run>
timing_row time_calls(std::string name, const std::vector<float>& thresholds, int reps, Run&& run) {
  if (reps < 1) throw invalid_argument("time_calls: reps must be at least 1, got " + std::to_string(reps));
  timing_row r{std::move(name), false, {}, {}};
  for (float t : thresholds) {
    std::size_t kept = run(t);
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < reps; ++i) kept = run(t);
    r.seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / reps);
    r.kept.push_back(kept);
  }
  return r;
}

namespace detail {

inline void check_table(const timing_table& table) {
  for (const timing_row& r : table.rows)
    if (r.seconds.size() != table.thresholds.size() || (!r.reference && r.kept.size() != table.thresholds.size()))
      throw invalid_argument("timing table: row '" + r.name + "' has " + std::to_string(r.seconds.size()) + " times and " +
                             std::to_string(r.kept.size()) + " kept counts for " + std::to_string(table.thresholds.size()) +
                             " thresholds");
}

}  // namespace detail

// A markdown table: a row per implementation, seconds per threshold, boxes kept and the speed-up
// over the measured row named `baseline`; reference rows are starred and footnoted.
inline std::string timing_markdown(const timing_table& table, std::string_view baseline) {
  detail::check_table(table);
  const auto base = std::find_if(table.rows.begin(), table.rows.end(),
                                 [&](const timing_row& r) { return !r.reference && r.name == baseline; });
  if (base == table.rows.end()) throw invalid_argument("timing_markdown: no measured row named '" + std::string(baseline) + "'");
  char cell[64];
  std::string out = "\n| policy (" + std::to_string(table.boxes) + " boxes, mean of " + std::to_string(table.reps) + " calls) |";
  std::string rule = "|---|";
  for (float t : table.thresholds) {
    std::snprintf(cell, sizeof cell, " t=%g |", double(t));
    out += cell, rule += "---|";
  }
  out += " kept | vs " + std::string(baseline) + " |\n" + rule + "---|---|\n";
  for (const timing_row& r : table.rows) {
    out += "| " + r.name + (r.reference ? " *" : "") + " |";
    for (double s : r.seconds) {
      std::snprintf(cell, sizeof cell, " %.4f s |", s);
      out += cell;
    }
    std::string kept, ratio;
    for (std::size_t i = 0; i < r.kept.size(); ++i) kept += (i ? " / " : "") + std::to_string(r.kept[i]);
    for (std::size_t i = 0; i < table.thresholds.size() && !r.reference; ++i) {
      std::snprintf(cell, sizeof cell, "%s%.1fx", i ? " / " : "", base->seconds[i] / r.seconds[i]);
      ratio += cell;
    }
    out += " " + (r.reference ? "-" : kept) + " | " + (r.reference ? "-" : ratio) + " |\n";
  }
  if (!table.rows.empty() && table.rows.front().reference)
    out += "\n* reported in 2018 on another machine (Python/Cython/CUDA NMS blog); not measured here.\n";
  return out;
}

// policy,source,threshold,seconds,kept: a line per row and threshold; source is measured or
// reported_2018, kept is empty for a reference row.
inline std::string timing_csv(const timing_table& table) {
  detail::check_table(table);
  std::ostringstream out;
  out << "policy,source,threshold,seconds,kept\n";
  for (const timing_row& r : table.rows)
    for (std::size_t i = 0; i < table.thresholds.size(); ++i)
      out << r.name << "," << (r.reference ? "reported_2018" : "measured") << "," << table.thresholds[i] << ","
          << r.seconds[i] << "," << (r.reference ? std::string() : std::to_string(r.kept[i])) << "\n";
  return out.str();
}

}  // namespace tarmac::nms
