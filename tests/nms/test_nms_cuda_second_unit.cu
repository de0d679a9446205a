// A second translation unit of test_nms_cuda that includes cuda.cuh: its kernels must not be
// defined once per .cu file (a plain __global__ function in a header would be), so linking this
// executable is itself the check.
#include <doctest/doctest.h>

#include <vector>

#include <tarmac/nms/cuda.cuh>

TEST_CASE("cuda.cuh can be included by several .cu files of one program") {
  namespace nms = tarmac::nms;
  if (!nms::cuda_available()) return;
  const std::vector<nms::box<float>> boxes = {{0, 0, 10, 10}, {1, 0, 11, 10}, {20, 20, 30, 30}};
  const std::vector<float> scores = {0.5f, 0.9f, 0.1f};
  CHECK(nms::nms<nms::cuda>(boxes, scores) == std::vector<std::size_t>{1, 2});
}
