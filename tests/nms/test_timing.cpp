#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <tarmac/nms/timing.hpp>

namespace nms = tarmac::nms;

namespace {

nms::timing_table small_table() {
  nms::timing_table t;
  t.boxes = 6000;
  t.reps = 50;
  t.thresholds = nms::classic_thresholds;
  t.rows = nms::blog_rows();
  t.rows.resize(1);
  t.rows.push_back({"suppressed_flag", false, {0.004, 0.013, 0.037}, {514, 1502, 4378}});
  t.rows.push_back({"simd", false, {0.0005, 0.001, 0.00074}, {514, 1502, 4378}});
  return t;
}

}  // namespace

TEST_CASE("time_calls: one warm-up and reps calls per threshold, their mean time and the kept count") {
  std::vector<float> seen;
  const nms::timing_row r = nms::time_calls("sleepy", {0.5f, 0.7f}, 3, [&](float t) {
    seen.push_back(t);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return std::size_t(t * 10);
  });
  CHECK(seen == std::vector<float>{0.5f, 0.5f, 0.5f, 0.5f, 0.7f, 0.7f, 0.7f, 0.7f});
  CHECK(r.name == "sleepy");
  CHECK(!r.reference);
  CHECK(r.kept == std::vector<std::size_t>{5, 7});
  REQUIRE(r.seconds.size() == 2);
  for (double s : r.seconds) CHECK(s >= 0.002);
  CHECK_THROWS_AS(nms::time_calls("none", {0.5f}, 0, [](float) { return std::size_t(0); }), tarmac::invalid_argument);
}

TEST_CASE("timing_markdown: the blog's table, reference rows starred and footnoted, speed-ups over the baseline") {
  CHECK(nms::timing_markdown(small_table(), "suppressed_flag") ==
        "\n| policy (6000 boxes, mean of 50 calls) | t=0.7 | t=0.8 | t=0.9 | kept | vs suppressed_flag |\n"
        "|---|---|---|---|---|---|\n"
        "| pure Python (2018) * | 0.0287 s | 0.1057 s | 0.4204 s | - | - |\n"
        "| suppressed_flag | 0.0040 s | 0.0130 s | 0.0370 s | 514 / 1502 / 4378 | 1.0x / 1.0x / 1.0x |\n"
        "| simd | 0.0005 s | 0.0010 s | 0.0007 s | 514 / 1502 / 4378 | 8.0x / 13.0x / 50.0x |\n"
        "\n* reported in 2018 on another machine (Python/Cython/CUDA NMS blog); not measured here.\n");
  nms::timing_table measured = small_table();
  measured.rows.erase(measured.rows.begin());
  measured.thresholds = {0.5f, 0.7f, 0.9f};
  const std::string text = nms::timing_markdown(measured, "simd");
  CHECK(text.find("| t=0.5 | t=0.7 | t=0.9 | kept | vs simd |") != std::string::npos);
  CHECK(text.find("| suppressed_flag | 0.0040 s | 0.0130 s | 0.0370 s | 514 / 1502 / 4378 | 0.1x / 0.1x / 0.0x |") != std::string::npos);
  CHECK(text.find("2018") == std::string::npos);
  CHECK_THROWS_WITH_AS(nms::timing_markdown(measured, "naive"), doctest::Contains("'naive'"), tarmac::invalid_argument);
  CHECK_THROWS_AS(nms::timing_markdown(small_table(), "pure Python (2018)"), tarmac::invalid_argument);  // not measured
  measured.rows[0].seconds.pop_back();
  CHECK_THROWS_WITH_AS(nms::timing_markdown(measured, "simd"), doctest::Contains("'suppressed_flag' has 2 times"),
                       tarmac::invalid_argument);
}

TEST_CASE("timing_csv: a line per row and threshold; reference rows have no kept count") {
  CHECK(nms::timing_csv(small_table()) ==
        "policy,source,threshold,seconds,kept\n"
        "pure Python (2018),reported_2018,0.7,0.0287,\n"
        "pure Python (2018),reported_2018,0.8,0.1057,\n"
        "pure Python (2018),reported_2018,0.9,0.4204,\n"
        "suppressed_flag,measured,0.7,0.004,514\n"
        "suppressed_flag,measured,0.8,0.013,1502\n"
        "suppressed_flag,measured,0.9,0.037,4378\n"
        "simd,measured,0.7,0.0005,514\n"
        "simd,measured,0.8,0.001,1502\n"
        "simd,measured,0.9,0.00074,4378\n");
  nms::timing_table bad = small_table();
  bad.rows[1].kept.clear();
  CHECK_THROWS_AS(nms::timing_csv(bad), tarmac::invalid_argument);
}

TEST_CASE("blog_rows: the 2018 figures at the classic thresholds, all references") {
  const auto rows = nms::blog_rows();
  REQUIRE(rows.size() == 4);
  CHECK(rows[2].name == "typed Cython (2018)");
  CHECK(rows[2].seconds == std::vector<double>{0.0019, 0.0028, 0.0036});
  for (const auto& r : rows) {
    CHECK(r.reference);
    CHECK(r.seconds.size() == nms::classic_thresholds.size());
  }
}
