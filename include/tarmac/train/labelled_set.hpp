#pragma once
// A folder-per-class data set to train a classifier on, and its training / validation split.
// Byte-identical files (the same frame filed twice) are found once: a split keeps each group on
// one side, so a frame is never trained on and validated at once, and a group filed under two
// classes is a labelling problem the caller can report.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "tarmac/core/error.hpp"
#include "tarmac/data/dataset.hpp"
#include "tarmac/train/rules.hpp"

namespace tarmac::train {

struct labelled_set {
  data::folder_dataset set;
  std::vector<std::vector<std::size_t>> identical;  // groups of byte-identical samples (data::identical_files)

  // Reads root/<class>/*; invalid_argument when it has fewer than two classes.
  explicit labelled_set(const std::filesystem::path& root) : set(root) {
    if (set.classes().size() < 2)
      throw invalid_argument(root.string() + " has only one class folder (" + set.classes()[0].id + "): a classifier needs two or more");
    identical = data::identical_files(set.samples());
  }

  // The groups of identical files filed under two or more classes: no model gets them all right.
  std::vector<std::vector<std::size_t>> conflicting() const {
    const auto& samples = set.samples();
    std::vector<std::vector<std::size_t>> out;
    for (const auto& group : identical)
      if (std::any_of(group.begin(), group.end(), [&](std::size_t i) { return samples[i].label != samples[group[0]].label; }))
        out.push_back(group);
    return out;
  }
};

// The seeded stratified split of the whole set (data::stratified_split) with each group of
// identical files on one side; invalid_argument naming a class left without training images.
inline data::split_indices training_split(const labelled_set& d, double validation, std::uint64_t seed) {
  const auto& samples = d.set.samples();
  data::split_indices out =
      data::stratified_split(samples, d.set.classes().size(), validation, seed, data::all_indices(samples), d.identical);
  training_counts(d.set.classes(), samples, out.train);
  return out;
}

}  // namespace tarmac::train
