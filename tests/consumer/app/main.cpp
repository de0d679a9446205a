// NMS through tarmac::tarmac (with the umbrella of every part) or tarmac::nms (its own umbrella only).
#ifdef TARMAC_CONSUMER_NMS_ONLY
#include <tarmac/nms.hpp>
#else
#include <tarmac/tarmac.hpp>
#endif

#include <cstdio>
#include <vector>

int main() {
  using tarmac::nms::box;
  const std::vector<box<float>> boxes = {{0, 0, 10, 10}, {1, 1, 11, 11}, {20, 20, 30, 30}};
  const std::vector<float> scores = {0.9f, 0.8f, 0.7f};
  const auto keep = tarmac::nms::nms<tarmac::nms::simd>(boxes, scores);
  std::printf("kept %zu\n", keep.size());
  return keep == std::vector<std::size_t>{0, 2} ? 0 : 1;
}
