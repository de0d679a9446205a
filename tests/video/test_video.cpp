// Frame sources (folders in natural order, printf sequences, videos), the atomic AVI writer,
// the overlay, and the annotate pipeline end to end with a test-double cascade.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <random>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include <tarmac/surface/overlay.hpp>
#include <tarmac/video.hpp>

#include "../failing_disk.hpp"
#include "../temp_folder.hpp"

namespace fs = std::filesystem;
using namespace tarmac;

namespace {

// A frame whose colour encodes n, so order and identity can be read back.
cv::Mat numbered(int n, cv::Size size = {64, 48}) { return cv::Mat(size, CV_8UC3, cv::Scalar(10 * n % 250, 50, 100)); }

std::vector<std::string> names(video::frame_source& source) {
  std::vector<std::string> out;
  while (auto f = source.next()) out.push_back(f->name);
  return out;
}

// Type in the first pixel's blue channel (0.1 per class), as the cascade tests do.
struct coded_model {
  std::vector<class_info> names;
  xt::xtensor<float, 2> predict(const xt::xtensor<float, 4>& inputs) {
    const std::size_t k = names.size(), row = inputs.shape()[1] * inputs.shape()[2] * inputs.shape()[3];
    xt::xtensor<float, 2> p = xt::zeros<float>({inputs.shape()[0], k});
    for (std::size_t i = 0; i < inputs.shape()[0]; ++i) p(i, std::size_t(inputs.data()[i * row] > 0.5f)) = 1;
    return p;
  }
  const std::vector<class_info>& classes() const { return names; }
  const image::roi_rule& roi() const { return rule; }
  image::input_size input() const { return {8, 8}; }
  image::roi_rule rule{0.5, 0, 0};
};

}  // namespace

TEST_CASE("natural_less orders digit runs by value") {
  std::vector<std::string> v{"10.png", "2.png", "1.png", "frame_100.jpg", "frame_20.jpg", "a.png", "002.png", "b1", "b01"};
  std::sort(v.begin(), v.end(), video::natural_less);
  CHECK(v == std::vector<std::string>{"1.png", "2.png", "002.png", "10.png", "a.png", "b1", "b01", "frame_20.jpg", "frame_100.jpg"});
  CHECK_FALSE(video::natural_less("x", "x"));
}

TEST_CASE("frame_source: a folder in natural order, unreadable images skipped, other sizes resized") {
  temp_folder dir;
  for (int n : {1, 2, 10}) cv::imwrite((dir.path / (std::to_string(n) + ".png")).string(), numbered(n));
  cv::imwrite((dir.path / "3.png").string(), numbered(3, {32, 24}));
  write_file(dir.path / "5.png", "not a png");
  write_file(dir.path / "notes.txt", "ignored");
  video::frame_source source(dir.path.string());
  CHECK(source.source_kind() == video::frame_source::kind::folder);
  CHECK(source.count() == 5);
  std::vector<std::size_t> index, source_index;
  std::vector<std::string> seen;
  while (auto f = source.next()) {
    seen.push_back(f->name);
    index.push_back(f->index);
    source_index.push_back(f->source_index);
    CHECK(f->image.size() == cv::Size(64, 48));
  }
  CHECK(seen == std::vector<std::string>{"1.png", "2.png", "3.png", "10.png"});
  CHECK(index == std::vector<std::size_t>{0, 1, 2, 3});
  CHECK(source_index == std::vector<std::size_t>{0, 1, 2, 4});
  REQUIRE(source.skipped().size() == 1);
  CHECK(source.skipped()[0].name.find("5.png") != std::string::npos);
  CHECK(source.resized() == 1);
}

