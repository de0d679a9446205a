#include <doctest/doctest.h>

#include "../failing_disk.hpp"
#include "../rtk_sample.hpp"

#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include <tarmac/image.hpp>

namespace img = tarmac::image;

TEST_CASE("the RTK ROI keeps rows [round(h/2) - 5, h - 50) on each camera's frames") {
  struct expected {
    int width, height, top, bottom;
  };
  // RTK 352x288, KITTI 1241x376 / 1224x375 / 1238x374, CaRINA 1280x960; 375/2 = 187.5 and
  // 377/2 = 188.5 both round to 188 (half to even, as Python's round()).
  for (const expected& e : {expected{352, 288, 139, 238}, expected{1241, 376, 183, 326},
                            expected{1224, 375, 183, 325}, expected{1238, 374, 182, 324},
                            expected{1280, 960, 475, 910}, expected{640, 377, 183, 327}}) {
    const cv::Rect r = img::roi_rule{}.rect({e.width, e.height});
    INFO(e.width << "x" << e.height);
    CHECK(r == cv::Rect(0, e.top, e.width, e.bottom - e.top));
  }
  const img::roi_rule tuned{0.6, 0, 0};
  CHECK(tuned.rect({100, 100}) == cv::Rect(0, 60, 100, 40));
}

TEST_CASE("crop_roi is a view; too small or empty frames are invalid arguments") {
  cv::Mat frame(288, 352, CV_8UC3, cv::Scalar(1, 2, 3));
  cv::Mat roi = img::crop_roi(frame);
  CHECK(roi.size() == cv::Size(352, 99));
  roi.setTo(cv::Scalar(9, 9, 9));
  CHECK(frame.at<cv::Vec3b>(139, 0) == cv::Vec3b(9, 9, 9));
  CHECK(frame.at<cv::Vec3b>(138, 0) == cv::Vec3b(1, 2, 3));
  CHECK_THROWS_WITH_AS(img::crop_roi(cv::Mat(60, 352, CV_8UC3)),
                       "a 352x60 frame is too small for the ROI rtk (rows [round(h*0.5)-5, h-50))",
                       tarmac::invalid_argument);
  CHECK_THROWS_AS(img::crop_roi(cv::Mat()), tarmac::invalid_argument);
  CHECK_THROWS_AS((img::roi_rule{1.5, 0, 0}.rect({10, 10})), tarmac::invalid_argument);
}

TEST_CASE("roi_rule::parse: rtk, full, and fractions of the height and width") {
  CHECK(img::roi_rule::parse("rtk") == img::roi_rule{});
  CHECK(img::roi_rule::parse("full").rect({100, 60}) == cv::Rect(0, 0, 100, 60));
  CHECK(img::roi_rule::parse("0.5:1").rect({352, 288}) == cv::Rect(0, 144, 352, 144));
  CHECK(img::roi_rule::parse("0.25:0.75,0.1:0.9").rect({100, 100}) == cv::Rect(10, 25, 80, 50));
  CHECK(img::roi_rule::parse("0.5:1,0.1:0.9").to_string() == "0.5:1,0.1:0.9");
  CHECK(img::roi_rule::parse(img::roi_rule::parse("0.3:0.9,0:0.5").to_string()) == img::roi_rule::parse("0.3:0.9,0:0.5"));
  CHECK(img::roi_rule::parse("full").to_string() == "full");
  for (const char* bad : {"", "half", "0.5", "0.5:", ":1", "0.5:x", "0.9:0.5", "0.5:0.5", "-0.1:1", "0.5:1.5", "0.5:1,0.2",
                          "0.5:1,0.8:0.2", "0.5:1,0:2", "nan:1", "0.5:inf"}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(img::roi_rule::parse(bad), doctest::Contains("ROI '"), tarmac::invalid_argument);
  }
  CHECK_THROWS_WITH_AS(img::roi_rule::parse("0.5:0.6").rect({10, 4}), "a 10x4 frame is too small for the ROI 0.5:0.6,0:1",
                       tarmac::invalid_argument);
}

