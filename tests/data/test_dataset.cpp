#include <doctest/doctest.h>

#include "../rtk_sample.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <fstream>
#include <set>

#include <opencv2/imgcodecs.hpp>

#include <tarmac/data/dataset.hpp>

namespace fs = std::filesystem;
namespace data = tarmac::data;

namespace {
// A small tree: class folders with PNG images (and, where asked, a few bad files).
fs::path make_tree(const char* name, const std::vector<std::pair<std::string, int>>& classes) {
  const fs::path root = fs::temp_directory_path() / name;
  fs::remove_all(root);
  for (const auto& [folder, count] : classes) {
    fs::create_directories(root / folder);
    for (int i = 0; i < count; ++i)
      cv::imwrite((root / folder / ("img" + std::to_string(i) + ".png")).string(),
                  cv::Mat(8, 8, CV_8UC3, cv::Scalar(i, 2 * i, 3 * i)));
  }
  return root;
}
}  // namespace

TEST_CASE("display labels from RTK folder names") {
  CHECK(data::display_label("01asphalt(Good)") == "asphalt (good)");
  CHECK(data::display_label("03paved(Bad)") == "paved (bad)");
  CHECK(data::display_label("unpaved") == "unpaved");
  CHECK(data::display_label("paved_concrete") == "paved concrete");
  CHECK(data::display_label("2024") == "2024");
}

TEST_CASE("folder_dataset: sorted classes, readable files, bad files reported and skipped") {
  const fs::path root = make_tree("tarmac_test_dataset", {{"02asphalt(Regular)", 3}, {"01asphalt(Good)", 2}, {"03asphalt(Bad)", 4}});
  std::ofstream(root / "01asphalt(Good)" / "notes.txt") << "not an image";
  std::ofstream(root / "03asphalt(Bad)" / "empty.jpg");
  const data::folder_dataset set(root);
  REQUIRE(set.classes().size() == 3);
  CHECK(set.classes()[0].id == "01asphalt(Good)");
  CHECK(set.classes()[0].label == "asphalt (good)");
  CHECK(set.classes()[2].label == "asphalt (bad)");
  CHECK(set.counts() == std::vector<std::size_t>{2, 3, 4});
  REQUIRE(set.skipped().size() == 2);
  std::set<std::string> reasons;
  for (const auto& s : set.skipped()) reasons.insert(s.path.filename().string() + ": " + s.reason);
  CHECK(reasons.count("notes.txt: not an image format OpenCV can read") == 1);
  CHECK(reasons.count("empty.jpg: empty file") == 1);
}

TEST_CASE("folder_dataset: symlink loops and dangling symlinks are reported by path, not fatal") {
  const fs::path root = make_tree("tarmac_test_dataset_links", {{"asphalt", 2}, {"paved", 2}});
  fs::create_symlink(root / "loop-b", root / "loop-a");  // a class "folder" that loops
  fs::create_symlink(root / "loop-a", root / "loop-b");
  fs::create_symlink(root / "asphalt" / "gone.png", root / "asphalt" / "dangling.png");
  fs::create_symlink(root / "paved" / "self.png", root / "paved" / "self.png");
  const data::folder_dataset set(root);
  CHECK(set.classes().size() == 2);
  CHECK(set.samples().size() == 4);
  std::map<std::string, std::string> why;
  for (const auto& f : set.skipped()) why[f.path.filename().string()] = f.reason;
  CHECK(why.size() == 4);
  CHECK(why["dangling.png"] == "a symlink to nothing");
  CHECK(why["self.png"].find("symbolic links") != std::string::npos);
  CHECK(why["loop-a"].find("symbolic links") != std::string::npos);
  CHECK_THROWS_WITH_AS(data::folder_dataset(root / "loop-a"), doctest::Contains("loop-a is not a readable folder (Too many levels of symbolic links)"),
                       tarmac::io_error);
}

TEST_CASE("folder_dataset: empty root, missing root and empty class are clear errors") {
  const fs::path empty = fs::temp_directory_path() / "tarmac_test_dataset_empty";
  fs::remove_all(empty);
  fs::create_directories(empty);
  CHECK_THROWS_WITH_AS(data::folder_dataset{empty}, doctest::Contains("has no class folders"), tarmac::invalid_argument);
  CHECK_THROWS_AS(data::folder_dataset{empty / "missing"}, tarmac::io_error);
  const fs::path root = make_tree("tarmac_test_dataset_hole", {{"asphalt", 2}, {"paved", 0}});
  CHECK_THROWS_WITH_AS(data::folder_dataset{root}, doctest::Contains("paved has no readable images"), tarmac::invalid_argument);
}

