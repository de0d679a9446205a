#pragma once
// Training: the trainer with its options, rules, callbacks and result; data sets to train on;
// networks chosen by class count; the CSV log, learning curves and confusion text.
#include "tarmac/train/labelled_set.hpp"
#include "tarmac/train/networks.hpp"
#include "tarmac/train/options.hpp"
#include "tarmac/train/records.hpp"
#include "tarmac/train/report.hpp"
#include "tarmac/train/rules.hpp"
#include "tarmac/train/trainer.hpp"
