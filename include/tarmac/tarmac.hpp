#pragma once
// Everything tarmac offers.
#include "tarmac/core.hpp"
#include "tarmac/nms.hpp"
