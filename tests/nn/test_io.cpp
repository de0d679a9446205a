// nn/io on its own (this executable links tarmac::nn, and no OpenCV header may reach it): parameter
// files saved and loaded in every header format, the metadata hook both ways, staged loading that
// leaves the network untouched, and the header parser and writer on tricky input.
#include <doctest/doctest.h>

#include <filesystem>
#include <random>
#include <string>
#include <tuple>
#include <utility>

#include <xtensor/xrandom.hpp>

#include <tarmac/nn.hpp>

#ifdef CV_VERSION
#error "nn/io must build without OpenCV: an OpenCV header was included"
#endif

namespace fs = std::filesystem;
using namespace tarmac;
using namespace tarmac::nn;

namespace {

using small_net = network<input<8, 8, 3>, conv2d<4, 3>, maxpool2d<2>, relu, flatten, dense<5>, relu, dense<3>>;
using wider_net = network<input<8, 8, 3>, conv2d<6, 3>, maxpool2d<2>, relu, flatten, dense<5>, relu, dense<3>>;

struct temp_folder {
  fs::path path = fs::temp_directory_path() / ("tarmac-nn-io-test-" + std::to_string(std::random_device{}()));
  temp_folder() { fs::create_directories(path); }
  ~temp_folder() { fs::remove_all(path); }
};

std::string read(const fs::path& p) { return tarmac::detail::read_whole_file(p, "test file"); }

// What parse_text says about `text`: "ok", or the format_error's message.
std::string parse_error(const std::string& text) {
  try {
    parse_text(text, "h: ");
  } catch (const format_error& e) {
    return e.what();
  }
  return "ok";
}

text_node round_trip(const text_node& root, text_format format) { return parse_text(write_text(root, format), ""); }

std::string yaml(const std::string& body) { return "%YAML:1.0\n---\n" + body; }

// A header of nested maps `depth` deep, in YAML or JSON.
std::string nested(int depth, bool json) {
  std::string text = json ? "" : "%YAML:1.0\n---\n";
  for (int i = 0; i < depth; ++i)
    text += json ? "{\"k\": " : std::string(std::size_t(3 * i), ' ') + "k:\n";
  text += json ? "1" : std::string(std::size_t(3 * depth), ' ') + "v: 1\n";
  return text + (json ? std::string(std::size_t(depth), '}') : "");
}

}  // namespace

TEST_CASE("nn/io: parameters saved in YAML, JSON and gzip load back exactly, without any metadata") {
  temp_folder dir;
  small_net net({.threads = 1, .init = init_scheme::he, .seed = 3});
  xt::random::seed(1);
  const xt::xtensor<float, 4> images = xt::random::rand<float>({4, 8, 8, 3});
  const auto expected = net.predict(images);
  for (const char* name : {"p.yml", "p.yaml", "p.json", "p.yml.gz", "p.json.gz"}) {
    CAPTURE(name);
    save_parameters(dir.path / name, net);
    small_net loaded({.threads = 1, .init = init_scheme::zeros});
    load_parameters(dir.path / name, loaded);
    CHECK(std::equal(net.parameters().begin(), net.parameters().end(), loaded.parameters().begin()));
    CHECK(xt::allclose(loaded.predict(images), expected, 0, 0));
    const parameter_file file(dir.path / name);
    CHECK(file.version() == 2);
    CHECK(file.describes<small_net>());
    CHECK(!file.describes<wider_net>());
    CHECK(file.input() == std::vector<std::size_t>{8, 8, 3});
    CHECK(file.architecture() == small_net::architecture());
    REQUIRE(file.tensors().size() == 6);
    CHECK(file.tensors()[5].name == "biases");
    CHECK(file.tensors()[5].shape == std::vector<std::size_t>{3});
    std::vector<double> biases(3);
    file.read_values(5, std::span<double>(biases));
    CHECK(biases[2] == double(net.biases<6>()[2]));
    CHECK_THROWS_WITH_AS(file.read_values(5, std::span<double>(biases).first(2)), doctest::Contains("room for 2 values, tensor 5 has 3"),
                         invalid_argument);
    CHECK_THROWS_WITH_AS(file.read_values(6, std::span<double>(biases)), doctest::Contains("no tensor 6 (the file has 6)"), invalid_argument);
  }
  const std::string yml = read(dir.path / "p.yml");
  CHECK(yml.starts_with("%YAML:1.0\n---\nformat: tarmac-model\nversion: 2\ninput: [ 8, 8, 3 ]\narchitecture:\n   -\n      kind: conv2d\n"));
  CHECK(read(dir.path / "p.json").starts_with("{\n    \"format\": \"tarmac-model\",\n    \"version\": 2,\n    \"input\": [ 8, 8, 3 ],\n"));
  CHECK(read(dir.path / "p.yml.gz") == yml);  // read_whole_file gunzips a .gz name (stored, so about as large)
  CHECK(fs::file_size(dir.path / "p.yml.gz") < yml.size() + 1024);
  CHECK(yml.size() == nn::detail::payload_start(yml.find('\0')) + small_net::parameter_count * 4);
  // A double network stores float32 and reads it back converted.
  small_net::with_scalar<double> wide({.threads = 1, .init = init_scheme::he, .seed = 3});
  save_parameters(dir.path / "d.json", wide);
  small_net narrow({.threads = 1, .init = init_scheme::zeros});
  load_parameters(dir.path / "d.json", narrow);
  CHECK(narrow.parameters()[7] == float(wide.parameters()[7]));
  CHECK_THROWS_WITH_AS(save_parameters(dir.path / "p.txt", net), doctest::Contains("must end in .yml, .yaml or .json"), invalid_argument);
  CHECK_THROWS_AS(load_parameters(dir.path / "missing.yml", net), io_error);
}

