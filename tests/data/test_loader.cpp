#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include <opencv2/imgcodecs.hpp>

#include <tarmac/data/loader.hpp>
#include <tarmac/image/tensor.hpp>

namespace fs = std::filesystem;
namespace data = tarmac::data;

namespace {
// n frames of 352x288 (the RTK camera); frame i is filled with grey level 10 * i + 5.
std::vector<data::sample> make_frames(const char* name, std::size_t n, std::size_t classes) {
  const fs::path root = fs::temp_directory_path() / name;
  fs::remove_all(root);
  fs::create_directories(root);
  std::vector<data::sample> samples;
  for (std::size_t i = 0; i < n; ++i) {
    const fs::path p = root / ("f" + std::to_string(i) + ".png");
    const int level = int(10 * i + 5);
    cv::imwrite(p.string(), cv::Mat(288, 352, CV_8UC3, cv::Scalar(level, level, level)));
    samples.push_back({p, i % classes});
  }
  return samples;
}

std::vector<std::size_t> all(std::size_t n) {
  std::vector<std::size_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = i;
  return v;
}

// Each row's grey level identifies its frame: (level*255 - 5) / 10.
std::vector<std::size_t> frames_seen(data::batch_loader& loader) {
  std::vector<std::size_t> seen;
  while (const data::batch* b = loader.next())
    for (std::size_t r = 0; r < b->size; ++r) seen.push_back(std::size_t(std::lround((b->images(r, 5, 5, 1) * 255 - 5) / 10)));
  return seen;
}
}  // namespace

TEST_CASE("batch_loader delivers every item once, in batches, with its label") {
  const auto samples = make_frames("tarmac_test_loader", 18, 3);
  data::loader_options o;
  o.batch_size = 4;
  o.threads = 2;
  data::batch_loader loader(samples, all(18), o);
  CHECK(loader.batches() == 5);
  std::size_t rows = 0, batches = 0;
  std::map<std::size_t, std::size_t> per_frame;
  while (const data::batch* b = loader.next()) {
    ++batches;
    CHECK(b->size == (batches < 5 ? 4u : 2u));
    CHECK(b->images.shape()[0] == 4);
    for (std::size_t r = 0; r < b->size; ++r) {
      const auto frame = std::size_t(std::lround((b->images(r, 0, 0, 0) * 255 - 5) / 10));
      CHECK(b->labels[r] == frame % 3);
      ++per_frame[frame];
      ++rows;
    }
  }
  CHECK(rows == 18);
  CHECK(per_frame.size() == 18);
  CHECK(loader.next() == nullptr);
}

TEST_CASE("the order is seeded and per epoch, and independent of the thread count") {
  const auto samples = make_frames("tarmac_test_loader_order", 20, 2);
  data::loader_options o;
  o.batch_size = 3;
  o.seed = 11;
  o.threads = 1;
  data::batch_loader a(samples, all(20), o, 0);
  o.threads = 3;
  data::batch_loader b(samples, all(20), o, 0), c(samples, all(20), o, 1);
  const auto sa = frames_seen(a), sb = frames_seen(b), sc = frames_seen(c);
  CHECK(sa == sb);
  CHECK(sa != sc);
  o.shuffle = false;
  data::batch_loader plain(samples, all(20), o);
  CHECK(frames_seen(plain) == all(20));
}

TEST_CASE("rtk_three gives original, brighter and darker views of each sample") {
  const auto samples = make_frames("tarmac_test_loader_views", 4, 2);
  data::loader_options o;
  o.batch_size = 6;
  o.shuffle = false;
  o.view_mode = data::views::rtk_three;
  data::batch_loader loader(samples, all(4), o);
  CHECK(loader.items() == 12);
  const data::batch* b = loader.next();
  REQUIRE(b != nullptr);
  REQUIRE(b->size == 6);
  for (std::size_t s = 0; s < 2; ++s) {
    const float original = b->images(3 * s, 0, 0, 0), brighter = b->images(3 * s + 1, 0, 0, 0),
                darker = b->images(3 * s + 2, 0, 0, 0);
    CHECK(brighter > original);
    CHECK(darker < original);
    CHECK(b->labels[3 * s] == b->labels[3 * s + 2]);
  }
}