TEST_CASE("frame_source: printf sequences in numeric order; a gap is reported, counted and read past") {
  temp_folder dir;
  for (int n : {1, 2, 3, 7, 8, 12}) cv::imwrite((dir.path / cv::format("f%04d.png", n)).string(), numbered(n));
  cv::imwrite((dir.path / "f12.png").string(), numbered(1));     // not this pattern's name for 12
  cv::imwrite((dir.path / "f00004.png").string(), numbered(1));  // nor for 4
  video::frame_source source((dir.path / "f%04d.png").string());
  CHECK(source.source_kind() == video::frame_source::kind::sequence);
  CHECK(source.count() == 6);
  std::vector<std::string> seen;
  std::vector<std::size_t> numbers;
  while (auto f = source.next()) seen.push_back(f->name), numbers.push_back(f->source_index);
  CHECK(seen == std::vector<std::string>{"f0001.png", "f0002.png", "f0003.png", "f0007.png", "f0008.png", "f0012.png"});
  CHECK(numbers == std::vector<std::size_t>{1, 2, 3, 7, 8, 12});  // the file's number, for truth files keyed by it
  REQUIRE(source.skipped().size() == 2);
  CHECK(source.skipped()[0].name.ends_with("f0004.png to " + (dir.path / "f0006.png").string()));
  CHECK(source.skipped()[0].reason.find("gap") != std::string::npos);
  CHECK(source.skipped()[0].frames == 3);
  CHECK(source.skipped()[1].frames == 3);  // 9 to 11
  CHECK(source.skipped_frames() == 6);
  CHECK_THROWS_WITH_AS(video::frame_source((dir.path / "g%04d.png").string()), doctest::Contains("no file matches"), io_error);
  CHECK_THROWS_WITH_AS(video::frame_source((dir.path / "none" / "g%04d.png").string()), doctest::Contains("does not exist"), io_error);
  CHECK_THROWS_AS(video::frame_source((dir.path / "f%s.png").string()), invalid_argument);
  CHECK_THROWS_AS(video::frame_source((dir.path / "f%d%d.png").string()), invalid_argument);
  CHECK_THROWS_AS(video::frame_source((dir.path / "f%n.png").string()), invalid_argument);
  CHECK_THROWS_WITH_AS(video::frame_source((dir.path / "f%999d.png").string()), doctest::Contains("at most 20 digits"), invalid_argument);
  CHECK_THROWS_WITH_AS(video::frame_source((dir.path / "run%d" / "f.png").string()), doctest::Contains("in the file name"), invalid_argument);
  // %d without a width: "12" is 12, "012" is not a name printf gives.
  video::frame_source plain((dir.path / "f%d.png").string());
  CHECK(names(plain) == std::vector<std::string>{"f12.png"});
}

TEST_CASE("frame_source: truncated JPEGs, symlink loops and dangling links are skipped and named") {
  temp_folder dir;
  for (int n = 0; n < 3; ++n) cv::imwrite((dir.path / cv::format("%d.jpg", n)).string(), numbered(n, {160, 120}));
  std::vector<unsigned char> jpeg;
  cv::imencode(".jpg", numbered(5, {160, 120}), jpeg);
  std::ofstream((dir.path / "1.jpg"), std::ios::binary).write(reinterpret_cast<const char*>(jpeg.data()), std::streamsize(jpeg.size() * 2 / 3));
  fs::create_symlink(dir.path / "loop-b.png", dir.path / "loop-a.png");
  fs::create_symlink(dir.path / "loop-a.png", dir.path / "loop-b.png");
  fs::create_symlink(dir.path / "gone.png", dir.path / "3.png");
  video::frame_source source(dir.path.string());
  CHECK(names(source) == std::vector<std::string>{"0.jpg", "2.jpg"});
  std::map<std::string, std::string> why;
  for (const auto& s : source.skipped()) why[fs::path(s.name).filename().string()] = s.reason;
  CHECK(why["1.jpg"].find("truncated JPEG") != std::string::npos);
  CHECK(why["3.png"] == "a symlink to nothing");
  CHECK(why["loop-a.png"].find("symbolic links") != std::string::npos);
  CHECK(source.skipped_frames() == 4);
}
TEST_CASE("frame_source: videos, and missing or unreadable inputs are io_error") {
  temp_folder dir;
  {
    video::avi_writer writer(dir.path / "in.avi", 10);
    for (int n = 0; n < 7; ++n) writer.write(numbered(n));
    writer.finish();
  }
  video::frame_source source((dir.path / "in.avi").string());
  CHECK(source.source_kind() == video::frame_source::kind::video);
  CHECK(source.count() == 7);
  CHECK(names(source).size() == 7);
  CHECK_THROWS_WITH_AS(video::frame_source((dir.path / "missing.avi").string()), doctest::Contains("does not exist"), io_error);
  write_file(dir.path / "junk.avi", "this is not a video");
  CHECK_THROWS_AS(video::frame_source((dir.path / "junk.avi").string()), io_error);
  fs::create_directories(dir.path / "empty");
  CHECK_THROWS_WITH_AS(video::frame_source((dir.path / "empty").string()), doctest::Contains("no image files"), io_error);
  fs::create_directories(dir.path / "bad");
  write_file(dir.path / "bad" / "1.png", "x");
  video::frame_source bad((dir.path / "bad").string());
  CHECK_THROWS_WITH_AS(bad.next(), doctest::Contains("none of its 1 images could be used"), io_error);
}

