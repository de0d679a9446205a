#pragma once
// What training reports: each step, each epoch, an evaluation, and the run's result.
#include <cstddef>
#include <vector>

#include "tarmac/data/dataset.hpp"
#include "tarmac/data/loader.hpp"
#include "tarmac/nn/metrics.hpp"

namespace tarmac::train {

// One training step (one batch), as the step callback sees it.
struct step_report {
  std::size_t epoch = 0, step = 0;  // step: steps of the run so far, this one included
  std::size_t images = 0;  // in this batch
  std::size_t done = 0, total = 0;  // images of this epoch trained on so far, and in all
  double loss = 0, accuracy = 0;  // this batch's, before the update
  double learning_rate = 0;
};

// Where an epoch's time went, in seconds. The trainer's own thread: training steps, waiting for
// the loader's next batch, validation, and the epoch and checkpoint callbacks (saving, logging;
// known once they return, so filled in result::history only). The loader's workers, summed
// over them and running alongside the steps: getting frames (decoding, or the frame cache) and
// making rows of them (views, augmentation, tensor).
struct epoch_times {
  double step = 0, wait = 0, validation = 0, callbacks = 0, decode = 0, augment = 0;

  // A run's totals: the sum over its epochs.
  epoch_times& operator+=(const epoch_times& o) {
    step += o.step, wait += o.wait, validation += o.validation, callbacks += o.callbacks;
    decode += o.decode, augment += o.augment;
    return *this;
  }
};

// One finished epoch: training figures averaged over its images, validation figures of the
// parameters at its end (0 without validation items). The CSV log has one row per record.
// seconds: from the epoch's start to the end of its validation.
struct epoch_record {
  std::size_t epoch = 0;
  double train_loss = 0, train_accuracy = 0, validation_loss = 0, validation_accuracy = 0,
         validation_balanced_accuracy = 0, seconds = 0;
  std::size_t images = 0;  // trained on
  epoch_times times;
};

// One evaluated image's outcome.
struct prediction {
  std::size_t sample = 0, predicted = 0;
  float probability = 0;  // of the predicted class
};

// A network scored on some items: mean cross-entropy, accuracy, balanced accuracy (all 0
// without items), the confusion matrix and each image's prediction, in the items' order.
struct evaluation {
  double loss = 0, accuracy = 0, balanced_accuracy = 0;
  nn::confusion_matrix matrix;
  std::vector<prediction> predictions;
};

struct result {
  epoch_record best;  // the checkpoint's epoch; epoch 0 when no epoch finished
  nn::confusion_matrix validation;  // at the best epoch
  std::vector<epoch_record> history;  // every finished epoch
  std::size_t epochs_run = 0, steps = 0;  // epochs_run: the last finished epoch
  std::vector<data::skipped_file> skipped;  // files that could not be used, once each
  bool interrupted = false;  // a stop request (core/stop.hpp) ended the run
  bool stopped_early = false;  // options::patience epochs went by without a better checkpoint
  nn::confusion_matrix test;  // the test items, with the best parameters
  std::vector<prediction> test_predictions;
  data::cache_stats cache;  // the frame cache after the last epoch (all 0 without one: options::cache_budget 0)
};

}  // namespace tarmac::train
