#pragma once
// Non-maximum suppression: nms<Policy>(), batched_nms<Policy>(), soft_nms().
// Policies: naive, suppressed_flag, simd (when xsimd is available; the default), and cuda
// from <tarmac/nms/cuda.cuh> in CUDA translation units. Needs xsimd only (tarmac::nms).
// Not included here: the xtensor front ends (<tarmac/nms/xtensor.hpp>, tarmac::nn or
// tarmac::tarmac), the benchmarks' box generators (<tarmac/nms/datasets.hpp>) and the timing
// table (<tarmac/nms/timing.hpp>).
#include "tarmac/nms/nms.hpp"
#include "tarmac/nms/policy/naive.hpp"
#include "tarmac/nms/policy/suppressed_flag.hpp"
#include "tarmac/nms/soft_nms.hpp"
#include "tarmac/nms/types.hpp"
#if __has_include(<xsimd/xsimd.hpp>)
#include "tarmac/nms/policy/simd.hpp"
#endif
