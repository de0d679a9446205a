// Model files: exact round trips in every format, and a clear format_error (never a crash, never
// a half-loaded network) for files of another architecture, version, class count, or damaged ones.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <xtensor/xrandom.hpp>

#include <tarmac/nn.hpp>
#include <tarmac/surface/model_file.hpp>

#include "../failing_disk.hpp"

namespace fs = std::filesystem;
using namespace tarmac;
using namespace tarmac::nn;

namespace {

using small_net = network<input<8, 8, 3>, conv2d<4, 3>, maxpool2d<2>, relu, flatten, dense<5>, relu, dense<3>>;
using other_filters = network<input<8, 8, 3>, conv2d<6, 3>, maxpool2d<2>, relu, flatten, dense<5>, relu, dense<3>>;
using two_classes = network<input<8, 8, 3>, conv2d<4, 3>, maxpool2d<2>, relu, flatten, dense<5>, relu, dense<2>>;

struct temp_folder {
  fs::path path = fs::temp_directory_path() / ("tarmac-model-test-" + std::to_string(std::random_device{}()));
  temp_folder() { fs::create_directories(path); }
  ~temp_folder() { fs::remove_all(path); }
};

surface::model_metadata metadata() {
  return {{{"01asphalt", "asphalt"}, {"02paved", "paved"}, {"03unpaved", "unpaved"}}, {0.5, -5, 50}, "trained: 3 epochs, lr 1e-4 \"quoted\" [x]"};
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

template <class Net>
std::string load_error(const fs::path& p, Net& net) {
  const std::vector<float> before(net.parameters().begin(), net.parameters().end());
  try {
    surface::load_model(p, net);
  } catch (const format_error& e) {
    CHECK(std::equal(before.begin(), before.end(), net.parameters().begin()));  // untouched
    return e.what();
  }
  return "no format_error";
}

}  // namespace

TEST_CASE("save then load gives the same parameters, classes and ROI in YAML, JSON and gzip") {
  temp_folder dir;
  small_net net({.threads = 2, .init = init_scheme::he, .seed = 3});
  xt::random::seed(1);
  const xt::xtensor<float, 4> images = xt::random::rand<float>({4, 8, 8, 3});
  const auto expected = net.predict(images);
  for (const char* name : {"m.yml", "m.yml.gz", "m.json", "m.json.gz", "m.yaml"}) {
    CAPTURE(name);
    surface::save_model(dir.path / name, net, metadata());
    small_net loaded({.threads = 1, .seed = 99});
    const surface::model_metadata meta = surface::load_model(dir.path / name, loaded);
    CHECK(std::equal(net.parameters().begin(), net.parameters().end(), loaded.parameters().begin()));
    CHECK(meta.classes == metadata().classes);
    CHECK(meta.roi.top_offset == -5);
    CHECK(meta.roi.bottom_margin == 50);
    CHECK(meta.notes == "trained: 3 epochs, lr 1e-4 \"quoted\" [x]");
    CHECK(xt::allclose(loaded.predict(images), expected, 0, 0));
  }
  CHECK(read(dir.path / "m.yml.gz").size() < read(dir.path / "m.yml").size() / 2);
  for (const auto& entry : fs::directory_iterator(dir.path))  // no temporaries left behind
    CHECK(entry.path().filename().string().find(".tmp-") == std::string::npos);
}

TEST_CASE("a file of another architecture, class count or version is a format_error saying what differs") {
  temp_folder dir;
  small_net net({.threads = 1});
  surface::save_model(dir.path / "m.yml", net, metadata());
  other_filters other({.threads = 1});
  CHECK(load_error(dir.path / "m.yml", other) ==
        "model file " + (dir.path / "m.yml").string() +
            ": layer 0 is conv2d<4, 3> -> 8x8x4, expected conv2d<6, 3> -> 8x8x6");
  two_classes two({.threads = 1});
  CHECK(load_error(dir.path / "m.yml", two).find("layer 6 is dense<3> -> 1x1x3, expected dense<2> -> 1x1x2") !=
        std::string::npos);
  std::string text = read(dir.path / "m.yml");
  write(dir.path / "v2.yml", std::string(text).replace(text.find("version: 1"), 10, "version: 2"));
  CHECK(load_error(dir.path / "v2.yml", net).ends_with("format version 2, this build reads version 1"));
  write(dir.path / "input.yml", std::string(text).replace(text.find("input: [ 8, 8, 3 ]"), 18, "input: [ 9, 8, 3 ]"));
  CHECK(load_error(dir.path / "input.yml", net).ends_with("input is [9, 8, 3], the network takes [8, 8, 3]"));
  const std::size_t data = text.rfind("data: [ ") + 8;
  write(dir.path / "nan.yml", std::string(text).insert(data, "1.5, "));
  CHECK(load_error(dir.path / "nan.yml", net).find("values, expected") != std::string::npos);
  write(dir.path / "nan2.yml", std::string(text).replace(data, text.find(',', data) - data, ".nan"));
  CHECK(load_error(dir.path / "nan2.yml", net).find("is not finite") != std::string::npos);
  write(dir.path / "other.yml", "%YAML:1.0\n---\nanswer: 42\n");
  CHECK(load_error(dir.path / "other.yml", net).ends_with("not a tarmac model file ('format: tarmac-model' is missing)"));
}

TEST_CASE("truncated, corrupt and missing files give typed errors, never a crash") {
  temp_folder dir;
  small_net net({.threads = 1});
  for (const char* name : {"m.yml", "m.yml.gz", "m.json"}) {
    CAPTURE(name);
    surface::save_model(dir.path / name, net, metadata());
    const std::string bytes = read(dir.path / name);
    for (const double keep : {0.0, 0.1, 0.5, 0.9, 0.999}) {
      CAPTURE(keep);
      const fs::path cut = dir.path / (std::string("cut-") + name);
      write(cut, bytes.substr(0, std::size_t(double(bytes.size()) * keep)));
      // Either a format_error naming the file, or (a cut that lost only closing brackets, which
      // OpenCV's parser tolerates) exactly the saved parameters.
      small_net fresh({.threads = 1, .seed = 5});
      const std::string error = load_error(cut, fresh);
      if (error == "no format_error")
        CHECK(std::equal(net.parameters().begin(), net.parameters().end(), fresh.parameters().begin()));
      else
        CHECK(error.starts_with("model file " + cut.string() + ": "));
    }
    std::string flipped = bytes;
    for (std::size_t i = 7; i < flipped.size(); i += 97) flipped[i] = char(flipped[i] ^ 0x5a);
    write(dir.path / (std::string("flip-") + name), flipped);
    CHECK(load_error(dir.path / (std::string("flip-") + name), net).starts_with("model file"));
  }
  // Inputs that made OpenCV's YAML parser loop forever or that broke an earlier checker (found by
  // tests/surface/fuzz_model_loader.cpp): the text check refuses them before OpenCV sees them.
  for (const char* seed : {"regression-opencv-yaml-hang.yml", "regression-opencv-yaml-hang-2.yml",
                           "regression-opencv-yaml-hang-3.yml", "regression-dash-space.yml"}) {
    CAPTURE(seed);
    fs::copy_file(fs::path(TARMAC_FUZZ_SEEDS) / seed, dir.path / seed);
    CHECK(load_error(dir.path / seed, net).starts_with("model file"));
  }
  CHECK_THROWS_AS(surface::load_model(dir.path / "missing.yml", net), io_error);
  CHECK_THROWS_AS(surface::save_model(dir.path / "m.txt", net, metadata()), invalid_argument);
  CHECK_THROWS_AS(surface::save_model(dir.path / "no-such-folder" / "m.yml", net, metadata()), io_error);
}

TEST_CASE("a failed save leaves the existing file as it was") {
  temp_folder dir;
  small_net net({.threads = 1});
  write(dir.path / "m.yml", "previous");
  auto meta = metadata();
  meta.classes.pop_back();
  CHECK_THROWS_AS(surface::save_model(dir.path / "m.yml", net, meta), invalid_argument);
  CHECK(read(dir.path / "m.yml") == "previous");
  surface::save_model(dir.path / "m.yml", net, metadata());
  CHECK(read(dir.path / "m.yml") != "previous");
}

TEST_CASE("a save that runs out of space keeps the existing model and says why") {
  temp_folder dir;
  small_net net({.threads = 1});
  surface::save_model(dir.path / "m.yml.gz", net, metadata());
  const std::string before = read(dir.path / "m.yml.gz");
  {
    file_size_limit limit(before.size() / 2);
    CHECK_THROWS_WITH_AS(surface::save_model(dir.path / "m.yml.gz", net, metadata()), doctest::Contains("file too large"), io_error);
  }
  CHECK(read(dir.path / "m.yml.gz") == before);
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator{}) == 1);
  small_filesystem disk(8);
  if (!disk.mounted) return;
  write(disk.path / "m.yml", "the user's model");
  CHECK_THROWS_WITH_AS(surface::save_model(disk.path / "m.yml", net, metadata()), doctest::Contains("disk full"), io_error);
  CHECK(read(disk.path / "m.yml") == "the user's model");
}

