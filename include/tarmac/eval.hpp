#pragma once
// Evaluation: a model or a cascade on labelled folders, cross-validation of a training recipe,
// and the reports as data with text and JSON renderers.
#include "tarmac/eval/cascade.hpp"
#include "tarmac/eval/cross_validation.hpp"
#include "tarmac/eval/evaluate.hpp"
#include "tarmac/eval/json.hpp"
#include "tarmac/eval/mistakes_sheet.hpp"
#include "tarmac/eval/report.hpp"
#include "tarmac/eval/text.hpp"
