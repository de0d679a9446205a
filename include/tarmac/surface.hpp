#pragma once
#include "tarmac/surface/cascade.hpp"
#include "tarmac/surface/classifier.hpp"
#include "tarmac/surface/model_file.hpp"
#include "tarmac/surface/overlay.hpp"
#include "tarmac/surface/synthetic.hpp"
#include "tarmac/surface/taxonomy.hpp"
#include "tarmac/surface/truth.hpp"