TEST_CASE("nn/io: the metadata hook writes the caller's keys and reads them back; its errors leave the network untouched") {
  temp_folder dir;
  small_net net({.threads = 1, .init = init_scheme::he, .seed = 3});
  text_node meta;
  meta.add("label", "it's a \"test\"\\ with\ttabs\nand lines");
  meta.add("id", "01digits");
  text_node& nested_map = meta.add("optimiser", text_node());
  nested_map.add("learning_rate", 1e-4);
  nested_map.add("epochs", 20);
  nested_map.add("schedule", text_node::sequence_of(std::vector<double>{0.5, 0.25, 1.0}));
  text_node& names = meta.add("names", text_node::sequence());
  names.push_back("a b");
  names.push_back("");
  for (const char* name : {"m.yml", "m.json.gz"}) {
    CAPTURE(name);
    save_parameters(dir.path / name, net, meta);
    small_net loaded({.threads = 1, .init = init_scheme::zeros});
    const auto [label, rate, schedule, second] = load_parameters(dir.path / name, loaded, [](const header_reader& h) {
      return std::tuple{h.string("label"), h.map("optimiser").number<double>("learning_rate"),
                        h.map("optimiser").numbers<double>("schedule", "schedule"),
                        h.child("names", text_node::kind::sequence).children()[1].string()};
    });
    CHECK(label == "it's a \"test\"\\ with\ttabs\nand lines");
    CHECK(rate == 1e-4);
    CHECK(schedule == std::vector<double>{0.5, 0.25, 1.0});
    CHECK(second.empty());
    CHECK(std::equal(net.parameters().begin(), net.parameters().end(), loaded.parameters().begin()));
    // The header the file holds: format and version, the caller's keys in order, then nn/io's.
    const parameter_file file(dir.path / name);
    const text_node& root = file.header().node();
    CHECK(root.keys() == std::vector<std::string>{"format", "version", "label", "id", "optimiser", "names", "input",
                                                  "architecture", "parameters", "payload"});
    CHECK(root.find("id")->string() == "01digits");
    CHECK(root.find("optimiser")->find("epochs")->is_integer());

    // A hook that refuses the file, or asks for a key that is not there: the network keeps its values.
    small_net kept({.threads = 1, .init = init_scheme::zeros});
    CHECK_THROWS_WITH_AS(load_parameters(dir.path / name, kept, [](const header_reader& h) { h.fail("not my kind of model"); }),
                         ("model file " + (dir.path / name).string() + ": not my kind of model").c_str(), format_error);
    CHECK_THROWS_WITH_AS(load_parameters(dir.path / name, kept, [](const header_reader& h) { return h.string("classes"); }),
                         doctest::Contains("'classes' is missing"), format_error);
    CHECK_THROWS_WITH_AS(load_parameters(dir.path / name, kept, [](const header_reader& h) { return h.number<int>("label"); }),
                         doctest::Contains("'label' has the wrong type"), format_error);
    CHECK(std::all_of(kept.parameters().begin(), kept.parameters().end(), [](float v) { return v == 0; }));
  }
  text_node reserved;
  reserved.add("payload", "mine");
  CHECK_THROWS_WITH_AS(save_parameters(dir.path / "r.yml", net, reserved), doctest::Contains("'payload' is one nn/io writes itself"),
                       invalid_argument);
  CHECK_THROWS_AS(save_parameters(dir.path / "r.yml", net, text_node::sequence()), invalid_argument);
  CHECK(!fs::exists(dir.path / "r.yml"));
}