TEST_CASE("avi_writer: nothing under the final name until finish(); bad outputs fail at once") {
  temp_folder dir;
  const fs::path out = dir.path / "out.avi";
  write_file(out, "the user's previous video");
  {
    video::avi_writer writer(out, 15);
    CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator{}) == 1);  // no temporary yet
    writer.write(numbered(1));
    CHECK_THROWS_AS(writer.write(numbered(2, {32, 32})), invalid_argument);
  }  // abandoned: the temporary is removed, the old file untouched
  std::ifstream old(out);
  std::string text((std::istreambuf_iterator<char>(old)), std::istreambuf_iterator<char>());
  CHECK(text == "the user's previous video");
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator{}) == 1);
  CHECK_THROWS_AS(video::avi_writer(dir.path / "out.mp4", 15), invalid_argument);
  CHECK_THROWS_AS(video::avi_writer(dir.path / "no" / "out.avi", 15), io_error);
  fs::create_directories(dir.path / "folder.avi");
  CHECK_THROWS_WITH_AS(video::avi_writer(dir.path / "folder.avi", 15), doctest::Contains("it is a folder"), io_error);
  CHECK_THROWS_AS(video::avi_writer(out, 0), invalid_argument);
  // Below 0.1 frames/s the header's rate rounds to 0 or its microseconds per frame overflow.
  CHECK_THROWS_WITH_AS(video::avi_writer(out, 0.0004), "frame rate must be in [0.1, 1000], got 0.000400", invalid_argument);
  CHECK_THROWS_AS(video::avi_writer(out, 0.0999), invalid_argument);
  CHECK_THROWS_AS(video::avi_writer(out, 1000.5), invalid_argument);
  CHECK_NOTHROW(video::avi_writer(out, video::avi_writer::min_fps));
  video::avi_writer empty(dir.path / "empty.avi", 15);
  CHECK_THROWS_AS(empty.finish(), invalid_argument);
}

// Every frame of an AVI through one OpenCV backend.
std::vector<cv::Mat> read_back(const fs::path& path, int backend) {
  cv::VideoCapture capture(path.string(), backend);
  REQUIRE(capture.isOpened());
  std::vector<cv::Mat> frames;
  for (cv::Mat f; capture.read(f);) frames.push_back(f.clone());
  return frames;
}

TEST_CASE("avi_writer: FFmpeg and OpenCV's own reader play it back, across OpenDML parts too") {
  temp_folder dir;
  for (const std::uint64_t part_limit : {std::uint64_t{1} << 30, std::uint64_t{1} << 16}) {
    CAPTURE(part_limit);
    const fs::path out = dir.path / "drive.avi";
    fs::remove(out);
    std::mt19937 rng(3);
    std::vector<cv::Mat> written;
    video::avi_writer writer(out, 29.97, {.jpeg_quality = 95, .part_limit = part_limit});
    for (int n = 0; n < 40; ++n) {  // noise, so that each frame takes several KiB and 64 KiB parts hold a few
      cv::Mat f(120, 160, CV_8UC3);
      cv::randu(f, 0, 255);
      cv::rectangle(f, {n * 3, 10}, {n * 3 + 20, 60}, cv::Scalar(255, 255, 255), cv::FILLED);
      written.push_back(f);
      writer.write(f);
    }
    writer.finish();
    // OpenCV's own reader stops after the first part (it does not read OpenDML's AVIX parts), so
    // it is checked on the single-part video; FFmpeg, which frame_source tries first, reads all.
    for (int backend : {cv::CAP_FFMPEG, cv::CAP_OPENCV_MJPEG}) {
      if (backend == cv::CAP_OPENCV_MJPEG && part_limit < (std::uint64_t{1} << 30)) continue;
      CAPTURE(backend);
      const auto frames = read_back(out, backend);
      REQUIRE(frames.size() == written.size());
      for (std::size_t i = 0; i < frames.size(); ++i) {
        cv::Mat a, b;
        cv::GaussianBlur(frames[i], a, {9, 9}, 3);  // JPEG noise averages out; a wrong frame does not
        cv::GaussianBlur(written[i], b, {9, 9}, 3);
        CHECK(cv::norm(a, b, cv::NORM_L1) / double(a.total() * 3) < 4);
      }
    }
    cv::VideoCapture capture(out.string(), cv::CAP_FFMPEG);
    CHECK(capture.get(cv::CAP_PROP_FPS) == doctest::Approx(29.97).epsilon(1e-3));
    CHECK(capture.get(cv::CAP_PROP_FRAME_COUNT) == 40);
  }
}

