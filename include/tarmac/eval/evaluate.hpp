#pragma once
// A classifier on a labelled data set: every image through the same preprocessing the model
// was trained with (ROI, resize), batched and decoded on worker threads, scored into a report.
// Any model with predict, classes, roi and input works (surface::probability_model): the
// run-time classifier of a model file, a compiled network behind an adapter, a test double.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "tarmac/core/error.hpp"
#include "tarmac/core/labels.hpp"
#include "tarmac/data/dataset.hpp"
#include "tarmac/data/loader.hpp"
#include "tarmac/eval/report.hpp"
#include "tarmac/image/roi.hpp"
#include "tarmac/surface/cascade.hpp"

namespace tarmac::eval {

// The index of the class with this id, or classes.size() when there is none.
inline std::size_t find_class(const std::vector<class_info>& classes, std::string_view id) {
  return std::size_t(std::find_if(classes.begin(), classes.end(), [&](const class_info& c) { return c.id == id; }) -
                     classes.begin());
}

namespace detail {

inline invalid_argument not_a_class(const std::filesystem::path& folder, const std::string& whose,
                                    const std::vector<class_info>& classes) {
  std::string known;
  for (const class_info& c : classes) known += (known.empty() ? "" : ", ") + c.id;
  return invalid_argument("class folder " + folder.string() + " is not a class of " + whose + " (" + known + ")");
}

// Throws when none of the files could be used, saying whose fault it is: an ROI rule that fits
// none of the frames (`whose_roi` names it), or unreadable data.
inline void require_some_used(const std::vector<data::skipped_file>& skipped, std::size_t used,
                              const std::string& whose_roi, const image::roi_rule& roi) {
  if (used > 0) return;
  const std::string first = skipped.empty() ? "" : " (" + skipped.front().path.string() + ": " + skipped.front().reason + ")";
  if (!skipped.empty() && std::all_of(skipped.begin(), skipped.end(), [](const auto& f) { return f.too_small_for_roi; }))
    throw invalid_argument(whose_roi + " (" + roi.to_string() + ") fits none of the " + std::to_string(skipped.size()) +
                           " images" + first);
  throw invalid_argument("none of the " + std::to_string(skipped.size()) + " images could be used" + first);
}

}  // namespace detail

// The samples of a folder data set labelled with a model's class indices, folders matched to
// classes by id. A folder that is not one of the classes is an invalid_argument naming it and
// `whose` classes they are (a model's path, say).
inline std::vector<data::sample> relabel(const data::folder_dataset& set, const std::vector<class_info>& classes,
                                         const std::string& whose) {
  std::vector<std::size_t> to_model;
  for (const class_info& c : set.classes()) {
    to_model.push_back(find_class(classes, c.id));
    if (to_model.back() == classes.size()) {
      const auto first = std::find_if(set.samples().begin(), set.samples().end(),
                                      [&](const data::sample& s) { return s.label == to_model.size() - 1; });
      throw detail::not_a_class(first->path.parent_path(), whose, classes);
    }
  }
  std::vector<data::sample> out = set.samples();
  for (data::sample& s : out) s.label = to_model[s.label];
  return out;
}

struct evaluate_options {
  std::size_t batch_size = 32;
  std::size_t threads = 2;               // decoding workers (the model has its own)
  std::optional<image::roi_rule> roi{};  // instead of the model's own rule
  std::function<void(std::size_t)> on_progress{};  // after each batch, with the items it scored
};

namespace detail {

// Runs `score(batch)` on every batch of the samples (in order, as the model preprocesses them)
// and returns the files that could not be used and the seconds it took. Throws when nothing
// could be used.
template <class Score>
std::pair<std::vector<data::skipped_file>, double> run_batches(const std::vector<data::sample>& samples,
                                                               const evaluate_options& options, const image::roi_rule& roi,
                                                               image::input_size input, const std::string& whose_roi,
                                                               Score&& score) {
  data::loader_options loading;
  loading.batch_size = options.batch_size;
  loading.threads = options.threads;
  loading.shuffle = false;
  loading.roi = roi;
  loading.input = input;
  data::batch_loader loader(samples, data::all_indices(samples), loading);
  std::size_t used = 0;
  const auto start = std::chrono::steady_clock::now();
  while (const data::batch* b = loader.next()) {
    score(*b);
    used += b->size;
    if (options.on_progress) options.on_progress(b->size);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::vector<data::skipped_file> skipped = loader.failures();
  require_some_used(skipped, used, options.roi ? "the ROI rule given" : whose_roi, roi);
  return {std::move(skipped), seconds};
}

}  // namespace detail

// Every sample through the model; labels are indices into model.classes() (see relabel).
// Files that cannot be decoded or are smaller than the ROI are left out and listed in the
// report; when no file can be used, an invalid_argument says why.
template <surface::probability_model Model>
report evaluate(Model& model, const std::vector<data::sample>& samples, const evaluate_options& options = {}) {
  const std::size_t k = model.classes().size();
  for (const data::sample& s : samples)
    if (s.label >= k)
      throw invalid_argument("evaluate: " + s.path.string() + " has label " + std::to_string(s.label) + " but the model has " +
                             std::to_string(k) + " classes");
  report r{model.classes(), nn::confusion_matrix(k), {}, {}, 0};
  auto [skipped, seconds] = detail::run_batches(
      samples, options, options.roi.value_or(model.roi()), model.input(), "the model's ROI", [&](const data::batch& b) {
        const xt::xtensor<float, 2> p = model.predict(b.images);
        if (p.shape()[0] != b.images.shape()[0] || p.shape()[1] != k)
          throw invalid_argument("evaluate: the model returned " + std::to_string(p.shape()[0]) + " x " +
                                 std::to_string(p.shape()[1]) + " probabilities for " +
                                 std::to_string(b.images.shape()[0]) + " images and " + std::to_string(k) + " classes");
        for (std::size_t i = 0; i < b.size; ++i) {
          const std::size_t best = surface::top_class({p.data() + i * k, k});
          r.confusion.add(b.labels[i], best);
          r.predictions.push_back({b.samples[i], b.labels[i], best, p(i, best)});
        }
      });
  r.skipped = std::move(skipped);
  r.seconds = seconds;
  return r;
}

}  // namespace tarmac::eval