TEST_CASE("nn/io: a file of another network or a damaged one is a format_error naming the file; the network is untouched") {
  temp_folder dir;
  small_net net({.threads = 1, .init = init_scheme::he, .seed = 3});
  save_parameters(dir.path / "m.yml", net);
  wider_net other({.threads = 1, .init = init_scheme::zeros});
  CHECK_THROWS_WITH_AS(load_parameters(dir.path / "m.yml", other),
                       ("model file " + (dir.path / "m.yml").string() + ": layer 0 is conv2d<4, 3> -> 8x8x4, expected conv2d<6, 3> -> 8x8x6").c_str(),
                       format_error);
  CHECK(std::all_of(other.parameters().begin(), other.parameters().end(), [](float v) { return v == 0; }));
  // Every cut of the file, and bytes flipped all over it: a format_error naming it, never a crash.
  const std::string bytes = read(dir.path / "m.yml");
  const fs::path cut = dir.path / "cut.yml";
  for (std::size_t keep = 0; keep < bytes.size(); keep += 7) {
    write_text_atomically(cut, bytes.substr(0, keep));
    small_net fresh({.threads = 1, .init = init_scheme::zeros});
    CHECK_THROWS_WITH_AS(load_parameters(cut, fresh), doctest::Contains(("model file " + cut.string() + ": ").c_str()), format_error);
    CHECK(std::all_of(fresh.parameters().begin(), fresh.parameters().end(), [](float v) { return v == 0; }));
  }
  std::string flipped = bytes;
  flipped[flipped.find("crc32")] = 'C';
  write_text_atomically(dir.path / "flip.yml", flipped);
  CHECK_THROWS_WITH_AS(load_parameters(dir.path / "flip.yml", net), doctest::Contains("'crc32' is missing"), format_error);
}

TEST_CASE("nn/io: version-1 files (values as decimals in the text) load through the same parser") {
  const fs::path v1 = TARMAC_MODEL_V1;
  small_net yml({.threads = 1, .init = init_scheme::zeros}), json({.threads = 1, .init = init_scheme::zeros});
  load_parameters(v1 / "small.yml", yml);
  load_parameters(v1 / "small.json", json);
  CHECK(std::equal(yml.parameters().begin(), yml.parameters().end(), json.parameters().begin()));
  const std::string text = read(v1 / "small.yml");
  CHECK(yml.weights<0>()[1] == std::strtof(text.c_str() + text.find("data: [ ") + 8 + text.substr(text.find("data: [ ") + 8).find(", ") + 2, nullptr));
  CHECK(parameter_file(v1 / "small.json").version() == 1);
}

TEST_CASE("header parser: strings, escapes and numbers as JSON and tarmac's YAML write them") {
  const text_node j = parse_text(R"({"s": "q\" b\\ s\/ \b\f\n\r\t", "u": "ünï", "n": [0, -1, 2.5, 1e3, -0.5E-2, 123456789012345678901234567890],
                                     "e": [], "m": {}, "deep": [[1], {"k": "v"}]})", "");
  CHECK(j.find("s")->string() == "q\" b\\ s/ \b\f\n\r\t");
  CHECK(j.find("u")->string() == "ünï");
  const auto& n = j.find("n")->children();
  REQUIRE(n.size() == 6);
  CHECK((n[0].number() == 0 && n[0].is_integer()));
  CHECK((n[2].number() == 2.5 && !n[2].is_integer()));
  CHECK(n[3].number() == 1000);
  CHECK(n[4].number() == -0.005);
  CHECK(n[5].number() == 1.2345678901234568e29);  // parsed, but no integer a reader takes:
  CHECK_THROWS_WITH_AS(header_reader(j, "h: ").numbers<std::size_t>("n", "n"), "h: n holds -1.000000, not an integer in range", format_error);
  CHECK(j.find("e")->children().empty());
  CHECK(j.find("m")->type() == text_node::kind::map);
  CHECK(j.find("deep")->children()[1].find("k")->string() == "v");

  const text_node y = parse_text("%YAML:1.0\n---\nplain: two words  \nq: \"a\\\"b\\\\c\\nd\\te\\rf\"\nr: 1.\ns: .5\nt: +3\nu: -.Inf\nv: .nan\n"
                                 "w: [ 1, 2,\n    3 ]\nx: []\ny: {}\nz:\n   - a\n   -\n      k: 1\n",
                                 "");
  CHECK(y.find("plain")->string() == "two words");
  CHECK(y.find("q")->string() == "a\"b\\c\nd\te\rf");
  CHECK(y.find("r")->number() == 1.0);
  CHECK(y.find("s")->number() == 0.5);
  CHECK(y.find("t")->number() == 3);
  CHECK(y.find("u")->number() == -HUGE_VAL);
  CHECK(std::isnan(y.find("v")->number()));
  CHECK(y.find("w")->children().size() == 3);
  CHECK(y.find("w")->children()[2].number() == 3);
  CHECK(y.find("x")->type() == text_node::kind::sequence);
  CHECK(y.find("y")->type() == text_node::kind::map);
  CHECK(y.find("z")->children()[0].string() == "a");
  CHECK(y.find("z")->children()[1].find("k")->number() == 1);
}

