#pragma once
// Frames into network inputs: the RTK region of interest, augmentations, tensor conversion; and
// the pictures tools draw (contact sheets, bar charts).
#include "tarmac/image/augment.hpp"
#include "tarmac/image/bar_chart.hpp"
#include "tarmac/image/contact_sheet.hpp"
#include "tarmac/image/io.hpp"
#include "tarmac/image/roi.hpp"
#include "tarmac/image/tensor.hpp"
