#pragma once
// A folder-per-class image data set (the RTK layout): class ids are the sorted sub-folder
// names, samples are the files OpenCV has a reader for. Files it cannot read are reported
// with the reason and skipped, never fatal; an empty root or an empty class is an error.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <numeric>
#include <random>
#include <string>
#include <system_error>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "tarmac/core/error.hpp"
#include "tarmac/core/files.hpp"
#include "tarmac/core/labels.hpp"

namespace tarmac::data {

using tarmac::class_info;

struct sample {
  std::filesystem::path path;
  std::size_t label;  // index into classes()
};

struct skipped_file {
  std::filesystem::path path;
  std::string reason;
  bool too_small_for_roi = false;  // readable, but smaller than the region of interest needs
};

// "01asphalt(Good)" -> "asphalt (good)": drop a numeric ordering prefix, put the
// parenthesised part after a space, lower-case, underscores as spaces.
inline std::string display_label(const std::string& folder) {
  std::string s = folder.substr(std::min(folder.find_first_not_of("0123456789"), folder.size()));
  if (s.empty()) s = folder;
  std::string out;
  for (char c : s) {
    if (c == '(' && !out.empty() && out.back() != ' ') out += ' ';
    out += c == '_' ? ' ' : char(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

class folder_dataset {
 public:
  explicit folder_dataset(const std::filesystem::path& root) {
    namespace fs = std::filesystem;
    const folder_listing top = list_folder(root, "data set root");
    for (const auto& p : top.problems) skipped_.push_back({p.path, p.reason});
    if (top.folders.empty()) throw invalid_argument("data set root " + root.string() + " has no class folders");
    for (const fs::path& folder : top.folders) {
      const std::size_t label = classes_.size();
      classes_.push_back({folder.filename().string(), display_label(folder.filename().string())});
      const folder_listing inside = list_folder(folder, "class folder");
      for (const auto& p : inside.problems) skipped_.push_back({p.path, p.reason});
      std::size_t readable = 0;
      for (const fs::path& file : inside.files) {
        std::error_code ec;
        if (fs::file_size(file, ec) == 0 && !ec) {
          skipped_.push_back({file, "empty file"});
        } else if (!cv::haveImageReader(file.string())) {
          skipped_.push_back({file, "not an image format OpenCV can read"});
        } else {
          samples_.push_back({file, label});
          ++readable;
        }
      }
      if (readable == 0) throw invalid_argument("class folder " + folder.string() + " has no readable images");
    }
  }

  const std::vector<class_info>& classes() const { return classes_; }
  const std::vector<sample>& samples() const { return samples_; }
  const std::vector<skipped_file>& skipped() const { return skipped_; }

  std::vector<std::size_t> counts() const {
    std::vector<std::size_t> n(classes_.size(), 0);
    for (const sample& s : samples_) ++n[s.label];
    return n;
  }

 private:
  std::vector<class_info> classes_;
  std::vector<sample> samples_;
  std::vector<skipped_file> skipped_;
};

// 0 .. samples.size() - 1: every sample, for the functions that take a subset.
inline std::vector<std::size_t> all_indices(const std::vector<sample>& samples) {
  std::vector<std::size_t> all(samples.size());
  std::iota(all.begin(), all.end(), std::size_t{0});
  return all;
}

struct split_indices {
  std::vector<std::size_t> train, validation;  // indices into the samples
};

namespace detail {

// The subset's sample indices grouped by class, each group shuffled by the seed.
inline std::vector<std::vector<std::size_t>> shuffled_by_class(const std::vector<sample>& samples, std::size_t classes,
                                                                const std::vector<std::size_t>& subset,
                                                                std::uint64_t seed, const char* who) {
  std::vector<std::vector<std::size_t>> by_class(classes);
  for (std::size_t i : subset) {
    if (i >= samples.size())
      throw invalid_argument(std::string(who) + ": index " + std::to_string(i) + " is not one of the " +
                             std::to_string(samples.size()) + " samples");
    if (samples[i].label >= classes)
      throw invalid_argument(std::string(who) + ": sample " + std::to_string(i) + " has label " +
                             std::to_string(samples[i].label) + " but there are " + std::to_string(classes) + " classes");
    by_class[samples[i].label].push_back(i);
  }
  std::mt19937_64 rng(seed);
  for (auto& members : by_class) std::shuffle(members.begin(), members.end(), rng);
  return by_class;
}

// The subset as units that are dealt whole: the members of each group that lie in the subset,
// keyed by the first of them, and every other sample alone. A group counts for the class of
// its first member.
inline std::map<std::size_t, std::vector<std::size_t>> units(const std::vector<sample>& samples,
                                                             const std::vector<std::size_t>& subset,
                                                             const std::vector<std::vector<std::size_t>>& groups,
                                                             const char* who) {
  std::vector<std::size_t> group_of(samples.size(), groups.size());
  for (std::size_t g = 0; g < groups.size(); ++g)
    for (std::size_t i : groups[g]) {
      if (i >= samples.size() || group_of[i] != groups.size())
        throw invalid_argument(std::string(who) + ": group member " + std::to_string(i) + " is out of range or in two groups");
      group_of[i] = g;
    }
  std::map<std::size_t, std::vector<std::size_t>> out;
  std::vector<std::size_t> key_of_group(groups.size(), samples.size());
  for (std::size_t i : subset) {
    if (i >= samples.size())
      throw invalid_argument(std::string(who) + ": index " + std::to_string(i) + " is not one of the " +
                             std::to_string(samples.size()) + " samples");
    const std::size_t g = group_of[i];
    if (g == groups.size()) {
      out[i] = {i};
    } else {
      if (key_of_group[g] == samples.size()) key_of_group[g] = i;
      out[key_of_group[g]].push_back(i);
    }
  }
  return out;
}

inline std::vector<std::size_t> keys(const std::map<std::size_t, std::vector<std::size_t>>& units) {
  std::vector<std::size_t> k;
  for (const auto& [key, members] : units) k.push_back(key);
  return k;
}

}  // namespace detail

// Seeded stratified split of a subset of the samples (all of them by default): each class gives
// round(count * validation_fraction) units to validation (at least one when it has two or
// more), so class proportions are kept. Samples of one group (e.g. identical_files) land on
// the same side.
inline split_indices stratified_split(const std::vector<sample>& samples, std::size_t classes,
                                      double validation_fraction, std::uint64_t seed,
                                      const std::vector<std::size_t>& subset,
                                      const std::vector<std::vector<std::size_t>>& groups = {}) {
  if (!(validation_fraction >= 0 && validation_fraction < 1))
    throw invalid_argument("stratified_split: validation fraction must be in [0, 1), got " +
                           std::to_string(validation_fraction));
  const auto units = detail::units(samples, subset, groups, "stratified_split");
  split_indices out;
  for (const auto& keys : detail::shuffled_by_class(samples, classes, detail::keys(units), seed, "stratified_split")) {
    std::size_t n_val = static_cast<std::size_t>(std::llround(double(keys.size()) * validation_fraction));
    if (validation_fraction > 0 && n_val == 0 && keys.size() >= 2) n_val = 1;
    for (std::size_t k = 0; k < keys.size(); ++k) {
      auto& side = k < n_val ? out.validation : out.train;
      side.insert(side.end(), units.at(keys[k]).begin(), units.at(keys[k]).end());
    }
  }
  std::sort(out.train.begin(), out.train.end());
  std::sort(out.validation.begin(), out.validation.end());
  return out;
}

inline split_indices stratified_split(const std::vector<sample>& samples, std::size_t classes,
                                      double validation_fraction = 0.2, std::uint64_t seed = 1) {
  return stratified_split(samples, classes, validation_fraction, seed, all_indices(samples));
}

// Groups of two or more samples whose files are byte-identical (the same frame filed twice,
// perhaps under two classes). Files that cannot be read are left out.
inline std::vector<std::vector<std::size_t>> identical_files(const std::vector<sample>& samples) {
  // Candidates share size and a streamed FNV-1a hash (one file in memory at a time); a byte
  // comparison against each group's first member confirms.
  auto digest = [](const std::filesystem::path& p) -> std::optional<std::uint64_t> {
    std::ifstream in(p, std::ios::binary);
    if (!in) return std::nullopt;
    std::uint64_t h = 0xcbf29ce484222325ull;
    char buffer[1 << 16];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
      for (std::streamsize i = 0; i < in.gcount(); ++i) h = (h ^ static_cast<unsigned char>(buffer[i])) * 0x100000001b3ull;
      if (!in) break;
    }
    return h;
  };
  auto same_bytes = [](const std::filesystem::path& a, const std::filesystem::path& b) {
    std::ifstream x(a, std::ios::binary), y(b, std::ios::binary);
    return x && y && std::equal(std::istreambuf_iterator<char>(x), std::istreambuf_iterator<char>(),
                                std::istreambuf_iterator<char>(y), std::istreambuf_iterator<char>());
  };
  std::map<std::uintmax_t, std::vector<std::size_t>> by_size;
  std::error_code ec;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const std::uintmax_t size = std::filesystem::file_size(samples[i].path, ec);
    if (!ec) by_size[size].push_back(i);
  }
  std::vector<std::vector<std::size_t>> groups;
  for (const auto& [size, members] : by_size) {
    if (members.size() < 2) continue;
    std::map<std::uint64_t, std::vector<std::vector<std::size_t>>> by_hash;
    for (std::size_t i : members) {
      const auto h = digest(samples[i].path);
      if (!h) continue;
      auto& candidates = by_hash[*h];
      auto match = std::find_if(candidates.begin(), candidates.end(),
                                [&](const auto& g) { return same_bytes(samples[g.front()].path, samples[i].path); });
      if (match == candidates.end()) candidates.push_back({i});
      else match->push_back(i);
    }
    for (auto& [h, candidates] : by_hash)
      for (auto& g : candidates)
        if (g.size() > 1) groups.push_back(std::move(g));
  }
  std::sort(groups.begin(), groups.end());
  return groups;
}

// Stratified k-fold partition for cross-validation: each class is dealt round-robin over the
// folds after a seeded shuffle, so every fold has each class's share (within one sample).
// Samples of one group (e.g. identical_files) stay in one fold, so a frame is never trained on
// and tested at once; a group counts for the class of its first member.
inline std::vector<std::vector<std::size_t>> stratified_folds(const std::vector<sample>& samples,
                                                              const std::vector<class_info>& classes, std::size_t folds,
                                                              std::uint64_t seed = 1,
                                                              const std::vector<std::vector<std::size_t>>& groups = {}) {
  if (folds < 2) throw invalid_argument("stratified_folds: need at least 2 folds, got " + std::to_string(folds));
  const auto units = detail::units(samples, all_indices(samples), groups, "stratified_folds");
  const auto by_class = detail::shuffled_by_class(samples, classes.size(), detail::keys(units), seed, "stratified_folds");
  for (std::size_t c = 0; c < classes.size(); ++c)
    if (by_class[c].size() < folds)
      throw invalid_argument("class " + classes[c].id + " has " + std::to_string(by_class[c].size()) +
                             " distinct images (identical files count once), fewer than the " + std::to_string(folds) +
                             " folds");
  std::vector<std::vector<std::size_t>> out(folds);
  std::size_t next = 0;  // continue the deal across classes so fold sizes differ by at most one
  for (const auto& unit_list : by_class)
    for (std::size_t u : unit_list) {
      std::vector<std::size_t>& fold = out[next++ % folds];
      fold.insert(fold.end(), units.at(u).begin(), units.at(u).end());
    }
  for (auto& fold : out) std::sort(fold.begin(), fold.end());
  return out;
}

// Class counts over a subset of the samples.
inline std::vector<std::size_t> class_counts(const std::vector<sample>& samples, const std::vector<std::size_t>& subset,
                                             std::size_t classes) {
  std::vector<std::size_t> n(classes, 0);
  for (std::size_t i : subset) ++n.at(samples.at(i).label);
  return n;
}

// Balancing by replication, as the RTK tutorial did (paved 3x, unpaved 6x against asphalt):
// each class is repeated round(largest / count) times.
inline std::vector<std::size_t> replication_factors(const std::vector<std::size_t>& counts) {
  const std::size_t largest = counts.empty() ? 0 : *std::max_element(counts.begin(), counts.end());
  std::vector<std::size_t> factors;
  for (std::size_t n : counts)
    factors.push_back(n == 0 ? 0 : std::max<std::size_t>(1, std::size_t(std::llround(double(largest) / double(n)))));
  return factors;
}

// Balancing by sampling weights: each class gets the same total weight.
inline std::vector<double> class_weights(const std::vector<std::size_t>& counts) {
  std::size_t present = 0;
  for (std::size_t n : counts) present += n > 0;
  std::vector<double> w;
  for (std::size_t n : counts) w.push_back(n == 0 ? 0.0 : 1.0 / (double(present) * double(n)));
  return w;
}

// An epoch's items with each sample of class c repeated factors[c] times.
inline std::vector<std::size_t> replicate(const std::vector<sample>& samples, const std::vector<std::size_t>& subset,
                                          const std::vector<std::size_t>& factors) {
  std::vector<std::size_t> items;
  for (std::size_t i : subset)
    items.insert(items.end(), factors.at(samples.at(i).label), i);
  return items;
}

// An epoch of `count` items drawn with replacement, each sample weighted by its class weight.
inline std::vector<std::size_t> weighted_draw(const std::vector<sample>& samples, const std::vector<std::size_t>& subset,
                                              const std::vector<double>& weights, std::size_t count, std::uint64_t seed) {
  std::vector<double> w;
  for (std::size_t i : subset) w.push_back(weights.at(samples.at(i).label));
  if (subset.empty() || *std::max_element(w.begin(), w.end()) <= 0)
    throw invalid_argument("weighted_draw: no sample has a positive weight");
  std::discrete_distribution<std::size_t> pick(w.begin(), w.end());
  std::mt19937_64 rng(seed);
  std::vector<std::size_t> items(count);
  for (std::size_t& item : items) item = subset[pick(rng)];
  return items;
}

}  // namespace tarmac::data
