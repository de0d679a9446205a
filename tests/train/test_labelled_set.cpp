#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>

#include <tarmac/train/labelled_set.hpp>
#include <tarmac/train/networks.hpp>

#include "tiny_set.hpp"

namespace train = tarmac::train;
namespace fs = std::filesystem;

TEST_CASE("labelled_set: the classes, the identical files and those filed under two classes") {
  const fs::path root = tiny::write_set("tarmac_test_labelled_set", 6);
  fs::copy_file(root / "0dark" / "0.png", root / "1bright" / "copy-of-dark.png");  // under two classes
  fs::copy_file(root / "1bright" / "1.png", root / "1bright" / "again.png");  // twice in one class
  const train::labelled_set d(root);
  REQUIRE(d.set.classes().size() == 2);
  CHECK(d.set.samples().size() == 14);
  REQUIRE(d.identical.size() == 2);
  const auto conflicting = d.conflicting();
  REQUIRE(conflicting.size() == 1);
  REQUIRE(conflicting[0].size() == 2);
  CHECK(d.set.samples()[conflicting[0][0]].path.filename() == "0.png");
  CHECK(d.set.samples()[conflicting[0][1]].path.filename() == "copy-of-dark.png");
  // Every split keeps each group of identical files on one side.
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    const auto split = train::training_split(d, 0.3, seed);
    CHECK(split.train.size() + split.validation.size() == 14);
    for (const auto& group : d.identical) {
      const auto in_train = [&](std::size_t i) { return std::count(split.train.begin(), split.train.end(), i) == 1; };
      CHECK(in_train(group[0]) == in_train(group[1]));
    }
  }
}

TEST_CASE("labelled_set: one class folder, or a class left without training images, is refused") {
  const fs::path root = tiny::write_set("tarmac_test_labelled_set_one", 1);
  CHECK_THROWS_WITH_AS(train::training_split(train::labelled_set(root), 0.5, 1),
                       doctest::Contains("class 0dark has no training images after the validation split"),
                       tarmac::invalid_argument);
  fs::remove_all(root / "1bright");
  CHECK_THROWS_WITH_AS(train::labelled_set{root}, doctest::Contains("has only one class folder (0dark)"), tarmac::invalid_argument);
}

TEST_CASE("with_network / with_classes: the compiled network for a class count") {
  for (std::size_t k = train::min_classes; k <= train::max_classes; ++k) {
    CHECK(train::with_classes<tarmac::nn::gap_net>(k, []<class Net>() { return Net::classes; }) == k);
    CHECK(train::with_network(train::network_family::rtk, k, []<class Net>() { return Net::layer_count; }) == 13);
  }
  CHECK(train::with_network(train::network_family::gap, 3, []<class Net>() { return Net::parameter_count; }) ==
        tarmac::nn::gap_net<3>::parameter_count);
  CHECK(train::with_network(train::network_family::rtk_dropout, 4, []<class Net>() { return Net::parameter_count; }) ==
        tarmac::nn::rtk_dropout_net<4>::parameter_count);
  CHECK(train::with_network(train::network_family::rtk, 5, []<class Net>() { return Net::parameter_count; }) ==
        tarmac::nn::rtk_net<5>::parameter_count);
  for (std::size_t bad : {0, 1, 7})
    CHECK_THROWS_WITH_AS(train::with_network(train::network_family::rtk, bad, []<class Net>() { return 0; }),
                         doctest::Contains("the networks are compiled for 2 to 6"), tarmac::invalid_argument);
}
