#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <tarmac/image/augment.hpp>
#include <tarmac/image/io.hpp>
#include <tarmac/image/roi.hpp>
#include <tarmac/surface/synthetic_set.hpp>

#include "../temp_folder.hpp"

namespace fs = std::filesystem;
namespace surface = tarmac::surface;

namespace {

// Small frames keep the sets quick to write.
surface::synthetic_set_options small_set(std::size_t per_class, std::size_t drive = 0) {
  surface::synthetic_set_options o;
  o.per_class = per_class;
  o.seed = 5;
  o.drive_frames = drive;
  o.scene.size = {96, 128};
  return o;
}

// Every file and folder under `root`, relative to it, sorted.
std::vector<std::string> entries(const fs::path& root) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) out.push_back(fs::relative(e.path(), root).string());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<unsigned char> bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("synthetic_folders is the RTK layout: type folders, then a quality folder per type and quality") {
  std::vector<std::string> paths;
  for (const auto& f : surface::synthetic_folders()) paths.push_back(f.path.string());
  CHECK(paths == std::vector<std::string>{"training_data_type/asphalt", "training_data_type/paved", "training_data_type/unpaved",
                                          "training_data_asphalt_quality/01asphalt(Good)", "training_data_asphalt_quality/02asphalt(Regular)",
                                          "training_data_asphalt_quality/03asphalt(Bad)", "training_data_paved_quality/01paved(Good)",
                                          "training_data_paved_quality/02paved(Regular)", "training_data_paved_quality/03paved(Bad)",
                                          "training_data_unpaved_quality/01unpaved(Regular)", "training_data_unpaved_quality/02unpaved(Bad)"});
  const auto folders = surface::synthetic_folders();
  CHECK(folders[2].type == surface::road_type::unpaved);
  CHECK(!folders[2].quality);
  CHECK(folders[10].type == surface::road_type::unpaved);
  CHECK(folders[10].quality == surface::road_quality::bad);
  CHECK(surface::synthetic_set_frames(small_set(4, 7)) == 11 * 4 + 7);
}

TEST_CASE("synthetic_set_frame depends on the seed, the folder and the index, and a quality folder draws its quality") {
  const cv::Size size(96, 128);
  surface::scene_options scene;
  scene.size = size;
  const cv::Mat a = surface::synthetic_set_frame(3, 1, 5, scene);
  CHECK(a.size() == size);
  CHECK(cv::norm(a, surface::synthetic_set_frame(3, 1, 5, scene), cv::NORM_INF) == 0);
  CHECK(cv::norm(a, surface::synthetic_set_frame(3, 2, 5, scene), cv::NORM_L1) > 0);
  CHECK(cv::norm(a, surface::synthetic_set_frame(4, 1, 5, scene), cv::NORM_L1) > 0);
  CHECK(cv::norm(a, surface::synthetic_set_frame(3, 1, 6, scene), cv::NORM_L1) > 0);
  // Folder 3 is asphalt, good: the frame is that road drawn from the frame's own seed.
  const cv::Mat expected = surface::render_road_frame(surface::road_type::asphalt, surface::road_quality::good,
                                                      surface::detail::frame_seed(5, 3, 1), scene);
  CHECK(cv::norm(a, expected, cv::NORM_INF) == 0);
  CHECK_THROWS_AS(surface::synthetic_set_frame(11, 0, 5, scene), tarmac::invalid_argument);
}

TEST_CASE("write_synthetic_set writes every folder's frames, the drive and its truth, and nothing else") {
  temp_folder tmp;
  const fs::path out = tmp.path / "set";
  const auto options = small_set(2, 3);
  std::vector<std::size_t> reported;
  const auto summary = surface::write_synthetic_set(out, options, [&](std::size_t done, std::size_t total) {
    CHECK(total == 25);
    reported.push_back(done);
  });
  CHECK(summary.frames == 25);
  CHECK(!summary.stopped);
  REQUIRE(reported.size() == 25);
  CHECK(reported.front() == 1);
  CHECK(reported.back() == 25);

  std::vector<std::string> expected = {"drive", "drive/000000.png", "drive/000001.png", "drive/000002.png", "drive/truth.csv"};
  const auto folders = surface::synthetic_folders();
  for (const auto& f : folders) {
    for (fs::path p = f.path; !p.empty(); p = p.parent_path()) expected.push_back(p.string());
    expected.push_back((f.path / "00000.jpg").string());
    expected.push_back((f.path / "00001.jpg").string());
  }
  std::sort(expected.begin(), expected.end());
  expected.erase(std::unique(expected.begin(), expected.end()), expected.end());
  CHECK(entries(out) == expected);

  // Each frame file is its frame, JPEG quality 95: any frame can be regenerated alone.
  for (std::size_t j : {std::size_t(0), std::size_t(5), std::size_t(10)}) {
    const auto encoded = tarmac::image::encode_image("x.jpg", surface::synthetic_set_frame(j, 1, 5, options.scene), {cv::IMWRITE_JPEG_QUALITY, 95});
    CHECK(bytes(out / folders[j].path / "00001.jpg") == encoded);
  }
  const surface::drive_truth truth = surface::read_truth(out / "drive" / "truth.csv");
  REQUIRE(truth.size() == 3);
  surface::drive_generator drive(surface::detail::frame_seed(5, 1000, 0), options.scene);
  for (std::size_t i = 0; i < 3; ++i) {
    const surface::drive_frame f = drive.next();
    CHECK(truth.at(i) == surface::truth_row{surface::name(f.type), surface::name(f.quality)});
    char name[32];
    std::snprintf(name, sizeof name, "%06zu.png", i);
    CHECK(cv::norm(tarmac::image::read_image(out / "drive" / name), f.image, cv::NORM_INF) == 0);
  }
}

