// ONNX files: the protobuf codec's limits; exported networks run by OpenCV's dnn module giving
// tarmac's probabilities (real RTK frames and generated ones); exact round trips with the
// classifier's metadata; refusals, as typed errors naming the field or node, of custom layers and
// of damaged, truncated and hostile files. Exported files go to TARMAC_ONNX_EXPORTS, where
// check_onnx_files.py runs onnx's checker on each and check_onnx_runtime.py ONNX Runtime.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <opencv2/dnn.hpp>
#include <xtensor/xrandom.hpp>

#include <tarmac/core/files.hpp>
#include <tarmac/image/io.hpp>
#include <tarmac/image/roi.hpp>
#include <tarmac/image/tensor.hpp>
#include <tarmac/nn.hpp>
#include <tarmac/surface/onnx.hpp>
#include <tarmac/surface/synthetic.hpp>
#include <tarmac/train/networks.hpp>

#include "../rtk_sample.hpp"
#include "../temp_folder.hpp"

namespace fs = std::filesystem;
using namespace tarmac;

namespace {

surface::model_metadata metadata(std::size_t classes) {
  surface::model_metadata meta{{}, image::roi_rule::parse("0.55:1,0.1:0.9"), "onnx test, \"quoted\""};
  for (std::size_t i = 0; i < classes; ++i) meta.classes.push_back({"class" + std::to_string(i), "label, " + std::to_string(i)});
  return meta;
}

// Random parameters with sharp logits, so that a layout error cannot hide in flat probabilities.
// A model whose one node is a Conv with weights of these dims but two values: a hostile file.
std::string conv_model(const std::vector<std::int64_t>& dims) {
  nn::detail::onnx::graph_writer g;
  const float values[2] = {1, 2};
  g.initializer("w", dims, values);
  g.node("Conv", {"w"}, {nn::detail::onnx::ints_attribute("pads", {1, 1, 1, 1})});
  protobuf::writer opset, model;
  opset.varint(2, 13);
  model.message(7, g.finish({3, 4, 4}, 2));
  model.message(8, opset);
  return model.data();
}

template <class Net>
Net sharp_network(std::uint64_t seed) {
  Net net({.threads = 2, .init = nn::init_scheme::he, .seed = seed});
  std::mt19937 rng(static_cast<unsigned>(seed));
  net.for_each_parameter([&](std::size_t, const std::string& name, const std::vector<std::size_t>&, auto values) {
    for (auto& v : values) v = name == "biases" ? std::uniform_real_distribution<float>(-0.2f, 0.2f)(rng) : v * 2.0f;
  });
  return net;
}

// Generated frames of every road type, and the real RTK sample's first frames when present,
// each cut to the ROI and resized as tarmac's classifier does.
xt::xtensor<float, 4> frames(const image::roi_rule& roi) {
  std::vector<cv::Mat> list;
  for (int seed = 0; seed < 3; ++seed)
    for (const auto type : {surface::road_type::asphalt, surface::road_type::paved, surface::road_type::unpaved})
      list.push_back(surface::render_road_frame(type, surface::road_quality::regular, std::uint64_t(seed)));
  if (const auto root = rtk_sample())
    for (const char* folder : {"asphalt", "unpaved"}) {
      std::vector<fs::path> files;
      for (const auto& e : fs::directory_iterator(*root / folder)) files.push_back(e.path());
      std::sort(files.begin(), files.end());
      for (std::size_t i = 0; i < std::min<std::size_t>(4, files.size()); ++i) list.push_back(image::read_image(files[i]));
    }
  xt::xtensor<float, 4> batch({list.size(), 128, 128, 3});
  for (std::size_t i = 0; i < list.size(); ++i) image::to_tensor_into(image::crop_roi(list[i], roi), batch, i);
  return batch;
}

// OpenCV dnn's largest |probability - expected| for NHWC images, given to it as the NCHW blob the
// ONNX graph takes. The blob and the expected probabilities are left beside the ONNX file, as raw
// float32 (NAME.input.f32, NAME.tarmac.f32), for check_onnx_runtime.py to give ONNX Runtime.
float opencv_delta(const fs::path& onnx, const xt::xtensor<float, 4>& images, const xt::xtensor<float, 2>& expected) {
  cv::dnn::Net net = cv::dnn::readNetFromONNX(onnx.string());
  const int n = int(images.shape()[0]), h = int(images.shape()[1]), w = int(images.shape()[2]), c = int(images.shape()[3]);
  cv::Mat blob(std::vector<int>{n, c, h, w}, CV_32F);
  auto* to = blob.ptr<float>();
  for (int i = 0; i < n; ++i)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x)
        for (int k = 0; k < c; ++k) to[((i * c + k) * h + y) * w + x] = images(i, y, x, k);
  const auto save = [&](const char* extension, const float* values, std::size_t count) {
    write_atomically(fs::path(onnx).replace_extension(extension),
                     [&](output_file& file) { file.write(values, count * sizeof(float)); });
  };
  save(".input.f32", blob.ptr<float>(), blob.total());
  save(".tarmac.f32", expected.data(), expected.size());
  net.setInput(blob);
  const cv::Mat out = net.forward();
  REQUIRE(out.total() == expected.size());
  xt::xtensor<float, 2> p(expected.shape());
  std::copy_n(out.ptr<float>(), out.total(), p.data());
  return xt::amax(xt::abs(p - expected))();
}