TEST_CASE("documented keys are honoured or refused: scale, resize, class ids, an ROI that fits no frame") {
  temp_folder dir;
  small_net net({.threads = 1});
  surface::save_model(dir.path / "m.yml", net, metadata());
  const std::string text = read(dir.path / "m.yml");
  auto edited = [&](const std::string& from, const std::string& to) {
    const std::size_t at = text.find(from);
    REQUIRE(at != std::string::npos);
    write(dir.path / "edited.yml", std::string(text).replace(at, from.size(), to));
    return load_error(dir.path / "edited.yml", net);
  };
  CHECK(edited("scale: 3.9215686274509803e-03", "scale: 1.").ends_with("scale is 1.000000; this build scales 8-bit pixels by 1/255 (0.00392157) only"));
  CHECK(edited("scale: 3.9215686274509803e-03\n", "").ends_with("'scale' is missing"));
  CHECK(edited("resize: bilinear", "resize: nearest").ends_with("resize is 'nearest'; this build reads only 'bilinear'"));
  CHECK(edited("id: \"02paved\"", "id: \"01asphalt\"").ends_with("classes 0 and 1 have the same id '01asphalt'"));
  CHECK(edited("id: \"02paved\"", "id: \"\"").ends_with("class 1 has an empty id"));
  CHECK(edited("top_fraction: 5.0000000000000000e-01", "top_fraction: 1.").ends_with(
      "its roi (rows [round(h*1)-5, round(h*1)-50), columns [round(w*0), round(w*1))) selects no part of any frame"));
  CHECK(edited("left_fraction: 0.", "left_fraction: 1.").ends_with("selects no part of any frame"));
  auto meta = metadata();
  meta.classes[2].id = meta.classes[0].id;
  CHECK_THROWS_WITH_AS(surface::save_model(dir.path / "dup.yml", net, meta), doctest::Contains("the same id"), invalid_argument);
}