TEST_CASE("fits_some_frame: only rules that select no rows of any frame fail") {
  CHECK(img::roi_rule{}.fits_some_frame());
  CHECK(img::roi_rule{0, 0, 0}.fits_some_frame());
  CHECK(img::roi_rule{1, -10, 5}.fits_some_frame());    // the 5 rows above the bottom margin
  CHECK_FALSE(img::roi_rule{1, 0, 0}.fits_some_frame());  // from the last row down
  CHECK_FALSE(img::roi_rule{1, -5, 5}.fits_some_frame());
  CHECK_FALSE(img::roi_rule{0, -1, 0}.fits_some_frame());  // starts above the frame
  CHECK_FALSE(img::roi_rule{1.5, 0, 0}.fits_some_frame());
  CHECK_FALSE(img::roi_rule{0.5, 0, -1}.fits_some_frame());
  // Whatever it says, some frame agrees (and none does when it says no).
  for (const img::roi_rule& r : {img::roi_rule{1, -10, 5}, img::roi_rule{0, 0, 0}, img::roi_rule{0.99, 0, 40}}) {
    CHECK(r.rect({10, 100000}).height > 0);
  }
  CHECK(img::roi_rule{}.to_string() == "rtk (rows [round(h*0.5)-5, h-50))");
  CHECK_FALSE((img::roi_rule{0, 0, 0, 1, 0.5, 0.5}.fits_some_frame()));  // no columns
  CHECK((img::roi_rule{0, 0, 0, 1, 0.5, 0.6}.fits_some_frame()));
}

namespace {
std::vector<unsigned char> encoded(const cv::Mat& m, const char* ext, std::vector<int> params = {}) {
  std::vector<unsigned char> out;
  REQUIRE(cv::imencode(ext, m, out, params));
  return out;
}
cv::Mat noise(int w, int h) {
  cv::Mat m(h, w, CV_8UC3);
  cv::randu(m, 0, 255);
  return m;
}
}  // namespace

TEST_CASE("decode_image refuses a JPEG cut short, which OpenCV would half-decode without a word") {
  const cv::Mat picture = noise(96, 64);
  for (const std::vector<int>& params : {std::vector<int>{}, std::vector<int>{cv::IMWRITE_JPEG_PROGRESSIVE, 1},
                                         std::vector<int>{cv::IMWRITE_JPEG_RST_INTERVAL, 2}}) {
    const auto jpeg = encoded(picture, ".jpg", params);
    std::string reason;
    CHECK(img::decode_image(jpeg, reason).size() == picture.size());
    CHECK(reason.empty());
    // Data after the end-of-image marker (as some cameras append) is fine.
    auto trailing = jpeg;
    trailing.insert(trailing.end(), {'x', 0xFF, 0xD8, 'y'});
    CHECK_FALSE(img::decode_image(trailing, reason).empty());
    for (std::size_t keep : {jpeg.size() - 1, jpeg.size() - 2, jpeg.size() * 2 / 3, std::size_t(200), std::size_t(3)}) {
      CAPTURE(keep);
      const std::span<const unsigned char> cut(jpeg.data(), keep);
      reason.clear();
      CHECK(img::decode_image(cut, reason).empty());
      CHECK(reason.find("truncated JPEG") != std::string::npos);
    }
  }
  std::string reason;
  const auto png = encoded(picture, ".png");
  CHECK(img::decode_image(std::span(png.data(), png.size() / 2), reason).empty());
  CHECK(reason.find("cannot be decoded") != std::string::npos);
  const unsigned char junk[] = {'n', 'o', 't', ' ', 'a', 'n', ' ', 'i', 'm', 'a', 'g', 'e'};
  CHECK(img::decode_image(junk, reason).empty());
}

TEST_CASE("read_image names the file and why; write_image keeps the old file when a write fails") {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "tarmac_test_image_io";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  img::write_image(dir / "a.png", noise(40, 30));
  CHECK(img::read_image(dir / "a.png").size() == cv::Size(40, 30));
  std::ofstream(dir / "empty.jpg").close();
  CHECK_THROWS_WITH_AS(img::read_image(dir / "empty.jpg"), doctest::Contains("empty.jpg: empty file"), tarmac::format_error);
  CHECK_THROWS_WITH_AS(img::read_image(dir / "missing.jpg"), doctest::Contains("missing.jpg: cannot be read"), tarmac::format_error);
  {
    file_size_limit limit(2048);
    CHECK_THROWS_WITH_AS(img::write_image(dir / "a.png", noise(400, 300)), doctest::Contains("file too large"), tarmac::io_error);
  }
  CHECK(img::read_image(dir / "a.png").size() == cv::Size(40, 30));
  CHECK(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()) == 2);
  CHECK_THROWS_AS(img::write_image(dir / "a.xyz", noise(4, 4)), tarmac::invalid_argument);
}

