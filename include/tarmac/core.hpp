#pragma once
#include "tarmac/core/error.hpp"
#include "tarmac/core/numpy_random.hpp"
#include "tarmac/core/files.hpp"
#include "tarmac/core/json.hpp"
#include "tarmac/core/progress.hpp"
#include "tarmac/core/labels.hpp"
#include "tarmac/core/thread_pool.hpp"