fs::path exports() {
  fs::create_directories(TARMAC_ONNX_EXPORTS);
  return TARMAC_ONNX_EXPORTS;
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string error_of(const std::string& bytes) {
  try {
    nn::parse_onnx(bytes, "ONNX file x.onnx: ");
  } catch (const format_error& e) {
    return e.what();
  }
  return "no error";
}

// bytes with the first `from` replaced by `to` (same length, so every length prefix stays right).
std::string replaced(std::string bytes, const std::string& from, const std::string& to) {
  REQUIRE(from.size() == to.size());
  const std::size_t at = bytes.find(from);
  REQUIRE(at != std::string::npos);
  return bytes.replace(at, from.size(), to);
}

// Back: the network an import maps the file onto (the same, or its inference equivalent).
template <class Net, class Back = Net>
void check_against_opencv(const std::string& name, std::uint64_t seed) {
  Net net = sharp_network<Net>(seed);
  const auto meta = metadata(Net::classes);
  const fs::path path = exports() / name;
  surface::export_onnx(path, net, meta);
  const auto images = frames(meta.roi);
  const auto expected = net.predict(images);
  const float delta = opencv_delta(path, images, expected);
  MESSAGE(name << ": " << images.shape()[0] << " frames, largest |tarmac - OpenCV dnn| = " << delta);
  CHECK(delta < 1e-5f);
  CHECK(xt::amax(expected)() > 0.9f);  // not flat: some frame is classified with confidence
  // Back in: the same parameters bit for bit, and the metadata.
  const nn::onnx_model m = nn::read_onnx(path);
  Back back({.threads = 2});
  nn::load_onnx_model(m, back);
  CHECK(std::equal(back.parameters().begin(), back.parameters().end(), net.parameters().begin()));
  const auto read_meta = surface::read_onnx_metadata(m, "x: ");
  REQUIRE(read_meta);
  CHECK(read_meta->classes == meta.classes);
  CHECK(read_meta->roi.to_string() == meta.roi.to_string());
  CHECK(read_meta->notes == meta.notes);
  REQUIRE(m.metadata.size() == 3);
  CHECK(m.metadata[1].second.starts_with("NCHW float32 [N, 3, 128, 128], BGR, 8-bit values / 255, of the frame's ROI"));
  std::string ids;
  for (const auto& c : meta.classes) ids += (ids.empty() ? "" : ",") + c.id;
  CHECK(m.metadata[2] == std::pair<std::string, std::string>{"classes", ids});
}

}  // namespace