TEST_CASE("the ROI's fractions round-trip; files written before them load as the RTK rule's full width") {
  temp_folder dir;
  small_net net({.threads = 1});
  auto meta = metadata();
  meta.roi = image::roi_rule::parse("0.55:0.95,0.1:0.8");
  surface::save_model(dir.path / "m.yml", net, meta);
  small_net loaded({.threads = 1});
  CHECK(surface::load_model(dir.path / "m.yml", loaded).roi == meta.roi);
  // Version-1 files of earlier builds have only top_fraction, top_offset and bottom_margin.
  surface::save_model(dir.path / "old.yml", net, metadata());
  std::string text = read(dir.path / "old.yml");
  for (const char* key : {"bottom_fraction", "left_fraction", "right_fraction"}) {
    const std::size_t at = text.find(std::string("   ") + key);
    REQUIRE(at != std::string::npos);
    text.erase(at, text.find('\n', at) - at + 1);
  }
  write(dir.path / "old.yml", text);
  CHECK(surface::load_model(dir.path / "old.yml", loaded).roi == image::roi_rule::rtk());
}

TEST_CASE("transfer_parameters copies the layers two networks share from the input on, and no more") {
  temp_folder dir;
  small_net three({.threads = 1, .init = init_scheme::he, .seed = 3});
  surface::save_model(dir.path / "three.yml", three, metadata());
  const surface::stored_model stored = surface::read_stored_model(dir.path / "three.yml");
  CHECK(stored.meta.classes == metadata().classes);
  CHECK(stored.architecture == small_net::architecture());
  CHECK(stored.tensors.size() == 6);

  two_classes two({.threads = 1, .init = init_scheme::he, .seed = 9});
  const std::vector<float> fresh(two.parameters().begin(), two.parameters().end());
  CHECK(surface::transfer_parameters(stored, two) == std::vector<std::size_t>{0, 4});  // conv and dense<5>, not dense<2>
  CHECK(std::equal(three.weights<0>().begin(), three.weights<0>().end(), two.weights<0>().begin()));
  CHECK(std::equal(three.biases<4>().begin(), three.biases<4>().end(), two.biases<4>().begin()));
  CHECK(std::equal(two.weights<6>().begin(), two.weights<6>().end(), fresh.begin() + (two.weights<6>().data() - two.parameters().data())));
  // Up to a layer: the new head of a network with the same classes.
  small_net again({.threads = 1, .seed = 4});
  CHECK(surface::transfer_parameters(stored, again, small_net::layer_count - 1) == std::vector<std::size_t>{0, 4});
  CHECK(surface::transfer_parameters(stored, again) == std::vector<std::size_t>{0, 4, 6});
  // A first layer that differs: nothing is shared, however alike the rest.
  other_filters other({.threads = 1});
  CHECK(surface::transfer_parameters(stored, other).empty());
  using wider_input = network<input<9, 8, 3>, conv2d<4, 3>, maxpool2d<2>, relu, flatten, dense<5>, relu, dense<3>>;
  wider_input wide({.threads = 1});
  CHECK_THROWS_WITH_AS(surface::transfer_parameters(stored, wide), doctest::Contains("input is [8, 8, 3]"), invalid_argument);
  write(dir.path / "junk.yml", "%YAML:1.0\n---\nformat: tarmac-model\n");
  CHECK_THROWS_AS(surface::read_stored_model(dir.path / "junk.yml"), format_error);
  CHECK_THROWS_AS(surface::read_stored_model(dir.path / "missing.yml"), io_error);
}