TEST_CASE("a stop or a failure part-way leaves the output folder as it was") {
  temp_folder tmp;
  const fs::path out = tmp.path / "user";
  fs::create_directories(out);
  std::ofstream(out / "notes.txt") << "the user's notes";
  for (bool stop : {true, false}) {
    INFO((stop ? "stopped" : "failed"));
    auto options = small_set(2, 2);
    int polls = 0;
    options.stop = [&] { return stop && ++polls > 10; };
    std::size_t written = 0;
    const auto fail_after_ten = [&](std::size_t done, std::size_t) {
      written = done;
      if (!stop && done == 10) throw tarmac::io_error("disk full");
    };
    if (stop) {
      const auto summary = surface::write_synthetic_set(out, options, fail_after_ten);
      CHECK(summary.stopped);
      CHECK(summary.frames == 0);
    } else {
      CHECK_THROWS_WITH_AS(surface::write_synthetic_set(out, options, fail_after_ten), "disk full", tarmac::io_error);
    }
    CHECK(written == 10);
    CHECK(entries(out) == std::vector<std::string>{"notes.txt"});
  }
  // A folder the run created is removed again.
  auto options = small_set(1);
  options.stop = [] { return true; };
  CHECK(surface::write_synthetic_set(tmp.path / "new", options).stopped);
  CHECK(!fs::exists(tmp.path / "new"));
}

TEST_CASE("an existing data set is refused and left alone; frames too small are refused before any work") {
  temp_folder tmp;
  const fs::path out = tmp.path / "set";
  fs::create_directories(out / "training_data_paved_quality");
  CHECK_THROWS_WITH_AS(surface::write_synthetic_set(out, small_set(1)),
                       doctest::Contains("already holds training_data_paved_quality"), tarmac::invalid_argument);
  CHECK(entries(out) == std::vector<std::string>{"training_data_paved_quality"});

  // A drive folder is only part of a set that has a drive.
  const fs::path other = tmp.path / "other";
  fs::create_directories(other / "drive");
  CHECK_NOTHROW(surface::check_synthetic_set(other, small_set(1)));
  CHECK_THROWS_WITH_AS(surface::check_synthetic_set(other, small_set(1, 1)), doctest::Contains("already holds drive"),
                       tarmac::invalid_argument);

  // An output that cannot be a folder fails with what is wrong and where.
  std::ofstream(tmp.path / "a-file") << "not a folder";
  const std::string cannot_create = "cannot create " + (tmp.path / "a-file").string();
  CHECK_THROWS_WITH_AS(surface::write_synthetic_set(tmp.path / "a-file", small_set(1)), doctest::Contains(cannot_create.c_str()),
                       tarmac::io_error);

  auto tiny = small_set(1);
  tiny.scene.size = {10, 10};
  CHECK_THROWS_AS(surface::write_synthetic_set(tmp.path / "tiny", tiny), tarmac::invalid_argument);
  CHECK(!fs::exists(tmp.path / "tiny"));
}

TEST_CASE("synthetic_preview: a row per type and quality of frame, ROI, brighter, darker and augmented views") {
  surface::scene_options scene;
  scene.size = {176, 144};
  const cv::Mat sheet = surface::synthetic_preview(3, scene);
  CHECK(sheet.size() == cv::Size(5 * 220, 8 * 180));
  CHECK(cv::norm(sheet, surface::synthetic_preview(3, scene), cv::NORM_INF) == 0);
  CHECK(cv::norm(sheet, surface::synthetic_preview(4, scene), cv::NORM_L1) > 0);
  // Row 1 is asphalt, regular: its ROI and views, stretched to the tile.
  const cv::Mat frame = surface::render_road_frame(surface::road_type::asphalt, surface::road_quality::regular,
                                                   surface::detail::frame_seed(3, 99, 1), scene);
  const cv::Mat roi = tarmac::image::crop_roi(frame);
  const auto tile = [&](int column) { return sheet(cv::Rect(column * 220, 180, 220, 180)); };
  const auto stretched = [](const cv::Mat& m) {
    cv::Mat r;
    cv::resize(m, r, {220, 180});
    return r;
  };
  CHECK(cv::norm(tile(1), stretched(roi), cv::NORM_INF) == 0);
  CHECK(cv::norm(tile(2), stretched(tarmac::image::brighten_hsv(roi)), cv::NORM_INF) == 0);
  CHECK(cv::norm(tile(3), stretched(tarmac::image::adjust_gamma(roi)), cv::NORM_INF) == 0);
  // The frame's tile is captioned in its top-left corner and untouched below.
  const cv::Rect caption(0, 0, 140, 24), below(0, 40, 220, 140);
  CHECK(cv::norm(tile(0)(caption), stretched(frame)(caption), cv::NORM_L1) > 0);
  CHECK(cv::norm(tile(0)(below), stretched(frame)(below), cv::NORM_INF) == 0);
}