TEST_CASE("protobuf: varints, lengths and wire types round trip, and damage is a format_error naming the field") {
  protobuf::writer w;
  const std::vector<std::int64_t> values{0, 1, 127, 128, 300, -1, std::int64_t{1} << 62};
  w.varint(1, 150);
  w.bytes(2, "testing");
  w.fixed32(3, 1.5f);
  w.packed(4, values);
  CHECK(w.data().substr(0, 3) == std::string("\x08\x96\x01", 3));  // the encoding guide's example
  protobuf::reader r(w.data(), "m: ");
  protobuf::field f;
  REQUIRE(r.next(f));
  CHECK((f.number == 1 && r.int64(f, "a") == 150));
  REQUIRE(r.next(f));
  CHECK(r.bytes(f, "b") == "testing");
  REQUIRE(r.next(f));
  CHECK(f.as_float() == 1.5f);
  REQUIRE(r.next(f));
  std::vector<std::int64_t> back;
  r.append_int64s(f, "d", back);
  CHECK(back == values);
  CHECK(!r.next(f));
  const auto error = [](const std::string& bytes) {
    protobuf::reader bad(bytes, "m: ");
    protobuf::field g;
    try {
      while (bad.next(g)) {
      }
    } catch (const format_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(error(std::string("\x08") + std::string(9, '\xff') + "\x01") == "no error");  // 2^64 - 1: ten bytes
  CHECK(error(std::string("\x08") + std::string(9, '\xff') + "\x02") == "m: field 1 is a varint past 10 bytes or 64 bits");
  CHECK(error(std::string("\x08") + std::string(10, '\xff') + "\x01") == "m: field 1 is a varint past 10 bytes or 64 bits");
  CHECK(error("\x12\x7f" "abc") == "m: field 2 declares 127 bytes, 3 remain (truncated?)");
  CHECK(error("\x12\xff\xff\xff\xff\xff\xff\xff\xff\x7f") == "m: field 2 declares 9223372036854775807 bytes, 0 remain (truncated?)");
  CHECK(error("\x1b") == "m: field 3 has wire type 3 (groups or damage)");
  CHECK(error("\x1d\x01\x02") == "m: field 3 ends with the message (truncated?)");
  CHECK(error("\x08") == "m: field 1 ends with the message (truncated?)");
  CHECK(r.where() == "m: ");
  protobuf::reader typed(w.data(), "m: ");
  REQUIRE(typed.next(f));
  CHECK_THROWS_WITH_AS(typed.bytes(f, "name"), "m: name (field 1) has the wrong wire type", format_error);
}

TEST_CASE("onnx: rtk_net exported runs in OpenCV dnn with tarmac's probabilities, and reads back exactly") {
  check_against_opencv<nn::rtk_net<3>>("rtk_net3.onnx", 1);
}

TEST_CASE("onnx: gap_net and rtk_dropout_net too (dropout leaves no node: it reads back as rtk_net)") {
  check_against_opencv<nn::gap_net<4>>("gap_net4.onnx", 2);
  check_against_opencv<nn::rtk_dropout_net<2>, nn::rtk_net<2>>("rtk_dropout_net2.onnx", 3);
}

TEST_CASE("onnx: a network of odd sizes (ceil-mode pooling, 5x5 kernels, dense after dense) matches OpenCV dnn") {
  using odd_net = nn::network<nn::input<10, 14, 3>, nn::conv2d<5, 5>, nn::maxpool2d<3>, nn::relu, nn::conv2d<4, 1>,
                              nn::flatten, nn::dense<7>, nn::relu, nn::dense<6>, nn::dense<3>>;
  odd_net net = sharp_network<odd_net>(4);
  const fs::path path = exports() / "odd_net.onnx";
  nn::save_onnx(path, nn::onnx_model_of(net));
  xt::xtensor<float, 4> images = xt::random::rand<float>({5, 10, 14, 3}, 0.0f, 1.0f);
  CHECK(opencv_delta(path, images, net.predict(images)) < 1e-5f);
  odd_net back({.threads = 1});
  nn::load_onnx_model(nn::read_onnx(path), back);
  CHECK(std::equal(back.parameters().begin(), back.parameters().end(), net.parameters().begin()));
}

TEST_CASE("onnx: a layer without an ONNX operator is refused by name; an import into another network names the difference") {
  nn::gap_net<2> gap({.threads = 1});
  nn::onnx_model m = nn::onnx_model_of(gap);
  m.architecture[3].kind = "swish";
  CHECK_THROWS_WITH_AS(nn::onnx_bytes(m), "ONNX export: layer 3 (swish<32, 3> -> 64x64x32) has no ONNX operator in this build",
                       invalid_argument);
  nn::rtk_net<2> rtk({.threads = 1});
  CHECK_THROWS_WITH_AS(nn::load_onnx_model(nn::onnx_model_of(gap), rtk, "f: "),
                       "f: architecture has 11 layers, the network has 13 (conv2d<32, 3> -> 128x128x32, ...)", format_error);
  nn::onnx_model short_of = nn::onnx_model_of(gap);
  short_of.tensors.pop_back();
  CHECK_THROWS_WITH_AS(nn::load_onnx_model(short_of, gap, "f: "), "f: parameters end before parameter 7 (layer 10 biases) (truncated?)",
                       format_error);
  short_of.tensors.push_back({10, "biases", {2}, {1.0f}});
  CHECK_THROWS_WITH_AS(nn::load_onnx_model(short_of, gap, "f: "), "f: layer 10 biases holds 1 values for its shape [2]", format_error);
}

TEST_CASE("onnx: damaged, truncated and hostile files are format_errors naming the file and the field or node") {
  nn::gap_net<3> net({.threads = 1});
  const std::string good = nn::onnx_bytes(nn::onnx_model_of(net));
  CHECK_NOTHROW(nn::parse_onnx(good, "x: "));
  // truncated anywhere: never a crash, always a format_error
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{7}, good.size() / 3, good.size() / 2, good.size() - 1})
    CHECK(error_of(good.substr(0, size)).starts_with("ONNX file x.onnx: "));
  CHECK(error_of(good.substr(0, good.size() / 2)).find("(truncated?)") != std::string::npos);
  CHECK(error_of("") == "ONNX file x.onnx: no graph (not an ONNX model?)");
  // unknown operator: named with its index and name
  CHECK(error_of(replaced(good, "\x22\x04Relu", "\x22\x04Tanh")) ==
        "ONNX file x.onnx: node 2 'Relu_2' (Tanh): this operator has no tarmac layer (tarmac maps Conv, MaxPool, Relu, Flatten, "
        "GlobalAveragePool, Gemm, MatMul + Add, Softmax)");
  // a wrong shape: the second conv's weights claim 33 input channels
  CHECK(error_of(replaced(good, std::string("\x0a\x04\x20\x20\x03\x03", 6), std::string("\x0a\x04\x20\x21\x03\x03", 6))) ==
        "ONNX file x.onnx: node 3 'Conv_3' (Conv): weights of dims [32, 33, 3, 3]: expected [filters, 32, K, K] with K odd");
  // more values declared than held; a huge declared dimension: refused before anything is allocated for it
  CHECK(error_of(replaced(good, std::string("\x0a\x04\x20\x20\x03\x03", 6), std::string("\x0a\x04\x7f\x20\x03\x03", 6))) ==
        "ONNX file x.onnx: node 3 'Conv_3' (Conv): initializer 'layer3.weight' holds 9216 values, not the count its dims "
        "[127, 32, 3, 3] need");
  CHECK(error_of(conv_model({std::int64_t{1} << 40, 3, 3, 3})) ==
        "ONNX file x.onnx: node 0 'Conv_0' (Conv): initializer 'w' has dims [1099511627776, 3, 3, 3]");
  CHECK(error_of(conv_model({1 << 27, 3, 3, 3})).ends_with("holds 2 values, not the count its dims [134217728, 3, 3, 3] need"));
  CHECK(error_of(conv_model({2, 3, 3, 3})) == "ONNX file x.onnx: node 0 'Conv_0' (Conv): initializer 'w' holds 2 values, not the count its "
                                              "dims [2, 3, 3, 3] need");
  // duplicate and missing initializers
  CHECK(error_of(replaced(good, "layer3.weight", "layer0.weight")) == "ONNX file x.onnx: graph: initializer 'layer0.weight' appears twice");
  CHECK(error_of(replaced(good, "\x0a\x0blayer3.bias", "\x0a\x0blayer3.BIAS")) ==
        "ONNX file x.onnx: node 3 'Conv_3' (Conv): input 'layer3.BIAS' is not an initializer (tarmac imports weights stored in the graph)");
  // a varint past 10 bytes and a length past the end, inside the graph
  std::string long_varint = good;
  long_varint.insert(long_varint.size(), "\x08" + std::string(11, '\x80'));
  CHECK(error_of(long_varint) == "ONNX file x.onnx: field 1 is a varint past 10 bytes or 64 bits");
  // deep nesting where the schema has none (an unknown field, a subgraph attribute): skipped, never recursed into
  protobuf::writer deep;
  for (int level = 0; level < 2000; ++level) {
    protobuf::writer outer;
    outer.message(6, deep);
    deep = outer;
  }
  protobuf::writer wrapped;
  wrapped.message(99, deep);
  CHECK_NOTHROW(nn::parse_onnx(good + wrapped.data(), "x: "));
  // a chain broken: a node that does not take the previous node's output
  CHECK(error_of(replaced(good, "\x0a\x06Relu_2", "\x0a\x06Relu_X")).find("node 3 'Conv_3' (Conv): does not take the previous node's output") !=
        std::string::npos);
}

