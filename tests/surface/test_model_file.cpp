// Model files: exact round trips in every format, version-1 files still loading, and a clear
// format_error (never a crash, never a half-loaded network) for files of another architecture,
// version or class count, or damaged ones: a truncated payload, a wrong checksum, tensors placed
// past the payload's end, shapes too large for any file, values that are not finite.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <xtensor/xrandom.hpp>

#include <tarmac/nn.hpp>
#include <tarmac/surface/model_file.hpp>

#include "../failing_disk.hpp"
#include "../temp_folder.hpp"

namespace fs = std::filesystem;
using namespace tarmac;
using namespace tarmac::nn;

namespace {

using small_net = network<input<8, 8, 3>, conv2d<4, 3>, maxpool2d<2>, relu, flatten, dense<5>, relu, dense<3>>;
using other_filters = network<input<8, 8, 3>, conv2d<6, 3>, maxpool2d<2>, relu, flatten, dense<5>, relu, dense<3>>;
using two_classes = network<input<8, 8, 3>, conv2d<4, 3>, maxpool2d<2>, relu, flatten, dense<5>, relu, dense<2>>;

surface::model_metadata metadata() {
  return {{{"01asphalt", "asphalt"}, {"02paved", "paved"}, {"03unpaved", "unpaved"}}, {0.5, -5, 50}, "trained: 3 epochs, lr 1e-4 \"quoted\" [x]"};
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, from);
  return text.replace(at, from.size(), to);
}

// A version-2 file's parts (docs/model-format.md): the header text up to the first NUL, NUL
// padding to the next multiple of 64 bytes, the payload.
struct file_parts {
  std::string header, payload;
};

file_parts split(const std::string& file) {
  const std::size_t nul = file.find('\0');
  REQUIRE(nul != std::string::npos);
  return {file.substr(0, nul), file.substr((nul / 64 + 1) * 64)};
}

std::string join(const file_parts& parts) {
  std::string file = parts.header;
  file.resize((file.size() / 64 + 1) * 64, '\0');
  return file + parts.payload;
}

// The file with `from` replaced by `to` in its header, padded again.
std::string edit_header(const std::string& file, const std::string& from, const std::string& to) {
  file_parts parts = split(file);
  parts.header = replaced(parts.header, from, to);
  return join(parts);
}

// The file with another payload, and the header's crc32 made to match it.
std::string with_payload(const std::string& file, std::string payload) {
  file_parts parts = split(file);
  const std::size_t at = parts.header.find_first_of("\"0123456789abcdef", parts.header.find(':', parts.header.find("crc32")));
  const std::size_t end = parts.header[at] == '"' ? parts.header.find('"', at + 1) + 1 : at + 8;
  parts.header.replace(at, end - at, "\"" + surface::detail::hex32(surface::detail::crc32_of(payload)) + "\"");  // quoted: it may start with a digit
  parts.payload = std::move(payload);
  return join(parts);
}

std::string float_bytes(float v) { return std::string(reinterpret_cast<const char*>(&v), sizeof v); }

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
    small_net loaded({.threads = 1, .init = init_scheme::zeros});  // what load_classifier constructs: nothing drawn
    CHECK(std::all_of(loaded.parameters().begin(), loaded.parameters().end(), [](float v) { return v == 0; }));
    const surface::model_metadata meta = surface::load_model(dir.path / name, loaded);
    CHECK(std::equal(net.parameters().begin(), net.parameters().end(), loaded.parameters().begin()));
    CHECK(meta.classes == metadata().classes);
    CHECK(meta.roi.top_offset == -5);
    CHECK(meta.roi.bottom_margin == 50);
    CHECK(meta.notes == "trained: 3 epochs, lr 1e-4 \"quoted\" [x]");
    CHECK(xt::allclose(loaded.predict(images), expected, 0, 0));
  }
  // Binary float32 values: the file is the parameters plus a header of a few kB, and a .gz name
  // gives a gzip file of the same bytes (stored: float32 values hardly compress).
  const std::string plain = read(dir.path / "m.yml");
  CHECK(plain.size() < small_net::parameter_count * 4 + 4096);
  CHECK(gunzip(read(dir.path / "m.yml.gz"), plain.size(), "") == plain);
  CHECK(plain.starts_with("%YAML:1.0\n---\nformat: tarmac-model\nversion: 2\n"));
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
  const std::string file = read(dir.path / "m.yml");
  write_file(dir.path / "v3.yml", edit_header(file, "version: 2", "version: 3"));
  CHECK(load_error(dir.path / "v3.yml", net).ends_with("format version 3, this build reads versions 1 to 2"));
  write_file(dir.path / "input.yml", edit_header(file, "input: [ 8, 8, 3 ]", "input: [ 9, 8, 3 ]"));
  CHECK(load_error(dir.path / "input.yml", net).ends_with("input is [9, 8, 3], the network takes [8, 8, 3]"));
  write_file(dir.path / "other.yml", "%YAML:1.0\n---\nanswer: 42\n");
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
      write_file(cut, bytes.substr(0, std::size_t(double(bytes.size()) * keep)));
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
    write_file(dir.path / (std::string("flip-") + name), flipped);
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
  write_file(dir.path / "m.yml", "previous");
  auto meta = metadata();
  meta.classes.pop_back();
  CHECK_THROWS_AS(surface::save_model(dir.path / "m.yml", net, meta), invalid_argument);
  CHECK(read(dir.path / "m.yml") == "previous");
  surface::save_model(dir.path / "m.yml", net, metadata());
  CHECK(read(dir.path / "m.yml") != "previous");
}