TEST_CASE("contact sheets: frames letterboxed into captioned cells, laid out row by row") {
  // A 40x10 red frame in a 20x20 cell: scaled to 20x5, centred, white above and below, and a
  // caption band of 18 pixels a line plus 6.
  const cv::Mat red(10, 40, CV_8UC3, cv::Scalar(0, 0, 255));
  const cv::Mat tile = img::thumbnail(red, {"one", "two"}, {20, 20});
  REQUIRE(tile.size() == cv::Size(20, 20 + 2 * 18 + 6));
  CHECK(tile.at<cv::Vec3b>(10, 10) == cv::Vec3b(0, 0, 255));
  CHECK(tile.at<cv::Vec3b>(2, 10) == cv::Vec3b(255, 255, 255));
  CHECK(img::thumbnail(cv::Mat(), {}, {20, 20}).at<cv::Vec3b>(10, 10) == cv::Vec3b(255, 255, 255));  // no frame: blank

  // Five 20x30 tiles, 4 a row: two rows under a 32-pixel title, 6 pixels between and around cells.
  std::vector<cv::Mat> tiles;
  for (int i = 0; i < 5; ++i) tiles.emplace_back(30, 20, CV_8UC3, cv::Scalar(i * 40, 0, 0));
  const cv::Mat sheet = img::contact_sheet(tiles, 4, "title");
  REQUIRE(sheet.size() == cv::Size(4 * 26 + 6, 32 + 2 * 36 + 6));
  CHECK(sheet.at<cv::Vec3b>(32 + 15, 6 + 3 * 26 + 10) == cv::Vec3b(120, 0, 0));  // the fourth tile: row 0, column 3
  CHECK(sheet.at<cv::Vec3b>(32 + 36 + 15, 6 + 10) == cv::Vec3b(160, 0, 0));      // the fifth: row 1, column 0
  CHECK(sheet.at<cv::Vec3b>(32 + 36 + 15, 6 + 26 + 10) == cv::Vec3b(230, 230, 230));  // nothing beside it
  // Fewer tiles than columns: one row as wide as they are; none at all: the title alone.
  CHECK(img::contact_sheet({tiles[0], tiles[1]}, 4, "two").size() == cv::Size(2 * 26 + 6, 32 + 36 + 6));
  CHECK(img::contact_sheet({}, 4, "nothing").size() == cv::Size(320 + 12, 32 + 6));
}

TEST_CASE("gamma LUT values worked out by hand") {
  const cv::Mat dark = img::gamma_lut(0.5);  // 255 * (i/255)^2, truncated
  CHECK(int(dark.at<std::uint8_t>(0)) == 0);
  CHECK(int(dark.at<std::uint8_t>(128)) == 64);   // 64.25
  CHECK(int(dark.at<std::uint8_t>(200)) == 156);  // 156.86
  CHECK(int(dark.at<std::uint8_t>(255)) == 255);
  const cv::Mat bright = img::gamma_lut(2.0);     // 255 * (i/255)^0.5
  CHECK(int(bright.at<std::uint8_t>(128)) == 180); // 180.67
  CHECK_THROWS_AS(img::gamma_lut(0), tarmac::invalid_argument);
  const cv::Mat pixel(1, 1, CV_8UC3, cv::Scalar(128, 200, 255));
  CHECK(img::adjust_gamma(pixel).at<cv::Vec3b>(0, 0) == cv::Vec3b(64, 156, 255));
}

TEST_CASE("brighten_hsv adds to V and saturates, on known colours") {
  auto one = [](int b, int g, int r) { return cv::Mat(1, 1, CV_8UC3, cv::Scalar(b, g, r)); };
  CHECK(img::brighten_hsv(one(100, 100, 100)).at<cv::Vec3b>(0, 0) == cv::Vec3b(250, 250, 250));
  CHECK(img::brighten_hsv(one(200, 200, 200)).at<cv::Vec3b>(0, 0) == cv::Vec3b(255, 255, 255));
  CHECK(img::brighten_hsv(one(150, 0, 0)).at<cv::Vec3b>(0, 0) == cv::Vec3b(255, 0, 0));   // pure blue
  CHECK(img::brighten_hsv(one(0, 60, 0), 30).at<cv::Vec3b>(0, 0) == cv::Vec3b(0, 90, 0)); // pure green
  CHECK(img::brighten_hsv(one(12, 34, 56), 0).at<cv::Vec3b>(0, 0) == cv::Vec3b(12, 34, 56));
  CHECK_THROWS_AS(img::brighten_hsv(one(1, 1, 1), 300), tarmac::invalid_argument);
  CHECK_THROWS_AS(img::brighten_hsv(cv::Mat(2, 2, CV_8UC1)), tarmac::invalid_argument);
}