TEST_CASE("avi_writer: a failed write (full disk, size limit) keeps the old video and leaves no temporary") {
  auto fill = [](const fs::path& out) {
    video::avi_writer writer(out, 15);
    for (int n = 0; n < 200; ++n) {
      cv::Mat f(240, 320, CV_8UC3);
      cv::randu(f, 0, 255);
      writer.write(f);
    }
    writer.finish();
  };
  {
    temp_folder dir;
    write_file(dir.path / "out.avi", "old");
    {
      file_size_limit limit(256 * 1024);
      CHECK_THROWS_WITH_AS(fill(dir.path / "out.avi"), doctest::Contains("file too large"), io_error);
    }
    std::ifstream old(dir.path / "out.avi");
    CHECK(std::string(std::istreambuf_iterator<char>(old), {}) == "old");
    CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator{}) == 1);
  }
  small_filesystem disk(512);
  if (!disk.mounted) return;
  write_file(disk.path / "out.avi", "old");
  CHECK_THROWS_WITH_AS(fill(disk.path / "out.avi"), doctest::Contains("disk full"), io_error);
  std::ifstream old(disk.path / "out.avi");
  CHECK(std::string(std::istreambuf_iterator<char>(old), {}) == "old");
  CHECK(std::distance(fs::directory_iterator(disk.path), fs::directory_iterator{}) == 1);
}

