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
#include <limits>
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

// The ModelProto of a graph on a 3 x 4 x 4 input with 2 outputs, importing the default opset `version`.
std::string model_of(nn::detail::onnx::graph_writer& g, std::int64_t version = 13) {
  protobuf::writer opset, model;
  opset.varint(2, static_cast<std::uint64_t>(version));
  model.message(7, g.finish({3, 4, 4}, 2));
  model.message(8, opset);
  return model.data();
}

// A model whose one node is a Conv with weights of these dims but two values: a hostile file.
std::string conv_model(const std::vector<std::int64_t>& dims, std::int64_t version = 13) {
  nn::detail::onnx::graph_writer g;
  const float values[2] = {1, 2};
  g.initializer("w", dims, values);
  g.node("Conv", {"w"}, {nn::detail::onnx::ints_attribute("pads", {1, 1, 1, 1})});
  return model_of(g, version);
}

protobuf::writer float_attribute(std::string_view name, float value) {
  protobuf::writer a;
  a.bytes(1, name);
  a.fixed32(2, value);
  a.varint(20, nn::detail::onnx::attribute_float);
  return a;
}

// Flatten, then a Gemm by [48][2] weights all `weight`, with C = [1, 2] when with_c.
std::string gemm_model(const std::vector<protobuf::writer>& attributes, bool with_c, float weight = 0.5f) {
  nn::detail::onnx::graph_writer g;
  const std::vector<float> w(96, weight), c{1, 2};
  g.initializer("w", {48, 2}, w);
  if (with_c) g.initializer("c", {2}, c);
  g.node("Flatten", {}, {nn::detail::onnx::int_attribute("axis", 1)});
  g.node("Gemm", with_c ? std::vector<std::string>{"w", "c"} : std::vector<std::string>{"w"}, attributes);
  return model_of(g);
}

// Random parameters with sharp logits, so that a layout error cannot hide in flat probabilities.

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

// A small network's export against OpenCV dnn on random images, and its parameters read back exactly.
template <class Net>
void check_small_network(const std::string& name, std::uint64_t seed) {
  Net net = sharp_network<Net>(seed);
  const fs::path path = exports() / name;
  nn::save_onnx(path, nn::onnx_model_of(net));
  using shape = typename Net::input_shape;
  xt::xtensor<float, 4> images = xt::random::rand<float>({std::size_t{5}, shape::height, shape::width, shape::channels}, 0.0f, 1.0f);
  CHECK(opencv_delta(path, images, net.predict(images)) < 1e-5f);
  Net back({.threads = 1});
  nn::load_onnx_model(nn::read_onnx(path), back);
  CHECK(std::equal(back.parameters().begin(), back.parameters().end(), net.parameters().begin()));
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
  r.append_int64s(f, "d", back, values.size());
  CHECK(back == values);
  protobuf::reader again(w.data(), "m: ");
  for (int skip = 0; skip < 4; ++skip) again.next(f);
  back.clear();
  CHECK_THROWS_WITH_AS(again.append_int64s(f, "d", back, 6), "m: d: more than 6 values (the most this reader takes)", format_error);
  CHECK(back.size() == 6);
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
  check_small_network<nn::network<nn::input<10, 14, 3>, nn::conv2d<5, 5>, nn::maxpool2d<3>, nn::relu, nn::conv2d<4, 1>, nn::flatten,
                                  nn::dense<7>, nn::relu, nn::dense<6>, nn::dense<3>>>("odd_net.onnx", 4);
}

TEST_CASE("onnx: a conv after global_avg_pool matches OpenCV dnn (the dense's rows follow the conv) and reads back exactly") {
  check_small_network<nn::network<nn::input<12, 12, 3>, nn::conv2d<8, 3>, nn::global_avg_pool, nn::conv2d<16, 1>, nn::dense<3>>>(
      "gap_conv_net.onnx", 6);
}

TEST_CASE("onnx: arguments no layer can have (an edited model file) are refused by layer, on export and when the file is read") {
  nn::gap_net<2> gap({.threads = 1});
  nn::onnx_model m = nn::onnx_model_of(gap);
  m.architecture[1].arguments = {0};
  CHECK_THROWS_WITH_AS(nn::onnx_bytes(m),
                       "ONNX export: layer 1 (maxpool2d<0> -> 64x64x32): maxpool2d needs 1 <= Size <= 128 (its input is [128, 128, 32])",
                       invalid_argument);
  m = nn::onnx_model_of(gap);
  m.architecture[0].arguments = {32, 2};
  CHECK_THROWS_WITH_AS(nn::onnx_bytes(m), "ONNX export: layer 0 (conv2d<32, 2> -> 128x128x32): conv2d needs Filters >= 1 and an odd Kernel",
                       invalid_argument);
  m = nn::onnx_model_of(gap);
  m.architecture[10].arguments = {0};
  CHECK_THROWS_WITH_AS(nn::onnx_bytes(m), "ONNX export: layer 10 (dense<0> -> 1x1x2): dense needs Outputs >= 1", invalid_argument);
  temp_folder dir;
  const fs::path file = dir.path / "m.yml";
  surface::save_model(file, gap, metadata(2));
  const std::string good = read(file);
  write_text_atomically(file, replaced(good, "kind: maxpool2d\n      arguments: [ 2 ]", "kind: maxpool2d\n      arguments: [ 0 ]"));
  const std::string pool = "model file " + file.string() + ": layer 1 (maxpool2d<0> -> 64x64x32): maxpool2d needs 1 <= Size <= 128 (its input is "
                           "[128, 128, 32])";
  CHECK_THROWS_WITH_AS(surface::read_stored_model(file), pool.c_str(), format_error);
  write_text_atomically(file, replaced(good, "arguments: [ 32, 3 ]", "arguments: [ 32, 0 ]"));
  const std::string conv = "model file " + file.string() + ": layer 0 (conv2d<32, 0> -> 128x128x32): conv2d needs Filters >= 1 and an odd Kernel";
  CHECK_THROWS_WITH_AS(nn::parameter_file{file}, conv.c_str(), format_error);
}

