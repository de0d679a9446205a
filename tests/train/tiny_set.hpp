#pragma once
// A data set the trainer tests run in seconds on: dark and bright 24x16 frames with noise,
// written once per test process, and a network of 8x8 inputs small enough to train on them.
#include <filesystem>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <tarmac/data/dataset.hpp>
#include <tarmac/nn/network.hpp>
#include <tarmac/train/options.hpp>

namespace tiny {

namespace fs = std::filesystem;
namespace nn = tarmac::nn;

using net = nn::network<nn::input<8, 8, 3>, nn::conv2d<4, 3>, nn::maxpool2d<2>, nn::relu, nn::flatten, nn::dense<2>>;

// root/0dark/*.png (class 0) and root/1bright/*.png (class 1), `per_class` frames each.
inline fs::path write_set(const std::string& name, int per_class) {
  const fs::path root = fs::temp_directory_path() / name;
  fs::remove_all(root);
  cv::RNG rng(7);
  for (const auto& [folder, level] : {std::pair{"0dark", 50}, std::pair{"1bright", 190}}) {
    fs::create_directories(root / folder);
    for (int i = 0; i < per_class; ++i) {
      cv::Mat frame(16, 24, CV_8UC3);
      rng.fill(frame, cv::RNG::NORMAL, level, 25);
      cv::imwrite((root / folder / (std::to_string(i) + ".png")).string(), frame);
    }
  }
  return root;
}

// The set of 10 frames per class, split by hand: frames 0-7 of each class train, 8-9 validate.
struct fixture {
  tarmac::data::folder_dataset set{write_set("tarmac_test_train", 10)};
  tarmac::data::split_indices split = [this] {
    tarmac::data::split_indices s;
    for (std::size_t i = 0; i < set.samples().size(); ++i) {
      const bool validation = set.samples()[i].path.stem() == "8" || set.samples()[i].path.stem() == "9";
      (validation ? s.validation : s.train).push_back(i);
    }
    return s;
  }();
};

inline const fixture& data() {
  static const fixture f;
  return f;
}

// Quick settings for the tiny set: whole frames, no augmentation, batches of 4.
inline tarmac::train::options options() {
  tarmac::train::options o;
  o.epochs = 3;
  o.batch = 4;
  o.learning_rate = 0.05;
  o.augmentation = tarmac::train::augmentation::none();
  o.roi = tarmac::image::roi_rule::full();
  return o;
}

inline net make_net() { return net({.threads = 1, .init = nn::init_scheme::he, .seed = 3}); }

}  // namespace tiny
