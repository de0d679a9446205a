#pragma once
// Everything tarmac offers.
#include "tarmac/core.hpp"
#include "tarmac/data.hpp"
#include "tarmac/eval.hpp"
#include "tarmac/image.hpp"
#include "tarmac/nms.hpp"
#include "tarmac/nms/xtensor.hpp"
#include "tarmac/nn.hpp"
#include "tarmac/surface.hpp"
#include "tarmac/train.hpp"
#include "tarmac/video.hpp"
