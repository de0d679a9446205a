#pragma once
// The cascade end to end on the RTK layout: every frame of ROOT/training_data_<type>_quality/
// <quality>/ is one (type, quality) outcome of the cascade (surface::basic_cascade::outcomes),
// so one confusion matrix scores type and quality together and another the type alone.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tarmac/core/error.hpp"
#include "tarmac/data/dataset.hpp"
#include "tarmac/eval/evaluate.hpp"
#include "tarmac/eval/report.hpp"
#include "tarmac/surface/cascade.hpp"
#include "tarmac/surface/taxonomy.hpp"

namespace tarmac::eval {

struct cascade_data {
  std::vector<data::sample> samples;  // labels: indices into the cascade's outcomes()
  std::vector<data::skipped_file> skipped;  // files the folder listing passed over
  struct missing_folder {
    std::string type;  // the type class id
    std::filesystem::path folder;
  };
  std::vector<missing_folder> missing;  // types whose frames are not evaluated
};

// The frames under `root` for each of the cascade's types, labelled with their outcome. A
// quality folder that is not a class of that type's quality model is an invalid_argument, and
// so is a root with no quality folder of the cascade's types.
template <class Model>
cascade_data cascade_samples(const surface::basic_cascade<Model>& cascade, const std::filesystem::path& root) {
  const auto& types = cascade.type_model().classes();
  cascade_data out;
  for (std::size_t t = 0; t < types.size(); ++t) {
    const std::filesystem::path folder = root / surface::quality_root(types[t].id);
    if (!std::filesystem::is_directory(folder)) {
      out.missing.push_back({types[t].id, folder});
      continue;
    }
    const data::folder_dataset set(folder);
    out.skipped.insert(out.skipped.end(), set.skipped().begin(), set.skipped().end());
    const Model* quality = cascade.quality_model(t);
    std::vector<std::size_t> outcome;  // of each quality folder
    for (const class_info& q : set.classes()) {
      if (!quality) {
        outcome.push_back(cascade.outcome(t, std::nullopt));
        continue;
      }
      const std::size_t index = find_class(quality->classes(), q.id);
      if (index == quality->classes().size())
        throw detail::not_a_class(folder / q.id, "the quality model of " + types[t].id, quality->classes());
      outcome.push_back(cascade.outcome(t, index));
    }
    for (const data::sample& s : set.samples()) out.samples.push_back({s.path, outcome[s.label]});
  }
  if (out.samples.empty())
    throw invalid_argument(root.string() + " has no training_data_<type>_quality folder of the cascade's types");
  return out;
}

// Every sample (labelled with outcomes, see cascade_samples) through the cascade. Files that
// cannot be used are left out and listed; when none can be, an invalid_argument says why.
template <class Model>
cascade_report evaluate_cascade(surface::basic_cascade<Model>& cascade, const std::vector<data::sample>& samples,
                                const evaluate_options& options = {}) {
  const std::vector<class_info> outcomes = cascade.outcomes();
  const std::vector<class_info>& types = cascade.type_model().classes();
  cascade_report r{outcomes, types, nn::confusion_matrix(outcomes.size()), nn::confusion_matrix(types.size()), {}, 0};
  std::vector<std::size_t> type_of_outcome;
  for (std::size_t t = 0; t < cascade.types(); ++t) {
    const Model* quality = cascade.quality_model(t);
    type_of_outcome.insert(type_of_outcome.end(), quality ? quality->classes().size() : 1, t);
  }
  for (const data::sample& s : samples)
    if (s.label >= type_of_outcome.size())
      throw invalid_argument("evaluate_cascade: " + s.path.string() + " has label " + std::to_string(s.label) +
                             " but the cascade has " + std::to_string(type_of_outcome.size()) + " outcomes");
  auto [skipped, seconds] = detail::run_batches(
      samples, options, options.roi.value_or(cascade.roi()), cascade.input(), "the cascade's ROI", [&](const data::batch& b) {
        const auto results = cascade.classify(b.images, b.size);
        for (std::size_t i = 0; i < b.size; ++i) {
          r.outcomes.add(b.labels[i], cascade.outcome(results[i].type, results[i].quality));
          r.types.add(type_of_outcome[b.labels[i]], results[i].type);
        }
      });
  r.skipped = std::move(skipped);
  r.seconds = seconds;
  return r;
}

}  // namespace tarmac::eval
