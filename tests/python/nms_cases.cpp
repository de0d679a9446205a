// Test helper for tests/python/test_nms.py: writes the random property cases of
// test_nms_property.cpp (seeds 0..COUNT-1, float then double) and the naive policy's kept indices.
// Per case: int64 n, convention (0 continuous, 1 pixel_inclusive), max_keep (-1: none), kept,
// bytes per scalar; float64 iou_threshold, score_threshold; then the boxes (n x 4) and scores in
// the case's type and the kept indices as int64.
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <tarmac/core/files.hpp>
#include <tarmac/nms.hpp>

#include "../nms/random_cases.hpp"

namespace nms = tarmac::nms;

namespace {

template <class T>
void write_cases(tarmac::output_file& out, std::size_t count) {
  for (std::size_t seed = 0; seed < count; ++seed) {
    std::mt19937_64 rng(seed);
    const auto c = tarmac::test::make_case<T>(rng);
    const auto keep = nms::nms<nms::naive>(c.boxes, c.scores, c.p);
    const std::int64_t head[5] = {std::int64_t(c.boxes.size()), c.p.convention == nms::coords::pixel_inclusive,
                                  c.p.max_keep == nms::params{}.max_keep ? -1 : std::int64_t(c.p.max_keep),
                                  std::int64_t(keep.size()), std::int64_t(sizeof(T))};
    const double thresholds[2] = {c.p.iou_threshold, c.p.score_threshold};
    const std::vector<std::int64_t> kept(keep.begin(), keep.end());
    out.write(head, sizeof head);
    out.write(thresholds, sizeof thresholds);
    out.write(c.boxes.data(), c.boxes.size() * sizeof(c.boxes[0]));
    out.write(c.scores.data(), c.scores.size() * sizeof(T));
    out.write(kept.data(), kept.size() * sizeof(std::int64_t));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: python_nms_cases OUTPUT COUNT\n");
    return 2;
  }
  try {
    const std::size_t count = std::stoul(argv[2]);
    tarmac::write_atomically(argv[1], [&](tarmac::output_file& out) {
      write_cases<float>(out, count);
      write_cases<double>(out, count);
    });
  } catch (const std::exception& e) {
    std::fprintf(stderr, "python_nms_cases: error: %s\n", e.what());
    return 2;
  }
}