TEST_CASE("stratified_split keeps class proportions, is seeded, and partitions the samples") {
  std::vector<data::sample> samples;
  for (std::size_t i = 0; i < 100; ++i) samples.push_back({"x", i < 50 ? 0u : i < 75 ? 1u : 2u});
  const auto a = data::stratified_split(samples, 3, 0.2, 5), b = data::stratified_split(samples, 3, 0.2, 5),
             c = data::stratified_split(samples, 3, 0.2, 6);
  CHECK(a.validation == b.validation);
  CHECK(a.validation != c.validation);
  CHECK(data::class_counts(samples, a.validation, 3) == std::vector<std::size_t>{10, 5, 5});
  CHECK(data::class_counts(samples, a.train, 3) == std::vector<std::size_t>{40, 20, 20});
  std::set<std::size_t> all(a.train.begin(), a.train.end());
  all.insert(a.validation.begin(), a.validation.end());
  CHECK(all.size() == 100);
  CHECK_THROWS_AS(data::stratified_split(samples, 3, 1.0), tarmac::invalid_argument);
  CHECK_THROWS_AS(data::stratified_split(samples, 2, 0.2), tarmac::invalid_argument);
}

TEST_CASE("stratified_split of a subset uses only that subset") {
  std::vector<data::sample> samples;
  for (std::size_t i = 0; i < 60; ++i) samples.push_back({"x", i % 3});
  std::vector<std::size_t> subset;
  for (std::size_t i = 0; i < 60; i += 2) subset.push_back(i);  // 10 of each class
  const auto s = data::stratified_split(samples, 3, 0.2, 1, subset);
  CHECK(data::class_counts(samples, s.validation, 3) == std::vector<std::size_t>{2, 2, 2});
  CHECK(data::class_counts(samples, s.train, 3) == std::vector<std::size_t>{8, 8, 8});
  for (std::size_t i : s.train) CHECK(i % 2 == 0);
  for (std::size_t i : s.validation) CHECK(i % 2 == 0);
  // The whole-set overload is the subset overload on every index (same seed, same split).
  std::vector<std::size_t> all(60);
  for (std::size_t i = 0; i < 60; ++i) all[i] = i;
  CHECK(data::stratified_split(samples, 3, 0.2, 4).validation == data::stratified_split(samples, 3, 0.2, 4, all).validation);
  CHECK_THROWS_WITH_AS(data::stratified_split(samples, 3, 0.2, 1, {0, 60}), doctest::Contains("index 60"), tarmac::invalid_argument);
}

TEST_CASE("stratified_folds partitions the samples with each class spread evenly over the folds") {
  std::vector<data::sample> samples;  // 50 / 24 / 24, as the real RTK sample
  for (std::size_t i = 0; i < 98; ++i) samples.push_back({"x", i < 50 ? 0u : i < 74 ? 1u : 2u});
  const std::vector<tarmac::class_info> classes = {{"asphalt", "asphalt"}, {"paved", "paved"}, {"unpaved", "unpaved"}};
  const auto folds = data::stratified_folds(samples, classes, 5, 7);
  REQUIRE(folds.size() == 5);
  std::set<std::size_t> seen;
  std::size_t smallest = 98, largest = 0;
  for (const auto& fold : folds) {
    for (std::size_t i : fold) CHECK(seen.insert(i).second);  // disjoint
    smallest = std::min(smallest, fold.size());
    largest = std::max(largest, fold.size());
    const auto n = data::class_counts(samples, fold, 3);
    CHECK(n[0] >= 10);  // 50 / 5
    CHECK(n[0] <= 10);
    CHECK(n[1] >= 4);   // 24 / 5 = 4.8
    CHECK(n[1] <= 5);
    CHECK(n[2] >= 4);
    CHECK(n[2] <= 5);
  }
  CHECK(seen.size() == 98);  // and covering
  CHECK(largest - smallest <= 1);
  CHECK(data::stratified_folds(samples, classes, 5, 7) == folds);
  CHECK(data::stratified_folds(samples, classes, 5, 8) != folds);
  CHECK_THROWS_WITH_AS(data::stratified_folds(samples, classes, 1), doctest::Contains("at least 2 folds"), tarmac::invalid_argument);
  CHECK_THROWS_WITH_AS(data::stratified_folds(samples, classes, 30), doctest::Contains("class paved has 24 distinct images (identical files count once), fewer than the 30 folds"),
                       tarmac::invalid_argument);
}

