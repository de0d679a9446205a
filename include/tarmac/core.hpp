#pragma once
#include "tarmac/core/error.hpp"
#include "tarmac/core/numpy_random.hpp"
#include "tarmac/core/files.hpp"
#include "tarmac/core/progress.hpp"
