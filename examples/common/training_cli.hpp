#pragma once
// What tarmac-train, tarmac-train-cascade and tarmac-eval --cv share: the training flags, and
// training whichever network they name for however many classes a folder has. The networks
// are instantiated once, in training_cli.cpp, for all three tools.
#include <filesystem>
#include <vector>

#include <tarmac/core/labels.hpp>
#include <tarmac/data/dataset.hpp>

#include "cli.hpp"
#include "training.hpp"

namespace tarmac::training {

// Adds the training flags (--epochs, --lr, --augment, ... and --seed) to a tool's parser.
void add_options(cli::parser& args);

// The flags as settings, each checked (a bad value is an invalid_argument naming the flag).
settings read_options(const cli::parser& args);

// Trains --net for classes.size() classes (2 to 6): see train<Net>.
result train_classifier(const settings& s, const std::vector<class_info>& classes,
                        const std::vector<data::sample>& samples, const data::split_indices& split,
                        const std::vector<std::size_t>& test = {});

// A folder-per-class data set the trainers can train on (2 to 6 classes), with the groups of
// byte-identical files in it. Skipped files and files filed under two classes go to stderr.
struct labelled_data {
  data::folder_dataset set;
  std::vector<std::vector<std::size_t>> identical;
};
labelled_data open_dataset(const std::filesystem::path& root);

// s's stratified training / validation split of d, identical files on one side; invalid_argument
// when a class is left without training images.
data::split_indices training_split(const settings& s, const labelled_data& d);

}  // namespace tarmac::training