TEST_CASE("identical_files finds byte-identical frames, and stratified_folds keeps each group in one fold") {
  const fs::path root = make_tree("tarmac_test_identical", {{"asphalt", 6}, {"paved", 6}});
  for (int i = 0; i < 6; ++i)  // make_tree draws the same pixels in every class: make paved differ
    cv::imwrite((root / "paved" / ("img" + std::to_string(i) + ".png")).string(), cv::Mat(8, 8, CV_8UC3, cv::Scalar(200, i, 9)));
  // paved/img0 is asphalt/img0 filed twice; asphalt/img5 a second copy of asphalt/img1.
  fs::copy_file(root / "asphalt" / "img0.png", root / "paved" / "img0.png", fs::copy_options::overwrite_existing);
  fs::copy_file(root / "asphalt" / "img1.png", root / "asphalt" / "img5.png", fs::copy_options::overwrite_existing);
  const data::folder_dataset set(root);
  const auto& s = set.samples();
  auto name = [&](std::size_t i) { return (s[i].path.parent_path().filename() / s[i].path.filename()).string(); };
  const auto groups = data::identical_files(s);
  REQUIRE(groups.size() == 2);
  std::set<std::set<std::string>> found;
  for (const auto& g : groups) {
    std::set<std::string> names;
    for (std::size_t i : g) names.insert(name(i));
    found.insert(names);
  }
  CHECK(found == std::set<std::set<std::string>>{{"asphalt/img0.png", "paved/img0.png"}, {"asphalt/img1.png", "asphalt/img5.png"}});
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    const auto folds = data::stratified_folds(s, set.classes(), 3, seed, groups);
    std::size_t total = 0;
    for (const auto& fold : folds) {
      total += fold.size();
      for (const auto& g : groups) {
        const auto in = std::count_if(g.begin(), g.end(), [&](std::size_t i) { return std::count(fold.begin(), fold.end(), i) > 0; });
        CHECK((in == 0 || in == std::ptrdiff_t(g.size())));
      }
    }
    CHECK(total == 12);
  }
  CHECK_THROWS_AS(data::stratified_folds(s, set.classes(), 3, 1, {{0, 1}, {1, 2}}), tarmac::invalid_argument);
  // A validation split keeps each group on one side too, also within a subset.
  std::vector<std::size_t> all(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) all[i] = i;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    const auto split = data::stratified_split(s, 2, 0.4, seed, all, groups);
    CHECK(split.train.size() + split.validation.size() == s.size());
    for (const auto& g : groups) {
      const bool first_in_train = std::count(split.train.begin(), split.train.end(), g[0]) > 0;
      for (std::size_t i : g) CHECK((std::count(split.train.begin(), split.train.end(), i) > 0) == first_in_train);
    }
  }
}

TEST_CASE("balancing: RTK replication factors and equal-weight sampling") {
  // round(largest / count): 60/20 = 3, 60/10 = 6 (the RTK tutorial's 3x and 6x); 60/26 = 2.3 -> 2
  CHECK(data::replication_factors({60, 20, 10}) == std::vector<std::size_t>{1, 3, 6});
  CHECK(data::replication_factors({60, 26, 0}) == std::vector<std::size_t>{1, 2, 0});
  const auto w = data::class_weights({60, 20, 0, 10});
  CHECK(w[0] * 60 == doctest::Approx(1.0 / 3));
  CHECK(w[1] * 20 == doctest::Approx(1.0 / 3));
  CHECK(w[2] == 0.0);
}

TEST_CASE("the real RTK sample as a data set (skipped without ../shared)") {
  const auto sample = rtk_sample();
  if (!sample) return;
  const std::filesystem::path& root = *sample;
  const data::folder_dataset set(root);
  CHECK(set.classes().size() == 3);
  CHECK(set.counts() == std::vector<std::size_t>{50, 24, 24});
  CHECK(set.skipped().empty());
}

TEST_CASE("replicate and weighted_draw build balanced epochs") {
  std::vector<data::sample> samples;
  for (std::size_t i = 0; i < 90; ++i) samples.push_back({"x", i < 60 ? 0u : i < 80 ? 1u : 2u});
  std::vector<std::size_t> all(90);
  for (std::size_t i = 0; i < 90; ++i) all[i] = i;
  const auto counts = data::class_counts(samples, all, 3);
  const auto items = data::replicate(samples, all, data::replication_factors(counts));
  CHECK(data::class_counts(samples, items, 3) == std::vector<std::size_t>{60, 60, 60});
  const auto drawn = data::weighted_draw(samples, all, data::class_weights(counts), 30000, 3);
  const auto per_class = data::class_counts(samples, drawn, 3);
  for (std::size_t n : per_class) CHECK(double(n) == doctest::Approx(10000).epsilon(0.05));
  CHECK(data::weighted_draw(samples, all, data::class_weights(counts), 10, 3) ==
        data::weighted_draw(samples, all, data::class_weights(counts), 10, 3));
  CHECK_THROWS_AS(data::weighted_draw(samples, {}, {1.0}, 5, 1), tarmac::invalid_argument);
}