TEST_CASE("header parser: what is outside the subset is a format_error saying what and where") {
  // JSON: the byte; YAML: the line.
  const std::pair<std::string, std::string> cases[] = {
      {R"({"a": "\u0041"})", "h: unsupported escape in a string at byte 8"},
      {"{\"a\": \"x\ty\"}", "h: control character in a string at byte 8"},
      {R"({"a": 1, "a": 2})", "h: the key 'a' appears twice at byte 9"},
      {R"({"a": 017})", "h: leading zero at byte 6"},
      {R"({"a": 1e999})", "h: a number out of range at byte 6"},
      {R"({"a": 1.})", "h: invalid number at byte 6"},
      {R"({"a": true})", "h: unexpected character at byte 6"},
      {R"({"a": null})", "h: unexpected character at byte 6"},
      {R"({"a": 1} x)", "h: text after the top-level object at byte 9"},
      {R"([1, 2])", "h: not a YAML header: expected %YAML:1.0 on line 1"},
      {R"({"a": [1, 2)", "h: expected ',' or a closing bracket at byte 11"},
      {nested(32, true), "ok"},
      {nested(33, true), "h: nested too deep at byte 197"},
      {yaml("a: 1\n  b: 2\n"), "h: indentation matches no enclosing block on line 4"},
      {yaml("a:\n   - 1\n   b: 2\n"), "h: keys and list items mixed in one block on line 5"},
      {yaml("a: 1\na: 2\n"), "h: the key 'a' appears twice on line 4"},
      {yaml("a: \"\\x41\"\n"), "h: unsupported escape on line 3"},
      {yaml("a: 1abc\n"), "h: invalid number on line 3"},
      {yaml("a: 1e400\n"), "h: a number out of range on line 3"},
      {yaml("a: x # comment\n"), "h: unexpected character in a value on line 3"},
      {yaml("a: [ 1, , 2 ]\n"), "h: an empty item in a list on line 3"},
      {yaml("a: [ \"x\" ]\n"), "h: unexpected character in a list on line 3"},
      {yaml("a:\tb\n"), "h: control character on line 3"},
      {yaml("a: [ 1,\n 2\n"), "h: unterminated list at the end of the file"},
      {yaml("a:\n"), "h: a block is empty at the end of the file"},
      {nested(31, false), "ok"},  // the top-level map is the 32nd
      {nested(32, false), "h: nested too deep on line 35"},
  };
  for (const auto& c : cases) {  // not a structured binding: clang 14 cannot capture one in CAPTURE's lambda
    CAPTURE(c.first);
    CHECK(parse_error(c.first) == c.second);
  }
  // Every prefix of a valid header parses or fails with a format_error: never a hang or a crash.
  text_node tree;
  tree.add("s", "x\"y");
  tree.add("list", text_node::sequence_of(std::vector<int>{1, 22, 333}));
  tree.add("m", text_node()).add("seq", text_node::sequence()).push_back("z");
  for (const text_format format : {text_format::yaml, text_format::json}) {
    const std::string text = write_text(tree, format);
    for (std::size_t keep = 0; keep < text.size(); ++keep) {
      const std::string e = parse_error(text.substr(0, keep));
      CHECK_MESSAGE((e == "ok" || e.starts_with("h: ")), e);
    }
  }
}

