#pragma once
// What tarmac-train, tarmac-train-cascade and tarmac-eval --cv share: the training flags, and
// training the network --net names, for however many classes a folder has, with the library's
// trainer (tarmac/train.hpp), printing and writing what the tools print and write. The networks
// are instantiated once, in training_cli.cpp, for all three tools.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <tarmac/core/labels.hpp>
#include <tarmac/data/dataset.hpp>
#include <tarmac/nn/init.hpp>
#include <tarmac/surface/model_file.hpp>
#include <tarmac/train.hpp>

#include "cli.hpp"

namespace tarmac::training {

namespace fs = std::filesystem;

// The flags as given: names stay text, for messages and the model file's notes
// (trainer_options maps them to the library's options).
struct settings {
  fs::path data, out;
  std::size_t epochs = 60, iterations = 0, batch = 16, threads = 0, patience = 0;
  double learning_rate = 1e-3, validation = 0.2, weight_decay = 1e-4;
  std::uint64_t seed = 1;
  std::string net = "rtk", augment = "strong", balance = "weights", schedule = "cosine", select = "balanced";
  nn::init_scheme init = nn::init_scheme::he;
  image::roi_rule roi;  // the part of each frame the model sees, stored in the model file
  // Transfer learning: start from this model's layers where the networks share them; a new
  // classifier layer (new_head) when the classes differ; the convolutions frozen for the first
  // freeze_epochs epochs.
  fs::path init_from_path;
  std::shared_ptr<const surface::stored_model> init_from;
  bool new_head = false;
  std::size_t freeze_epochs = 0;
  double crop_scale = 0.8;  // strong augmentation's smallest window, per side
  bool tta = false;  // validation and test probabilities averaged with the mirrored frames
  std::size_t cache_budget = data::frame_cache::default_budget;  // bytes (--cache-mb)
  fs::path log, plot;
  bool quiet = false;  // no per-epoch lines (cross-validation prints its own)
};

// Adds the training flags (--epochs, --lr, --augment, ... and --seed) to a tool's parser.
void add_options(cli::parser& args);

// The flags as settings, each checked (a bad value is an invalid_argument naming the flag).
settings read_options(const cli::parser& args);

// The library's options for checked settings (without the frozen layers: see train_classifier).
train::options trainer_options(const settings& s);

// Trains --net for classes.size() classes (2 to 6), starting from --init-from when given:
// a progress bar per epoch and skipped files on stderr, epoch lines on stdout (unless quiet:
// also the frame cache's plan before and where the time went after),
// the best checkpoint to s.out and the log and curves after every epoch (each when named).
// When test items are given the result scores the best parameters on them. A run in which no
// epoch finished is an error.
train::result train_classifier(const settings& s, const std::vector<class_info>& classes,
                        const std::vector<data::sample>& samples, const data::split_indices& split,
                        const std::vector<std::size_t>& test = {});

// A folder-per-class data set the trainers can train on (2 to 6 classes), with the groups of
// byte-identical files in it. Skipped files and files filed under two classes go to stderr.
train::labelled_set open_dataset(const fs::path& root);

// s's stratified training / validation split of d, identical files on one side; invalid_argument
// when a class is left without training images or --init-from has other classes.
data::split_indices training_split(const settings& s, const train::labelled_set& d);

inline void print_confusion(const std::vector<class_info>& classes, const nn::confusion_matrix& m) {
  std::fputs(train::confusion_text(classes, m).c_str(), stdout);
}

}  // namespace tarmac::training