TEST_CASE("unreadable or too small frames are reported and left out, not fatal") {
  auto samples = make_frames("tarmac_test_loader_bad", 5, 1);
  const fs::path dir = samples[0].path.parent_path();
  std::ofstream(dir / "broken.png") << "\x89PNG\r\n\x1a\n truncated";
  cv::imwrite((dir / "tiny.png").string(), cv::Mat(40, 40, CV_8UC3, cv::Scalar(1, 1, 1)));
  samples.push_back({dir / "broken.png", 0});
  samples.push_back({dir / "tiny.png", 0});
  samples.push_back({dir / "missing.png", 0});
  data::loader_options o;
  o.batch_size = 3;
  data::batch_loader loader(samples, all(samples.size()), o);
  CHECK(frames_seen(loader).size() == 5);
  const auto failures = loader.failures();
  REQUIRE(failures.size() == 3);
  bool tiny_reported = false;
  for (const auto& f : failures)
    tiny_reported = tiny_reported || (f.path.filename() == "tiny.png" && f.reason.find("40x40") != std::string::npos);
  CHECK(tiny_reported);
  for (const auto& f : failures) CHECK(f.too_small_for_roi == (f.path.filename() == "tiny.png"));
}

TEST_CASE("a batch whose every file is unusable is passed over: no caller ever sees an empty batch") {
  auto samples = make_frames("tarmac_test_loader_empty_batch", 6, 2);
  const fs::path dir = samples[0].path.parent_path();
  std::vector<unsigned char> jpeg;
  cv::imencode(".jpg", cv::Mat(288, 352, CV_8UC3, cv::Scalar(9, 9, 9)), jpeg);
  std::ofstream(dir / "cut.jpg", std::ios::binary).write(reinterpret_cast<const char*>(jpeg.data()), std::streamsize(jpeg.size() / 2));
  std::ofstream(dir / "junk.png") << "junk";
  // Items in order, batches of two: the second batch is the two bad files.
  std::vector<data::sample> items = {samples[0], samples[1], {dir / "cut.jpg", 0}, {dir / "junk.png", 1}, samples[2], samples[3]};
  data::loader_options o;
  o.batch_size = 2;
  o.shuffle = false;
  data::batch_loader loader(items, all(items.size()), o);
  std::size_t batches = 0, rows = 0;
  while (const data::batch* b = loader.next()) {
    CHECK(b->size > 0);
    ++batches, rows += b->size;
  }
  CHECK(batches == 2);
  CHECK(rows == 4);
  const auto failures = loader.failures();
  REQUIRE(failures.size() == 2);
  CHECK(failures[0].reason.find("truncated JPEG") != std::string::npos);
}

TEST_CASE("batch_loader rejects bad options and items") {
  const auto samples = make_frames("tarmac_test_loader_args", 2, 1);
  data::loader_options o;
  CHECK_THROWS_AS(data::batch_loader(samples, {0, 2}, o), tarmac::invalid_argument);
  o.batch_size = 0;
  CHECK_THROWS_AS(data::batch_loader(samples, {0}, o), tarmac::invalid_argument);
}