TEST_CASE("header writer: what it writes parses back to the same tree, laid out as FileStorage lays it out") {
  text_node tree;
  for (const char* s : {"plain", "two words", "01digit", "-dash", ".dot", " lead", "trail ", "a: b # c", "[x]", "q\"b\\s", "l1\nl2\tt\rr", "ünï",
                        "", "true", "v1.2", "a(b)/c+d_e-f"})
    tree.add("k" + std::to_string(tree.keys().size()), s);
  tree.add("reals", text_node::sequence_of(std::vector<double>{1.0 / 255.0, 0.5, -2.0, 0.0, 1e20, 3e9, -1e-300}));
  std::vector<int> ints(40);
  for (int i = 0; i < 40; ++i) ints[std::size_t(i)] = i * 1000;
  tree.add("ints", text_node::sequence_of(ints));
  for (const text_format format : {text_format::yaml, text_format::json}) {
    const text_node back = round_trip(tree, format);
    REQUIRE(back.keys() == tree.keys());
    for (std::size_t i = 0; i + 2 < tree.keys().size(); ++i) CHECK(back.children()[i].string() == tree.children()[i].string());
    for (std::size_t i = 0; i < 7; ++i) CHECK(back.find("reals")->children()[i].number() == tree.find("reals")->children()[i].number());
    CHECK(back.find("ints")->children().size() == 40);
  }
  const std::string yaml = write_text(tree, text_format::yaml);
  CHECK(yaml.find("\nk0: plain\nk1: two words\nk2: \"01digit\"\nk3: \"-dash\"\nk4: \".dot\"\nk5: \" lead\"\nk6: \"trail \"\n"
                  "k7: \"a: b # c\"\nk8: \"[x]\"\nk9: \"q\\\"b\\\\s\"\nk10: \"l1\\nl2\\tt\\rr\"\nk11: \"ünï\"\nk12: \"\"\nk13: true\nk14: \"v1.2\"\n"
                  "k15: a(b)/c+d_e-f\n") !=
        std::string::npos);
  // FileStorage's numbers ("1." in YAML, "1.0" in JSON, else 17 digits) and its wrapping of long lists.
  CHECK(yaml.find("reals: [ 3.9215686274509803e-03, 5.0000000000000000e-01, -2., 0.,\n    1.0000000000000000e+20, "
                  "3.0000000000000000e+09,\n    -1.0000000000000000e-300 ]\n") != std::string::npos);
  CHECK(yaml.ends_with("ints: [ 0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000,\n"
                       "    11000, 12000, 13000, 14000, 15000, 16000, 17000, 18000, 19000, 20000,\n"
                       "    21000, 22000, 23000, 24000, 25000, 26000, 27000, 28000, 29000, 30000,\n"
                       "    31000, 32000, 33000, 34000, 35000, 36000, 37000, 38000, 39000 ]\n"));
  const std::string json = write_text(tree, text_format::json);
  CHECK(json.find("\"reals\": [ 3.9215686274509803e-03, 5.0000000000000000e-01, -2.0, 0.0,\n") != std::string::npos);
  CHECK(json.find("\n        10000, 11000, 12000,") != std::string::npos);
  // What no reader would read back is refused on writing.
  text_node bad;
  bad.add("s", "bell\a");
  CHECK_THROWS_WITH_AS(write_text(bad, text_format::yaml), doctest::Contains("control character"), invalid_argument);
  text_node long_string;
  long_string.add("s", std::string(4096, 'x'));
  CHECK_THROWS_WITH_AS(write_text(long_string, text_format::json), doctest::Contains("at most 4095"), invalid_argument);
  text_node nan;
  nan.add("x", std::nan(""));
  CHECK_THROWS_WITH_AS(write_text(nan, text_format::json), doctest::Contains("not finite"), invalid_argument);
  text_node deep;
  text_node* inner = &deep;
  for (int i = 0; i < 33; ++i) inner = &inner->add("k", text_node());  // 34 maps, the last empty
  CHECK_THROWS_WITH_AS(write_text(deep, text_format::json), doctest::Contains("more than 32 levels"), invalid_argument);
  text_node key;
  key.add("a-b", 1);
  CHECK_THROWS_AS(write_text(key, text_format::yaml), invalid_argument);
  CHECK_THROWS_AS(key.add("a-b", 2), invalid_argument);
}
