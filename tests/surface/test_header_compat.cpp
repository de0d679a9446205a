// The headers nn/io writes (core/text_tree.hpp) against OpenCV's cv::FileStorage, which wrote them
// before and which users' readers (C++, Python's cv2, tools/tarmac_model.py) still use: the same
// bytes as FileStorage writes for the same tree, and FileStorage reads back every value.
#include <doctest/doctest.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include <tarmac/nn.hpp>
#include <tarmac/surface/cascade.hpp>
#include <tarmac/surface/model_file.hpp>

namespace fs = std::filesystem;
using namespace tarmac;

namespace {

using compat_net = nn::network<nn::input<8, 8, 3>, nn::conv2d<4, 3>, nn::maxpool2d<2>, nn::relu, nn::flatten, nn::dense<5>, nn::relu,
                              nn::dense<4>>;

bool all_numbers(const text_node& n) {
  return std::all_of(n.children().begin(), n.children().end(), [](const text_node& c) { return c.type() == text_node::kind::number; });
}

// Writes n with FileStorage as tarmac wrote headers with it: lists of numbers in flow style.
void emit(cv::FileStorage& out, const text_node& n) {
  switch (n.type()) {
    case text_node::kind::string:
      out << n.string();
      break;
    case text_node::kind::number:
      if (n.is_integer())
        out << int(n.number());
      else
        out << n.number();
      break;
    case text_node::kind::sequence:
      out << (all_numbers(n) ? "[:" : "[");
      for (const text_node& c : n.children()) emit(out, c);
      out << "]";
      break;
    case text_node::kind::map:
      out << "{";
      for (std::size_t i = 0; i < n.keys().size(); ++i) {
        out << n.keys()[i];
        emit(out, n.children()[i]);
      }
      out << "}";
      break;
  }
}

std::string file_storage_text(const text_node& root, text_format format) {
  cv::FileStorage out(".yml", cv::FileStorage::WRITE | cv::FileStorage::MEMORY |
                                  (format == text_format::json ? cv::FileStorage::FORMAT_JSON : cv::FileStorage::FORMAT_YAML));
  for (std::size_t i = 0; i < root.keys().size(); ++i) {
    out << root.keys()[i];
    emit(out, root.children()[i]);
  }
  return out.releaseAndGetString();
}

// FileStorage's reading of `node` equals the tree's.
void check_same(const cv::FileNode& node, const text_node& n, const std::string& path) {
  CAPTURE(path);
  switch (n.type()) {
    case text_node::kind::string:
      REQUIRE(node.isString());
      CHECK(node.string() == n.string());
      break;
    case text_node::kind::number:
      REQUIRE((n.is_integer() ? node.isInt() : node.isReal()));
      CHECK(node.real() == n.number());
      break;
    case text_node::kind::sequence:
      REQUIRE(node.isSeq());
      REQUIRE(node.size() == n.children().size());
      for (std::size_t i = 0; i < n.children().size(); ++i) check_same(node[int(i)], n.children()[i], path + "/" + std::to_string(i));
      break;
    case text_node::kind::map:
      REQUIRE(node.isMap());
      REQUIRE(node.keys() == n.keys());
      for (std::size_t i = 0; i < n.keys().size(); ++i) check_same(node[n.keys()[i]], n.children()[i], path + "/" + n.keys()[i]);
      break;
  }
}

}  // namespace

TEST_CASE("model file headers are FileStorage's bytes, and FileStorage reads every value of them") {
  const fs::path dir = fs::temp_directory_path() / ("tarmac-header-compat-" + std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  compat_net net({.threads = 1, .init = nn::init_scheme::he, .seed = 3});
  const surface::model_metadata meta{{{"01asphalt", "asphalt (good)"}, {"b", "it's \"b\""}, {"c", "ünï"}, {"d", "v1.2"}},
                                     image::roi_rule::parse("0.55:0.95,0.1:0.8"), "notes: with \\ and\nlines"};
  for (const char* name : {"m.yml", "m.json"}) {
    CAPTURE(name);
    surface::save_model(dir / name, net, meta);
    const std::string file = tarmac::detail::read_whole_file(dir / name, "test");
    const std::string header = file.substr(0, file.find('\0'));
    const text_node tree = parse_text(header, "");
    const text_format format = nn::header_format(dir / name);
    // The one difference: FileStorage escapes ' as \', which JSON does not allow; tarmac leaves it as it is.
    std::string expected = file_storage_text(tree, format);
    for (std::size_t at; (at = expected.find("\\'")) != std::string::npos;) expected.erase(at, 1);
    CHECK(expected == header);
    cv::FileStorage in(header, cv::FileStorage::READ | cv::FileStorage::MEMORY);
    check_same(in.root(), tree, "");
    // OpenCV also reads the header straight from the file, stopping at the NUL (docs/model-format.md).
    cv::FileStorage straight((dir / name).string(), cv::FileStorage::READ);
    CHECK(straight["payload"]["crc32"].string() == tree.find("payload")->find("crc32")->string());
  }
  // cascade.yml alike.
  surface::write_cascade_file(dir / "cascade.yml", {{"", "type.yml.gz", {"asphalt", "paved"}},
                                                    {{"asphalt", "/abs/q.json", {"01asphalt(Good)", "02asphalt(Bad)"}}}});
  const std::string cascade = tarmac::detail::read_whole_file(dir / "cascade.yml", "test");
  CHECK(file_storage_text(parse_text(cascade, ""), text_format::yaml) == cascade);
  // Long lists wrap where FileStorage wraps them, at every depth.
  text_node tree;
  std::vector<double> reals;
  for (int i = 0; i < 30; ++i) reals.push_back(i * 0.37 + 0.01);
  text_node& deep = tree.add("m", text_node()).add("s", text_node::sequence()).push_back(text_node());
  deep.add("deep", text_node::sequence_of(reals));
  tree.add("ints", text_node::sequence_of(std::vector<int>(40, 123456)));
  for (const text_format format : {text_format::yaml, text_format::json}) CHECK(write_text(tree, format) == file_storage_text(tree, format));
  fs::remove_all(dir);
}