TEST_CASE("a frame_cache gives the same batches as decoding every time, counts its hits and misses, and keeps failures") {
  auto samples = make_frames("tarmac_test_loader_cache", 7, 2);
  std::ofstream(samples[0].path.parent_path() / "junk.png") << "junk";
  samples.push_back({samples[0].path.parent_path() / "junk.png", 1});
  data::loader_options o;
  o.batch_size = 3;
  o.augment = tarmac::image::augmenter::strong();
  data::frame_cache cache(samples.size(), o.roi, o.input);
  for (std::uint64_t epoch = 1; epoch <= 2; ++epoch) {
    data::batch_loader plain(samples, all(samples.size()), o, epoch);
    data::loader_options cached_options = o;
    cached_options.cache = &cache;
    data::batch_loader cached(samples, all(samples.size()), cached_options, epoch);
    while (const data::batch* a = plain.next()) {
      const data::batch* b = cached.next();
      REQUIRE(b != nullptr);
      CHECK(a->samples == b->samples);
      CHECK(xt::view(a->images, xt::range(0, a->size)) == xt::view(b->images, xt::range(0, b->size)));
    }
    CHECK(cached.next() == nullptr);
    REQUIRE(cached.failures().size() == 1);
    CHECK(cached.failures()[0].reason == plain.failures()[0].reason);
    CHECK(cached.times().decode > 0);
    CHECK(cached.times().augment > 0);
    // Every frame (the junk file's failure too) is decoded in the first epoch, read from memory in the second.
    CHECK(cache.stats().misses == 8);
    CHECK(cache.stats().hits == 8 * (epoch - 1));
  }
  const std::size_t frame = 128 * 128 * 3;  // frames are kept at the input size
  CHECK(data::frame_cache::frame_bytes(o.input) == frame);
  CHECK(cache.bytes() == 7 * frame);
  CHECK(cache.stats().budget == data::frame_cache::default_budget);
  data::frame_cache small(samples.size(), o.roi, o.input, 2 * frame);  // room for two
  data::loader_options limited = o;
  limited.cache = &small;
  for (std::uint64_t epoch = 1; epoch <= 2; ++epoch) {
    data::batch_loader loader(samples, all(samples.size()), limited, epoch);
    while (loader.next()) {
    }
  }
  CHECK(small.bytes() == 2 * frame);
  CHECK(small.stats().hits == 3);  // two frames and the junk file's failure, in the second epoch
  CHECK(small.stats().misses == 13);
  o.cache = &cache;
  o.input = {64, 64};
  CHECK_THROWS_WITH_AS(data::batch_loader(samples, all(samples.size()), o), doctest::Contains("frames of 128x128, the input is 64x64"),
                       tarmac::invalid_argument);
  o.input = {};
  o.roi = tarmac::image::roi_rule::full();
  CHECK_THROWS_WITH_AS(data::batch_loader(samples, all(samples.size()), o), doctest::Contains("of another rule"),
                       tarmac::invalid_argument);
}

TEST_CASE("frame_cache: frame sizes and budgets that cannot be are refused") {
  CHECK(data::frame_cache::bytes_for(1000, {128, 128}) == 1000 * 49152);
  CHECK(data::frame_cache::bytes_for(0, {128, 128}) == 0);
  CHECK_THROWS_WITH_AS(data::frame_cache::bytes_for(std::size_t(-1) / 1000, {128, 128}), doctest::Contains("overflow a size_t"),
                       tarmac::invalid_argument);
  CHECK_THROWS_WITH_AS(data::frame_cache::frame_bytes({0, 128}), doctest::Contains("must be positive, got 0x128"),
                       tarmac::invalid_argument);
  CHECK_THROWS_AS(data::frame_cache(4, {}, {128, -1}), tarmac::invalid_argument);
  data::frame_cache cache(2, {}, {128, 128});
  CHECK_THROWS_WITH_AS(cache.get(2, "x.png"), doctest::Contains("sample 2 is past its size"), tarmac::invalid_argument);
}

TEST_CASE("batch_loader: a frame without augmentation is the tensor inference makes of it") {
  const auto samples = make_frames("tarmac_test_loader_tensor", 1, 1);
  cv::Mat frame(288, 352, CV_8UC3);
  cv::randu(frame, 0, 256);
  cv::imwrite(samples[0].path.string(), frame);
  data::loader_options o;
  o.batch_size = 1;
  data::batch_loader loader(samples, {0}, o);
  const data::batch* b = loader.next();
  REQUIRE(b != nullptr);
  const auto expected = tarmac::image::to_tensor(frame(o.roi.rect(frame.size())), o.input);
  CHECK(xt::view(b->images, 0) == expected);
}
