#pragma once
// Data sets: folder-per-class trees, stratified splits, class balancing.
#include "tarmac/data/dataset.hpp"
#include "tarmac/data/loader.hpp"
