#include <doctest/doctest.h>

#include <tarmac/nms.hpp>
#include <tarmac/nms/datasets.hpp>

using tarmac::nms::box;

// First rows computed with NumPy 1.24 by the blog's script:
//   np.random.seed(1); minxy = randint(50,145,(6000,2)); maxxy = randint(150,200,(6000,2))
//   score = 0.8*random_sample((6000,1))+0.2; concatenate(...).astype(np.float32)
TEST_CASE("classic_boxes is bit-identical to the Python experiment") {
  const auto set = tarmac::nms::classic_boxes();
  REQUIRE(set.boxes.size() == 6000);
  CHECK(set.boxes[0] == box<float>{87, 62, 180, 173});
  CHECK(set.scores[0] == 0.6092245578765869f);
  CHECK(set.boxes[1] == box<float>{122, 59, 155, 175});
  CHECK(set.scores[1] == 0.22716587781906128f);
  CHECK(set.boxes[2] == box<float>{125, 55, 155, 189});
  CHECK(set.scores[2] == 0.6514167785644531f);
  CHECK(set.boxes[3] == box<float>{129, 114, 154, 156});
  CHECK(set.scores[3] == 0.7156882882118225f);
  CHECK(set.boxes[5999] == box<float>{118, 89, 161, 175});
  CHECK(set.scores[5999] == 0.6602152585983276f);
}

TEST_CASE("the classic experiment keeps 514 / 1502 / 4378 boxes, as py_cpu_nms does") {
  const auto set = tarmac::nms::classic_boxes();
  tarmac::nms::params p;
  p.convention = tarmac::nms::coords::pixel_inclusive;
  const std::pair<float, std::size_t> expected[] = {{0.7f, 514}, {0.8f, 1502}, {0.9f, 4378}};
  for (auto [threshold, kept] : expected) {
    p.iou_threshold = threshold;
    const auto keep = tarmac::nms::nms(set.boxes, set.scores, p);
    CHECK(keep.size() == kept);
    CHECK(keep.front() == 5349);  // py_cpu_nms keeps 5349 first at every threshold
  }
}

// u = np.random.RandomState(7).random_sample((3, 5)); w = 16 + 240*u[:,0]; ...
TEST_CASE("scene_boxes is bit-identical to its documented NumPy recipe") {
  const auto set = tarmac::nms::scene_boxes(3, 7);
  CHECK(set.boxes[0] == box<float>{826.7021484375f, 634.348388671875f, 861.0161743164062f, 837.5288696289062f});
  CHECK(set.scores[0] == 0.9779894948005676f);
  CHECK(set.boxes[1] == box<float>{127.87354278564453f, 253.33421325683594f, 273.112548828125f, 389.6031188964844f});
  CHECK(set.scores[1] == 0.4998824894428253f);
  CHECK(set.boxes[2] == box<float>{663.2127075195312f, 57.43732452392578f, 842.2279052734375f, 266.3346862792969f});
  CHECK(set.scores[2] == 0.28814560174942017f);
  CHECK_THROWS_AS(tarmac::nms::scene_boxes(3, 7, 100, 100, 16, 256), tarmac::invalid_argument);
}