TEST_CASE("a save that runs out of space keeps the existing model and says why") {
  temp_folder dir;
  using larger_net = network<input<16, 16, 3>, conv2d<8, 3>, maxpool2d<2>, relu, flatten, dense<16>, relu, dense<3>>;
  larger_net net({.threads = 1});  // its file (33 kB) does not fit the 8 kB disk below
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
  write_file(disk.path / "m.yml", "the user's model");
  CHECK_THROWS_WITH_AS(surface::save_model(disk.path / "m.yml", net, metadata()), doctest::Contains("disk full"), io_error);
  CHECK(read(disk.path / "m.yml") == "the user's model");
}

TEST_CASE("documented keys are honoured or refused: scale, resize, class ids, an ROI that fits no frame") {
  temp_folder dir;
  small_net net({.threads = 1});
  surface::save_model(dir.path / "m.yml", net, metadata());
  const std::string file = read(dir.path / "m.yml");
  auto edited = [&](const std::string& from, const std::string& to) {
    write_file(dir.path / "edited.yml", edit_header(file, from, to));
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
  std::string text = read(fs::path(TARMAC_MODEL_V1) / "small.yml");
  for (const char* key : {"bottom_fraction", "left_fraction", "right_fraction"}) {
    const std::size_t at = text.find(std::string("   ") + key);
    REQUIRE(at != std::string::npos);
    text.erase(at, text.find('\n', at) - at + 1);
  }
  write_file(dir.path / "old.yml", text);
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
  write_file(dir.path / "junk.yml", "%YAML:1.0\n---\nformat: tarmac-model\n");
  CHECK_THROWS_AS(surface::read_stored_model(dir.path / "junk.yml"), format_error);
  CHECK_THROWS_AS(surface::read_stored_model(dir.path / "missing.yml"), io_error);
}

TEST_CASE("version-1 files (decimal values in the text) still load, and save again as version 2") {
  // Written by the version-1 writer (commit 0b2ad67) from small_net, He initialisation, seed 3.
  const fs::path v1 = TARMAC_MODEL_V1;
  small_net yml({.threads = 1}), gz({.threads = 1, .seed = 2}), json({.threads = 1, .seed = 4});
  const surface::model_metadata meta = surface::load_model(v1 / "small.yml", yml);
  surface::load_model(v1 / "small.yml.gz", gz);
  surface::load_model(v1 / "small.json", json);
  CHECK(meta.classes == metadata().classes);
  CHECK(meta.notes == "version-1 fixture");
  CHECK(std::equal(yml.parameters().begin(), yml.parameters().end(), gz.parameters().begin()));
  CHECK(std::equal(yml.parameters().begin(), yml.parameters().end(), json.parameters().begin()));
  const std::string text = read(v1 / "small.yml");
  const std::size_t first = text.find("data: [ ") + 8;
  CHECK(yml.weights<0>()[0] == std::strtof(text.c_str() + first, nullptr));
  CHECK(surface::read_stored_model(v1 / "small.json").tensors.back().data.size() == 3);

  temp_folder dir;
  surface::save_model(dir.path / "m.yml", yml, meta);
  small_net again({.threads = 1, .seed = 5});
  surface::load_model(dir.path / "m.yml", again);
  CHECK(std::equal(yml.parameters().begin(), yml.parameters().end(), again.parameters().begin()));

  // What version 1 checked stays checked: the value count of each tensor, finite values.
  small_net net({.threads = 1});
  const std::size_t data = text.rfind("data: [ ") + 8;
  write_file(dir.path / "extra.yml", std::string(text).insert(data, "1.5, "));
  CHECK(load_error(dir.path / "extra.yml", net).ends_with("parameter 5 has 4 values, expected 3 for its shape [3]"));
  write_file(dir.path / "nan.yml", std::string(text).replace(data, text.find(',', data) - data, ".nan"));
  CHECK(load_error(dir.path / "nan.yml", net).ends_with("parameter 5 value 0 is not finite"));
  write_file(dir.path / "nul.yml", text + std::string(64, '\0'));
  CHECK(load_error(dir.path / "nul.yml", net).find("a version-1 file has no binary part") != std::string::npos);
}

TEST_CASE("a damaged payload, or a header that places tensors outside it, is a format_error naming the file; the network is untouched") {
  temp_folder dir;
  small_net saved({.threads = 1, .init = init_scheme::he, .seed = 3});
  for (const char* name : {"m.yml", "m.json"}) {
    CAPTURE(name);
    surface::save_model(dir.path / name, saved, metadata());
    const std::string file = read(dir.path / name);
    const file_parts parts = split(file);
    const bool json = std::string(name).ends_with(".json");
    const fs::path bad = dir.path / (std::string("bad") + (json ? ".json" : ".yml"));
    const std::string prefix = "model file " + bad.string() + ": ";
    small_net net({.threads = 1, .seed = 8});
    auto error = [&](const std::string& bytes) {
      write_file(bad, bytes);
      const std::string e = load_error(bad, net);
      CHECK(e.starts_with(prefix));
      CHECK_THROWS_AS(surface::read_stored_model(bad), format_error);
      return e.substr(std::min(e.size(), prefix.size()));
    };
    auto quoted = [&](const std::string& v) { return json ? "\"" + v + "\"" : v; };
    auto key = [&](const std::string& k) { return quoted(k) + ": "; };
    const std::string size = std::to_string(parts.payload.size());

    CHECK(error(file.substr(0, file.size() - 8)) == "the header declares a payload of " + size + " bytes, the file holds " +
                                                        std::to_string(parts.payload.size() - 8) + " (truncated?)");
    CHECK(error(file + "more").ends_with("(bytes appended?)"));
    CHECK(error(file.substr(0, parts.header.size())) == "the binary payload after the header is missing (truncated?)");
    if (parts.header.size() % 64 < 62) {  // a header that leaves more than one byte of padding
      CHECK(error(file.substr(0, parts.header.size() + 2)).ends_with("inside the padding before the payload (truncated?)"));
      std::string padding = file;
      padding[parts.header.size() + 1] = 'x';
      CHECK(error(padding).ends_with("the padding between header and payload holds other bytes than NUL (damaged?)"));
    }

    std::string flipped = file;
    flipped[file.size() - 5] ^= 0x10;
    CHECK(error(flipped).find("the payload's CRC-32 is ") != std::string::npos);
    const std::string crc = key("crc32") + (json ? "\"" : "");
    CHECK(error(edit_header(file, crc, crc + "x")).ends_with("is not 8 hexadecimal digits"));
    CHECK(error(edit_header(file, key("encoding") + quoted("float32le"), key("encoding") + quoted("float16")))
              .ends_with("payload encoding is 'float16'; this build reads only 'float32le'"));

    // Tensors outside the payload, on odd offsets, or too large for any file: refused before any
    // allocation of their size.
    const std::string last_offset = key("offset") + std::to_string(parts.payload.size() - 12);
    CHECK(error(edit_header(file, last_offset, key("offset") + std::to_string(parts.payload.size() - 8)))
              .ends_with("does not lie inside the " + size + "-byte payload on a 4-byte boundary"));
    CHECK(error(edit_header(file, last_offset, key("offset") + "2")).ends_with("on a 4-byte boundary"));
    CHECK(error(edit_header(file, last_offset, key("offset") + "1000000000")).find("does not lie inside") != std::string::npos);
    const std::string last_shape = key("shape") + "[ 3 ]";
    CHECK(error(edit_header(file, last_shape, key("shape") + "[ 1000000000, 1000000000, 1000000000 ]"))
              .ends_with("shape [1000000000, 1000000000, 1000000000] holds more values than a model file can"));
    CHECK(error(edit_header(file, last_shape, key("shape") + "[ 100000, 1000 ]")).find("does not lie inside") != std::string::npos);
    CHECK(error(edit_header(file, key("bytes") + size, key("bytes") + "1000000000"))
              .starts_with("the header declares a payload of 1000000000 bytes"));

    // Values that are not finite, under a checksum that matches them.
    for (const float v : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity()}) {
      std::string payload = parts.payload;
      payload.replace(payload.size() - 8, 4, float_bytes(v));
      CHECK(error(with_payload(file, payload)) == "parameter 5 value 1 is not finite");
    }
    // The same payload edit with a finite value loads: the checks above are what refused the others.
    std::string payload = parts.payload;
    payload.replace(payload.size() - 8, 4, float_bytes(0.25f));
    write_file(bad, with_payload(file, payload));
    surface::load_model(bad, net);
    CHECK(net.biases<6>()[1] == 0.25f);
  }
}