TEST_CASE("rtk_views: original, brighter, darker, each from the original") {
  cv::Mat frame(40, 60, CV_8UC3);
  cv::randu(frame, 20, 200);
  const auto views = img::rtk_views(frame);
  REQUIRE(views.size() == 3);
  CHECK(cv::norm(views[0], frame, cv::NORM_INF) == 0);
  CHECK(cv::norm(views[2], img::adjust_gamma(frame), cv::NORM_INF) == 0);
  CHECK(cv::mean(views[1])[0] > cv::mean(frame)[0]);
  CHECK(cv::mean(views[2])[0] < cv::mean(frame)[0]);
}

TEST_CASE("to_tensor: NHWC, BGR, [0, 1], resized bilinearly; batches filled in place") {
  const cv::Mat flat(7, 5, CV_8UC3, cv::Scalar(10, 20, 30));
  const auto t = img::to_tensor(flat);
  REQUIRE(t.shape() == std::array<std::size_t, 3>{128, 128, 3});
  CHECK(t(0, 0, 0) == doctest::Approx(10 / 255.0));
  CHECK(t(127, 127, 2) == doctest::Approx(30 / 255.0));

  cv::Mat halves(128, 128, CV_8UC3, cv::Scalar(0, 0, 0));
  halves(cv::Rect(64, 0, 64, 128)).setTo(cv::Scalar(255, 255, 255));
  halves.at<cv::Vec3b>(5, 3) = {255, 0, 0};  // one blue pixel: channel 0 is B
  const auto h = img::to_tensor(halves);
  CHECK(h(0, 0, 1) == 0.0f);
  CHECK(h(0, 127, 1) == 1.0f);
  CHECK(h(5, 3, 0) == 1.0f);
  CHECK(h(5, 3, 2) == 0.0f);

  xt::xtensor<float, 4> batch({4, 128, 128, 3});
  const float* before = batch.data();
  img::to_tensor_into(flat, batch, 3);
  img::to_tensor_into(halves, batch, 0);
  CHECK(batch.data() == before);
  CHECK(batch(3, 64, 64, 1) == doctest::Approx(20 / 255.0));
  CHECK(batch(0, 0, 127, 0) == 1.0f);
  CHECK_THROWS_AS(img::to_tensor_into(flat, batch, 4), tarmac::invalid_argument);
  CHECK_THROWS_AS(img::to_tensor_into(cv::Mat(3, 3, CV_8UC1), batch, 0), tarmac::invalid_argument);
  CHECK_THROWS_AS(img::to_tensor(flat, {0, 10}), tarmac::invalid_argument);
}

TEST_CASE("random augmentations are reproducible for a seed and keep size and type") {
  cv::Mat frame(60, 80, CV_8UC3);
  cv::randu(frame, 0, 255);
  const img::augmenter strong = img::augmenter::strong();
  img::random_engine a(7), b(7), c(8);
  const cv::Mat x = strong(frame, a), y = strong(frame, b), z = strong(frame, c);
  CHECK(x.size() == frame.size());
  CHECK(x.type() == CV_8UC3);
  CHECK(cv::norm(x, y, cv::NORM_INF) == 0);
  CHECK(cv::norm(x, z, cv::NORM_INF) > 0);

  img::random_engine rng(1);
  cv::Mat mirrored;
  cv::flip(frame, mirrored, 1);
  CHECK(cv::norm(img::random_flip{1.0}(frame, rng), mirrored, cv::NORM_INF) == 0);
  CHECK(cv::norm(img::random_flip{0.0}(frame, rng), frame, cv::NORM_INF) == 0);
  CHECK(cv::norm(img::random_crop_scale{1.0}(frame, rng), frame, cv::NORM_INF) == 0);
  CHECK_THROWS_AS(img::random_crop_scale{0.0}(frame, rng), tarmac::invalid_argument);
  const cv::Mat jittered = img::random_hsv_jitter{20, 0.5, 0.5}(frame, rng);
  CHECK(cv::norm(jittered, frame, cv::NORM_L1) > 0);
}

TEST_CASE("real RTK, KITTI and CaRINA frames: ROI and tensors (skipped without ../shared)") {
  const auto sample = rtk_sample();
  if (!sample) return;
  const std::filesystem::path& root = *sample;
  std::size_t frames = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (entry.path().extension() != ".jpg") continue;
    const cv::Mat frame = cv::imread(entry.path().string());
    REQUIRE_MESSAGE(!frame.empty(), entry.path());
    const cv::Mat roi = img::crop_roi(frame);
    CHECK(roi.rows == frame.rows - 50 - (int(std::nearbyint(frame.rows * 0.5)) - 5));
    const auto t = img::to_tensor(roi);
    CHECK(xt::amin(t)() >= 0.0f);
    CHECK(xt::amax(t)() <= 1.0f);
    ++frames;
  }
  CHECK(frames == 98);
}
