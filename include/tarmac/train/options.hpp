#pragma once
// What a training run is told: epochs or steps, batch, Adam's rate and weight decay, the
// learning-rate schedule, how unequal classes are balanced, which validation score picks the
// checkpoint, early stopping, augmentation, the region of interest and parameters held still.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "tarmac/data/loader.hpp"
#include "tarmac/image/augment.hpp"
#include "tarmac/image/roi.hpp"

namespace tarmac::train {

// The learning rate per epoch: the base rate throughout, or a cosine from it down to 1% of it
// over the epochs (train::learning_rate).
enum class schedule { constant, cosine };

// Classes of unequal size: as they come, a class-weighted loss (each class the same total
// weight), each class's images repeated round(largest / count) times (the RTK tutorial), or
// each epoch drawn with replacement in proportion to those weights.
enum class balance { none, weights, replicate, sample };

// The validation score that picks the checkpoint (ties go to the lower validation loss).
// Balanced accuracy (mean per-class recall) does not reward predicting the largest class.
enum class selection { balanced_accuracy, accuracy };

// What the loader makes of each training image: its view(s), then a random augmenter per view.
struct augmentation {
  data::views views = data::views::original;
  image::augmenter augment{};

  static augmentation none() { return {}; }
  // The RTK tutorial's three views of every image: original, brighter and darker.
  static augmentation rtk_views() { return {data::views::rtk_three, {}}; }
  // Random crop (windows of crop_scale to 1 of each side), flip, colour jitter, blur and noise.
  static augmentation strong(double crop_scale = 0.8) { return {data::views::original, image::augmenter::strong(crop_scale)}; }
};

// Values [offset, offset + size) of a network's parameter buffer (see train::layer_ranges).
struct parameter_range {
  std::size_t offset = 0, size = 0;
};

// The defaults are the configuration that cross-validated best on the real RTK sample
// (bench/RESULTS.md): strong augmentation, class-weighted loss, AdamW 1e-3 on a cosine schedule.
struct options {
  std::size_t epochs = 60;
  std::size_t iterations = 0;  // > 0: stop after this many steps instead (the schedule is then constant)
  std::size_t batch = 16;
  std::size_t patience = 0;  // > 0: stop after this many epochs without a better checkpoint
  double learning_rate = 1e-3;
  double weight_decay = 1e-4;  // decoupled (AdamW), on weights only
  train::schedule schedule = train::schedule::cosine;
  train::balance balance = train::balance::weights;
  train::selection selection = train::selection::balanced_accuracy;
  train::augmentation augmentation = train::augmentation::strong();
  image::roi_rule roi{};  // the part of each frame the network sees
  bool tta = false;  // validation and test probabilities averaged with the mirrored images
  std::uint64_t seed = 1;  // shuffling, augmentation and balanced draws (the network has its own)
  std::vector<parameter_range> frozen;  // held still for the first freeze_epochs epochs
  std::size_t freeze_epochs = 0;
  std::size_t loader_threads = 2;  // decoding workers
  // Bytes of decoded, input-sized frames kept across epochs (data::frame_cache); frames past it
  // are decoded whenever they are needed. 0: no cache. The model is the same either way.
  std::size_t cache_budget = data::frame_cache::default_budget;
};

}  // namespace tarmac::train