TEST_CASE("frame_source: a video that stops decoding early counts the frames it lost") {
  temp_folder dir;
  {
    video::avi_writer writer(dir.path / "whole.avi", 10);
    for (int n = 0; n < 30; ++n) {
      cv::Mat f(96, 128, CV_8UC3);
      cv::randu(f, 0, 255);
      writer.write(f);
    }
    writer.finish();
  }
  std::ifstream in(dir.path / "whole.avi", std::ios::binary);
  const std::string bytes(std::istreambuf_iterator<char>(in), {});
  std::ofstream(dir.path / "cut.avi", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  video::frame_source source((dir.path / "cut.avi").string());
  const std::size_t read = names(source).size();
  CHECK(read > 5);
  CHECK(read < 25);
  REQUIRE(source.skipped().size() == 1);
  CHECK(source.skipped()[0].reason.find("decoding stopped at frame") != std::string::npos);
  CHECK(source.skipped_frames() == 30 - read);
}

TEST_CASE("annotation_log: tarmac-annotate's CSV rows, quoted where needed, and the frames of each label") {
  surface::cascade_result bad_unpaved, asphalt;
  bad_unpaved.type_class = {"unpaved", "unpaved"};
  bad_unpaved.type_probability = 0.91236f;
  bad_unpaved.quality = 1;
  bad_unpaved.quality_class = {"02unpaved(Bad)", "unpaved (bad)"};
  bad_unpaved.quality_probability = 0.75f;
  asphalt.type_class = {"asphalt", "asphalt"};
  asphalt.type_probability = 0.5f;  // no quality model: empty quality columns
  video::annotation_log log;
  log.add({.name = "000000.png", .index = 0}, bad_unpaved);
  log.add({.name = "a, \"b\".png", .index = 1}, asphalt);
  log.add({.name = "000002.png", .index = 2}, bad_unpaved);
  CHECK(log.csv() ==
        "index,source,type,type_probability,quality,quality_probability\n"
        "0,000000.png,unpaved,0.9124,bad,0.750000\n"
        "1,\"a, \"\"b\"\".png\",asphalt,0.5000,,\n"
        "2,000002.png,unpaved,0.9124,bad,0.750000\n");
  CHECK(log.frames() == 3);
  CHECK(log.type_frames() == std::map<std::string, std::size_t>{{"asphalt", 1}, {"unpaved", 2}});
  CHECK(log.outcome_frames() == std::map<std::string, std::size_t>{{"asphalt", 1}, {"unpaved bad", 2}});
}

TEST_CASE("commit_outputs: the video and every file, or on a failure none of them") {
  temp_folder dir;
  const fs::path avi = dir.path / "out.avi", csv = dir.path / "out.csv";
  auto read = [](const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  auto entries = [&] { return std::distance(fs::directory_iterator(dir.path), fs::directory_iterator{}); };
  write_file(avi, "old video");
  write_file(csv, "old csv");
  {
    video::avi_writer writer(avi, 15);
    for (int n = 0; n < 3; ++n) writer.write(numbered(n));
    video::commit_outputs(writer, {{csv, "new csv"}, {fs::path(), "no file"}});
  }
  CHECK(read(csv) == "new csv");
  CHECK(read(avi).substr(0, 4) == "RIFF");
  CHECK(entries() == 2);
  // The video cannot be finished (its index is past a file-size limit the CSV is under): the
  // CSV, complete on disk already, is not renamed either, and no temporary is left.
  write_file(avi, "old video");
  write_file(csv, "old csv");
  {
    video::avi_writer writer(avi, 15);
    for (int n = 0; n < 60; ++n) {
      cv::Mat f(240, 320, CV_8UC3);
      cv::randu(f, 0, 255);
      writer.write(f);
    }
    file_size_limit limit(64 * 1024);
    CHECK_THROWS_WITH_AS(video::commit_outputs(writer, {{csv, "new csv"}}), doctest::Contains("file too large"), io_error);
  }
  CHECK(read(avi) == "old video");
  CHECK(read(csv) == "old csv");
  CHECK(entries() == 2);
}

TEST_CASE("overlay: a white panel top-left whose size follows the frame height, labels in RTK colours") {
  surface::cascade_result r;
  r.type_class = {"unpaved", "unpaved"};
  r.type_probability = 0.91f;
  r.quality = 1;
  r.quality_class = {"02unpaved(Bad)", "unpaved (bad)"};
  r.quality_probability = 0.77f;
  auto panel_height = [&](cv::Size size) {
    cv::Mat frame(size, CV_8UC3, cv::Scalar(40, 40, 40));
    surface::draw_overlay(frame, r);
    int rows = 0;
    while (rows < frame.rows && frame.at<cv::Vec3b>(rows, 1) == cv::Vec3b(255, 255, 255)) ++rows;
    // The label colours are in the panel: unpaved orange (0,153,255), bad red (0,0,255).
    cv::Mat mask;
    cv::inRange(frame, cv::Scalar(0, 140, 240), cv::Scalar(20, 165, 255), mask);
    CHECK(cv::countNonZero(mask) > 0);
    cv::inRange(frame, cv::Scalar(0, 0, 240), cv::Scalar(20, 20, 255), mask);
    CHECK(cv::countNonZero(mask) > 0);
    return rows;
  };
  const int rtk = panel_height({352, 288}), carina = panel_height({1280, 960});
  CHECK(rtk > 20);
  CHECK(carina > 2.5 * rtk);
  CHECK(carina < 4 * rtk);
  cv::Mat gray(10, 10, CV_8UC1);
  CHECK_THROWS_AS(surface::draw_overlay(gray, r), invalid_argument);
}

TEST_CASE("annotate: every readable frame classified, drawn and written in order") {
  temp_folder dir;
  for (int n = 0; n < 23; ++n) {
    cv::Mat f = numbered(n);
    f.setTo(cv::Scalar(n % 3 == 0 ? 255 : 0, 0, 0));  // blue 255 -> class 1 (paved)
    cv::imwrite((dir.path / cv::format("%03d.png", n)).string(), f);
  }
  write_file(dir.path / "007.png", "broken");
  coded_model type{{{"asphalt", "asphalt"}, {"paved", "paved"}}};
  surface::basic_cascade<coded_model> cascade(type, {std::nullopt, std::nullopt});
  video::frame_source source(dir.path.string());
  video::avi_writer writer(dir.path / "out.avi", 15);
  std::vector<std::size_t> order, types;
  const auto summary = video::annotate(source, cascade, writer, {.batch = 5, .smoothing = 0, .show_roi = true},
                                       [&](const video::frame& f, const surface::cascade_result& r, const cv::Mat& annotated) {
                                         order.push_back(f.source_index);
                                         types.push_back(r.type);
                                         CHECK(annotated.at<cv::Vec3b>(2, 2) == cv::Vec3b(255, 255, 255));  // the panel
                                       });
  writer.finish();
  CHECK(summary.frames == 22);
  CHECK(summary.skipped == 1);
  REQUIRE(order.size() == 22);
  for (std::size_t i = 0; i < order.size(); ++i) {
    CHECK(order[i] == (i < 7 ? i : i + 1));
    CHECK(types[i] == (order[i] % 3 == 0 ? 1u : 0u));
  }
  cv::VideoCapture check((dir.path / "out.avi").string());
  CHECK(check.get(cv::CAP_PROP_FRAME_COUNT) == 22);
  CHECK(check.get(cv::CAP_PROP_FRAME_WIDTH) == 64);
}

TEST_CASE("annotate: a failure in a stage stops the pipeline and reaches the caller") {
  temp_folder dir;
  for (int n = 0; n < 40; ++n) cv::imwrite((dir.path / cv::format("%03d.png", n)).string(), numbered(n));
  struct failing_model : coded_model {
    int calls = 0;
    xt::xtensor<float, 2> predict(const xt::xtensor<float, 4>& inputs) {
      if (++calls == 3) throw format_error("the model broke on its third batch");
      return coded_model::predict(inputs);
    }
  };
  failing_model type;
  type.names = {{"asphalt", "asphalt"}, {"paved", "paved"}};
  surface::basic_cascade<failing_model> cascade(type, {std::nullopt, std::nullopt});
  video::frame_source source(dir.path.string());
  video::avi_writer writer(dir.path / "out.avi", 15);
  CHECK_THROWS_WITH_AS(video::annotate(source, cascade, writer, {.batch = 4}), doctest::Contains("third batch"), format_error);
  // A batch is allocated whole (batch x 128 x 128 x 3 floats, and the networks' activations): bounded.
  for (const std::size_t batch : {std::size_t{0}, video::annotate_options::max_batch + 1})
    CHECK_THROWS_WITH_AS(video::annotate(source, cascade, writer, {.batch = batch}),
                         ("annotate: batch size must be in [1, 1024], got " + std::to_string(batch)).c_str(), invalid_argument);
}

TEST_CASE("annotate: frames too small for the ROI are skipped and named; the first usable frame sets the size") {
  temp_folder dir;
  cv::imwrite((dir.path / "000.png").string(), numbered(0, {1, 1}));  // a 1x1 first frame
  for (int n = 1; n < 6; ++n) cv::imwrite((dir.path / cv::format("%03d.png", n)).string(), numbered(n, n == 3 ? cv::Size(64, 8) : cv::Size(64, 48)));
  coded_model type{{{"asphalt", "asphalt"}, {"paved", "paved"}}};
  type.rule = {0.5, 0, 20};
  surface::basic_cascade<coded_model> cascade(type, {std::nullopt, std::nullopt});
  video::frame_source source(dir.path.string());
  video::avi_writer writer(dir.path / "out.avi", 15);
  const auto summary = video::annotate(source, cascade, writer, {.batch = 2});
  writer.finish();
  CHECK(summary.frames == 4);
  CHECK(summary.skipped == 2);
  REQUIRE(source.skipped().size() == 2);
  CHECK(source.skipped()[0].name == "000.png");
  CHECK(source.skipped()[0].reason.find("1x1 frame is too small for the ROI") != std::string::npos);
  CHECK(source.skipped()[1].name == "003.png");
  CHECK(source.frame_size() == cv::Size(64, 48));
  // No frame at all fits: an error that says why, not an empty video.
  video::frame_source tiny(dir.path.string());
  type.rule = {0.5, 0, 100};
  surface::basic_cascade<coded_model> strict(type, {std::nullopt, std::nullopt});
  video::avi_writer unused(dir.path / "none.avi", 15);
  CHECK_THROWS_WITH_AS(video::annotate(tiny, strict, unused, {}),
                       doctest::Contains("the models' ROI (rows [round(h*0.5)+0, round(h*1)-100), columns [round(w*0), round(w*1))) fits none of "
                                        "the frames (000.png: a 1x1 frame"),
                       invalid_argument);
}

namespace {
std::string contents(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
std::set<std::string> listing(const fs::path& folder) {
  std::set<std::string> out;
  for (const auto& entry : fs::directory_iterator(folder)) out.insert(entry.path().filename().string());
  return out;
}
}  // namespace

TEST_CASE("annotate: a stop request ends reading; the old video stays byte for byte, no temporary is left") {
  temp_folder dir;
  for (int n = 0; n < 6; ++n) cv::imwrite((dir.path / cv::format("%03d.png", n)).string(), numbered(n));
  write_file(dir.path / "out.avi", "the user's previous video");
  coded_model type{{{"asphalt", "asphalt"}, {"paved", "paved"}}};
  surface::basic_cascade<coded_model> cascade(type, {std::nullopt, std::nullopt});
  const auto before = listing(dir.path);

  SUBCASE("stopped before the first frame") {
    video::frame_source source(dir.path.string());
    video::avi_writer writer(dir.path / "out.avi", 15);
    const auto summary = video::annotate(source, cascade, writer, {.batch = 2, .stop = [] { return true; }});
    CHECK(summary.frames == 0);
    CHECK(writer.frames() == 0);
    CHECK(listing(dir.path) == before);  // the writer had nothing to write, so it created nothing
  }
  SUBCASE("stopped after three frames: the partial video is never committed") {
    // The reader polls before each frame: three frames are read, then the stop is seen.
    video::frame_source source(dir.path.string());
    std::atomic<int> polls{0};
    video::avi_writer writer(dir.path / "out.avi", 15);
    const auto summary = video::annotate(source, cascade, writer, {.batch = 2, .stop = [&] { return ++polls > 3; }});
    CHECK(summary.frames == 3);  // it reports stopping early: 3 of the 6 frames
    CHECK(writer.frames() == 3);
    // Still in the temporary, beside the old video, which annotate has not replaced.
    CHECK(contents(dir.path / "out.avi") == "the user's previous video");
    std::set<std::string> added;
    std::ranges::set_difference(listing(dir.path), before, std::inserter(added, added.end()));
    REQUIRE(added.size() == 1);
    CHECK(added.begin()->starts_with("out.tmp-"));
  }
  // The writer, abandoned, removes its temporary; the old video is byte for byte what it was.
  CHECK(contents(dir.path / "out.avi") == "the user's previous video");
  CHECK(listing(dir.path) == before);
}

namespace {

// The type as coded_model; a quality model reads a paved frame's quality from the first pixel's
// red channel (three classes, thirds of [0, 1]), so the cascade runs it on some frames of every
// batch.
struct drive_model : coded_model {
  bool quality = false;
  xt::xtensor<float, 2> predict(const xt::xtensor<float, 4>& inputs) {
    if (!quality) return coded_model::predict(inputs);
    const std::size_t row = inputs.shape()[1] * inputs.shape()[2] * inputs.shape()[3];
    xt::xtensor<float, 2> p = xt::zeros<float>({inputs.shape()[0], std::size_t(3)});
    for (std::size_t i = 0; i < inputs.shape()[0]; ++i) p(i, std::min<std::size_t>(2, std::size_t(inputs.data()[i * row + 2] * 3))) = 0.7f;
    return p;
  }
};

surface::basic_cascade<drive_model> coded_cascade() {
  drive_model type;
  type.names = {{"asphalt", "asphalt"}, {"paved", "paved"}};
  drive_model quality;
  quality.names = {{"good", "good"}, {"regular", "regular"}, {"bad", "bad"}};
  quality.quality = true;
  return {type, {std::nullopt, quality}};
}

// n frames of a drive for coded_cascade: types and qualities vary from frame to frame.
void write_drive(const fs::path& folder, int n) {
  for (int k = 0; k < n; ++k) {
    cv::Mat f(48, 64, CV_8UC3, cv::Scalar(k % 3 == 0 ? 255 : 0, 40, 37 * k % 256));
    cv::circle(f, {k % 64, 30}, 5, {0, 255, 0}, cv::FILLED);
    cv::imwrite((folder / cv::format("%03d.png", k)).string(), f);
  }
}

// Runs fn on a thread of its own; a run still going after a minute is a hang, reported as such
// (the test process stops: waiting on for ever would hide which test hung).
template <class F>
auto within_a_minute(F&& fn) {
  auto done = std::async(std::launch::async, std::forward<F>(fn));
  if (done.wait_for(std::chrono::minutes(1)) != std::future_status::ready) {
    std::fprintf(stderr, "annotate hung: no result after a minute\n");
    std::abort();
  }
  return done.get();
}

}  // namespace

TEST_CASE("annotate: the pipelined video and CSV are byte for byte those of one frame at a time") {
  temp_folder dir;
  write_drive(dir.path, 37);
  // Sequentially, as the RTK scripts ran: one frame read, classified, drawn and written at a time.
  auto cascade = coded_cascade();
  surface::probability_smoother smoother(0.6);
  video::annotation_log expected_log;
  {
    video::frame_source source(dir.path.string());
    video::avi_writer writer(dir.path / "sequential.avi", 15);
    while (std::optional<video::frame> f = source.next()) {
      const surface::cascade_result r = cascade.classify(std::vector<cv::Mat>{f->image}, &smoother).at(0);
      expected_log.add(*f, r);
      surface::draw_overlay(f->image, r, {true, cascade.roi()});
      writer.write(f->image);
    }
    writer.finish();
  }
  const std::string expected = contents(dir.path / "sequential.avi");
  REQUIRE(expected.size() > 37 * 500);
  for (const std::size_t batch : {std::size_t{1}, std::size_t{4}, std::size_t{16}, std::size_t{64}}) {
    CAPTURE(batch);
    auto pipelined = coded_cascade();
    video::frame_source source(dir.path.string());
    video::avi_writer writer(dir.path / "pipelined.avi", 15);
    video::annotation_log log;
    const auto summary = video::annotate(source, pipelined, writer, {.batch = batch, .smoothing = 0.6, .show_roi = true},
                                         [&](const video::frame& f, const surface::cascade_result& r, const cv::Mat&) { log.add(f, r); });
    video::commit_outputs(writer, {});
    CHECK(summary.frames == 37);
    CHECK(log.csv() == expected_log.csv());
    CHECK(log.outcome_frames() == expected_log.outcome_frames());
    CHECK(contents(dir.path / "pipelined.avi") == expected);
  }
  CHECK(expected_log.outcome_frames().size() == 4);  // asphalt, and paved in each of its three qualities
}

TEST_CASE("annotate: a failure in any stage ends every stage with the typed error; the old video is kept") {
  temp_folder dir;
  write_drive(dir.path, 40);
  const fs::path out = dir.path / "out" / "drive.avi";
  fs::create_directory(out.parent_path());
  write_file(out, "the user's previous video");
  auto run = [&](auto& cascade, video::avi_writer& writer, const video::frame_callback& on_frame = {}) {
    return within_a_minute([&] {
      video::frame_source source(dir.path.string());
      return video::annotate(source, cascade, writer, {.batch = 4}, on_frame);
    });
  };
  SUBCASE("the writer thread: the frame callback throws") {
    auto cascade = coded_cascade();
    video::avi_writer writer(out, 15);
    std::size_t seen = 0;
    CHECK_THROWS_WITH_AS(run(cascade, writer,
                             [&](const video::frame& f, const surface::cascade_result&, const cv::Mat&) {
                               if (++seen == 10) throw format_error("the caller refused " + f.name);
                             }),
                         "the caller refused 009.png", format_error);
  }
  SUBCASE("the networks: the type model throws on its third batch") {
    struct failing_model : coded_model {
      std::shared_ptr<int> calls = std::make_shared<int>(0);
      xt::xtensor<float, 2> predict(const xt::xtensor<float, 4>& inputs) {
        if (++*calls == 3) throw format_error("the model broke on its third batch");
        return coded_model::predict(inputs);
      }
    };
    failing_model type;
    type.names = {{"asphalt", "asphalt"}, {"paved", "paved"}};
    surface::basic_cascade<failing_model> cascade(type, {std::nullopt, std::nullopt});
    video::avi_writer writer(out, 15);
    CHECK_THROWS_WITH_AS(run(cascade, writer), "the model broke on its third batch", format_error);
  }
  SUBCASE("writing: the video cannot be written (a size limit, as a full disk)") {
    auto cascade = coded_cascade();
    video::avi_writer writer(out, 15);
    file_size_limit limit(20 * 1024);
    CHECK_THROWS_WITH_AS(run(cascade, writer), doctest::Contains("file too large"), io_error);
  }
  SUBCASE("a stop request after 10 frames: no error, the partial video is never committed") {
    auto cascade = coded_cascade();
    video::avi_writer writer(out, 15);
    std::atomic<int> polls{0};
    const auto summary = within_a_minute([&] {
      video::frame_source source(dir.path.string());
      return video::annotate(source, cascade, writer, {.batch = 4, .stop = [&] { return ++polls > 10; }});
    });
    CHECK(summary.frames == 10);
    CHECK(writer.frames() == 10);
  }
  // Each writer, abandoned, removed its temporary: the old video alone is left, byte for byte.
  CHECK(contents(out) == "the user's previous video");
  CHECK(listing(dir.path / "out") == std::set<std::string>{"drive.avi"});
}

TEST_CASE("annotate: a damaged frame in the middle of a video is skipped and named; the frames around it are annotated") {
  temp_folder dir;
  {
    video::avi_writer writer(dir.path / "drive.avi", 10);
    for (int n = 0; n < 12; ++n) writer.write(numbered(n, {64, 48}));
    writer.finish();
  }
  // Frame 5's JPEG loses its start-of-image marker and header: no decoder can read it.
  std::string bytes = contents(dir.path / "drive.avi");
  std::size_t at = bytes.find("movi");  // the frames' chunks follow it (the header names 00dc too)
  for (int n = 0; n <= 5; ++n) at = bytes.find("00dc", at + 1);
  REQUIRE(at != std::string::npos);
  std::fill_n(bytes.begin() + std::ptrdiff_t(at + 8), 200, '\0');
  write_file(dir.path / "damaged.avi", bytes);
  auto cascade = coded_cascade();
  video::avi_writer writer(dir.path / "out.avi", 10);
  std::vector<std::size_t> annotated;
  std::string skipped_reason;
  const auto summary = within_a_minute([&] {
    video::frame_source source((dir.path / "damaged.avi").string());
    const auto s = video::annotate(source, cascade, writer, {.batch = 4},
                                   [&](const video::frame& f, const surface::cascade_result&, const cv::Mat&) { annotated.push_back(f.source_index); });
    if (!source.skipped().empty()) skipped_reason = source.skipped()[0].reason;
    return s;
  });
  // FFmpeg reads past the frame it cannot decode or stops there; either way nothing hangs, the
  // frames before it are all annotated in order, and what was lost is counted.
  REQUIRE(summary.frames >= 5);
  CHECK(summary.frames <= 11);
  CHECK(summary.frames + summary.skipped == 12);
  for (std::size_t i = 0; i < 5; ++i) CHECK(annotated[i] == i);
  CHECK(writer.frames() == summary.frames);
  if (summary.frames == 5) CHECK(skipped_reason.find("decoding stopped at frame 5 of 12") != std::string::npos);
}