TEST_CASE("onnx: export_onnx of a stored model (any model file) equals the compiled network's export") {
  temp_folder dir;
  auto net = sharp_network<nn::gap_net<3>>(5);
  surface::save_model(dir.path / "m.yml.gz", net, metadata(3));
  surface::export_onnx(dir.path / "stored.onnx", surface::read_stored_model(dir.path / "m.yml.gz"));
  surface::export_onnx(dir.path / "compiled.onnx", net, metadata(3));
  CHECK(read(dir.path / "stored.onnx") == read(dir.path / "compiled.onnx"));
  CHECK_THROWS_AS(nn::read_onnx(dir.path / "missing.onnx"), io_error);
}

TEST_CASE("onnx: train::with_architecture picks the compiled network an imported architecture describes, or names the closest") {
  const std::vector<std::size_t> input{128, 128, 3};
  const auto arch = nn::gap_net<4>::architecture();
  const auto classes_of = []<class Net>() { return std::pair{Net::classes, Net::layer_count}; };
  CHECK(train::with_architecture(input, arch, classes_of) == std::pair<std::size_t, std::size_t>{4, 11});
  CHECK(train::with_architecture(input, nn::rtk_net<6>::architecture(), classes_of) == std::pair<std::size_t, std::size_t>{6, 13});
  auto other = arch;
  other[3].arguments[0] = 16;
  CHECK_THROWS_WITH_AS(train::with_architecture(input, other, classes_of),
                       "no compiled network has this architecture (closest, gap_net<4>: layer 3 is conv2d<16, 3> -> 64x64x32, "
                       "expected conv2d<32, 3> -> 64x64x32)",
                       invalid_argument);
  CHECK_THROWS_WITH_AS(train::with_architecture({64, 64, 3}, arch, classes_of),
                       "no compiled network has this architecture (closest, gap_net<4>: input is [64, 64, 3], the network takes [128, 128, 3])",
                       invalid_argument);
  other.back().output[2] = 7;
  CHECK_THROWS_WITH_AS(train::with_architecture(input, other, classes_of),
                       "a network with 7 outputs: the networks are compiled for 2 to 6 classes", invalid_argument);
}