TEST_CASE("onnx: Gemm's alpha and beta scale the weights and C (beta nothing without C); non-finite ones and products are refused") {
  const nn::onnx_model scaled = nn::parse_onnx(gemm_model({float_attribute("alpha", 2), float_attribute("beta", 3)}, true), "x: ");
  REQUIRE(scaled.tensors.size() == 2);
  CHECK(scaled.tensors[0].data == std::vector<float>(96, 1.0f));
  CHECK(scaled.tensors[1].data == std::vector<float>{3, 6});
  CHECK(nn::parse_onnx(gemm_model({float_attribute("beta", 3)}, false), "x: ").tensors[1].data == std::vector<float>{0, 0});
  const float inf = std::numeric_limits<float>::infinity();
  const std::string refused = "ONNX file x.onnx: node 1 'Gemm_1' (Gemm): ";
  CHECK(error_of(gemm_model({float_attribute("beta", inf)}, false)) == refused + "alpha or beta is not finite");
  CHECK(error_of(gemm_model({float_attribute("alpha", std::nanf(""))}, true)) == refused + "alpha or beta is not finite");
  CHECK(error_of(gemm_model({float_attribute("alpha", 1e30f)}, true, 1e10f)) == refused + "alpha times weight 0 is not finite");
  CHECK(error_of(gemm_model({float_attribute("beta", 3e38f)}, true)) == refused + "beta times bias 1 is not finite");
}

TEST_CASE("onnx: a MatMul's Add is named in the errors about it") {
  nn::detail::onnx::graph_writer g;
  const std::vector<float> w(96, 0.5f), b{1, 2};
  g.initializer("w", {48, 2}, w);
  g.initializer("b", {2}, b);
  g.node("Flatten", {}, {nn::detail::onnx::int_attribute("axis", 1)});
  g.node("MatMul", {"w"});
  g.node("Add", {"b"}, {nn::detail::onnx::int_attribute("broadcast", 1)});
  CHECK(error_of(model_of(g)) == "ONNX file x.onnx: node 2 'Add_2' (Add): attribute 'broadcast' is not supported");
}

TEST_CASE("onnx: counts past the reader's limits and opsets outside 7 to 21 are format_errors naming the count and the limit") {
  // 4097 empty nodes (2 bytes each): refused before they are read into structures
  protobuf::writer graph, model, empty, opset, node;
  for (int i = 0; i < 4097; ++i) graph.message(1, empty);
  model.message(7, graph);
  CHECK(error_of(model.data()) == "ONNX file x.onnx: graph: more than 4096 nodes (the most tarmac reads)");
  for (int i = 0; i < 65; ++i) node.message(5, empty);
  protobuf::writer one_node, with_node;
  one_node.message(1, node);
  with_node.message(7, one_node);
  CHECK(error_of(with_node.data()) == "ONNX file x.onnx: graph node 0: more than 64 attributes (the most tarmac reads)");
  // many leading 1 dims (once quadratic to strip): refused by count, naming the tensor
  std::vector<std::int64_t> dims(9, 1);
  dims.back() = 2;
  CHECK(error_of(conv_model(dims)) == "ONNX file x.onnx: initializer 0: 'w': dims: more than 8 values (the most this reader takes)");
  CHECK(error_of(conv_model({2, 3, 3, 3}, 6)) ==
        "ONNX file x.onnx: opset_import: version 6 of the default domain; tarmac reads opsets 7 to 21 (where the operators it maps compute as in "
        "opset 13)");
  CHECK(error_of(conv_model({2, 3, 3, 3}, 22)).find("version 22 of the default domain") != std::string::npos);
  CHECK(error_of(conv_model({2, 3, 3, 3}, 21)).ends_with("holds 2 values, not the count its dims [2, 3, 3, 3] need"));
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
  const fs::path huge = dir.path / "huge.onnx";  // sparse: nothing is written
  std::ofstream(huge).close();
  fs::resize_file(huge, (std::uintmax_t{256} << 20) + 1);
  const std::string too_large = "ONNX file " + huge.string() + ": larger than 256 MiB";
  CHECK_THROWS_WITH_AS(nn::read_onnx(huge), too_large.c_str(), format_error);
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
