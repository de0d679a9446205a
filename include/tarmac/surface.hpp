#pragma once
#include "tarmac/surface/model_file.hpp"
