#pragma once
// Model files: a trained network with what it takes to use it (classes, preprocessing), through
// cv::FileStorage: YAML (.yml, .yaml) or JSON (.json), gzip-compressed when the name ends in .gz.
// Reading checks the text first (detail/checked_text.hpp): OpenCV's parsers hang on some damaged files.
// The layout is documented in docs/model-format.md so that weights trained elsewhere can be
// converted (tools/torch_to_tarmac.py). Loading checks everything against the compiled network
// and reports the first difference as tarmac::format_error; files are written atomically.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <type_traits>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "tarmac/core/error.hpp"
#include "tarmac/core/files.hpp"
#include "tarmac/core/gzip.hpp"
#include "tarmac/core/labels.hpp"
#include "tarmac/image/roi.hpp"
#include "tarmac/nn/shape.hpp"
#include "tarmac/surface/detail/checked_text.hpp"

namespace tarmac::surface {

inline constexpr int model_format_version = 1;

// What a model file carries besides the parameters.
struct model_metadata {
  std::vector<class_info> classes;  // in output order
  image::roi_rule roi;
  std::string notes;  // free text: how it was trained
};

// A parameter tensor as a model file stores it.
struct stored_tensor {
  std::size_t layer = 0;
  std::string name;  // "weights" or "biases"
  std::vector<std::size_t> shape;
  std::vector<float> data;
};

// A model file read without a compiled network to hold it: for transfer learning between
// networks that share some layers (transfer_parameters).
struct stored_model {
  model_metadata meta;
  std::vector<std::size_t> input;  // [height, width, channels]
  std::vector<nn::layer_spec> architecture;
  std::vector<stored_tensor> tensors;
};

namespace detail {

inline std::string where(const std::filesystem::path& path) { return "model file " + path.string() + ": "; }

inline cv::FileNode child(const cv::FileNode& parent, const std::string& key, const std::filesystem::path& path,
                          int type) {
  const cv::FileNode node = parent[key];
  if (node.empty() || node.isNone()) throw format_error(where(path) + "'" + key + "' is missing");
  const bool ok = type == cv::FileNode::SEQ ? node.isSeq()
                  : type == cv::FileNode::MAP ? node.isMap()
                  : type == cv::FileNode::STRING ? node.isString()
                                                 : (node.isInt() || node.isReal());
  if (!ok) throw format_error(where(path) + "'" + key + "' has the wrong type");
  return node;
}

// A number that fits T (integers: whole and in [lowest, 1e9]); a cast of anything else is undefined.
template <class T>
T number(const cv::FileNode& item, const std::string& what, const std::filesystem::path& path) {
  if (!(item.isInt() || item.isReal())) throw format_error(where(path) + what + " holds a value that is not a number");
  const double v = item.real();
  if constexpr (std::is_integral_v<T>) {
    if (!(v == std::floor(v) && v >= double(std::numeric_limits<T>::lowest()) && v <= 1e9))
      throw format_error(where(path) + what + " holds " + std::to_string(v) + ", not an integer in range");
  } else if (std::isfinite(v) && std::abs(v) > double(std::numeric_limits<T>::max())) {
    throw format_error(where(path) + what + " holds " + std::to_string(v) + ", out of range");
  }
  return static_cast<T>(v);
}

template <class T>
std::vector<T> numbers(const cv::FileNode& node, const std::string& what, const std::filesystem::path& path) {
  if (!node.isSeq()) throw format_error(where(path) + what + " is not a list of numbers");
  std::vector<T> out;
  out.reserve(node.size());
  for (const cv::FileNode& item : node) out.push_back(number<T>(item, what, path));
  return out;
}

inline std::string shape_text(const std::vector<std::size_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// Class ids name folders and cascade slots: each must be non-empty and unique.
inline void check_class_ids(const std::vector<class_info>& classes, const std::string& where) {
  for (std::size_t i = 0; i < classes.size(); ++i) {
    if (classes[i].id.empty()) throw invalid_argument(where + "class " + std::to_string(i) + " has an empty id");
    for (std::size_t j = 0; j < i; ++j)
      if (classes[j].id == classes[i].id)
        throw invalid_argument(where + "classes " + std::to_string(j) + " and " + std::to_string(i) + " have the same id '" +
                               classes[i].id + "'");
  }
}

inline int storage_format(const std::filesystem::path& path) {
  std::string name = path.filename().string();
  if (name.size() > 3 && name.ends_with(".gz")) name.resize(name.size() - 3);
  if (name.ends_with(".json")) return cv::FileStorage::FORMAT_JSON;
  if (name.ends_with(".yml") || name.ends_with(".yaml")) return cv::FileStorage::FORMAT_YAML;
  throw invalid_argument("model file " + path.string() + ": the name must end in .yml, .yaml or .json (optionally .gz)");
}

}  // namespace detail

namespace detail {

// Fills a FileStorage in memory and writes its text through the checked atomic writer,
// gzip-compressed when the name ends in .gz: OpenCV's own file output does not report failed
// writes. OpenCV's exceptions while filling become io_error naming the file.
template <class Fill>
void write_file_storage(const std::filesystem::path& path, int format, Fill&& fill) {
  std::string text;
  try {
    cv::FileStorage fs(".yml", cv::FileStorage::WRITE | cv::FileStorage::MEMORY | format);
    fill(fs);
    text = fs.releaseAndGetString();
  } catch (const cv::Exception& e) {
    throw io_error("cannot write " + path.string() + ": " + e.what());
  }
  write_atomically(path, [&](output_file& file) { file.write(path.string().ends_with(".gz") ? gzip(text) : text); });
}

}  // namespace detail

template <class Net>
void save_model(const std::filesystem::path& path, Net& net, const model_metadata& meta) {
  const int format = detail::storage_format(path);
  if (meta.classes.size() != Net::classes)
    throw invalid_argument("save_model: " + std::to_string(meta.classes.size()) + " class names for a network with " +
                           std::to_string(Net::classes) + " outputs");
  detail::check_class_ids(meta.classes, "save_model: ");
  detail::write_file_storage(path, format, [&](cv::FileStorage& fs) {
    using shape = typename Net::input_shape;
    fs << "format" << "tarmac-model" << "version" << model_format_version;
    fs << "layout" << "NHWC" << "channel_order" << "BGR" << "resize" << "bilinear" << "scale" << 1.0 / 255.0;
    fs << "input" << std::vector<int>{int(shape::height), int(shape::width), int(shape::channels)};
    fs << "roi" << "{" << "top_fraction" << meta.roi.top_fraction << "top_offset" << meta.roi.top_offset
       << "bottom_margin" << meta.roi.bottom_margin << "bottom_fraction" << meta.roi.bottom_fraction
       << "left_fraction" << meta.roi.left_fraction << "right_fraction" << meta.roi.right_fraction << "}";
    fs << "classes" << "[";
    for (const class_info& c : meta.classes) fs << "{" << "id" << c.id << "label" << c.label << "}";
    fs << "]";
    fs << "notes" << meta.notes;
    fs << "architecture" << "[";
    for (const nn::layer_spec& l : Net::architecture()) {
      std::vector<int> arguments(l.arguments.begin(), l.arguments.end()), output(l.output.begin(), l.output.end());
      fs << "{" << "kind" << l.kind << "arguments" << arguments << "output" << output << "}";
    }
    fs << "]";
    fs << "parameters" << "[";
    net.for_each_parameter([&](std::size_t layer, const std::string& name, const std::vector<std::size_t>& shape,
                               auto values) {
      const std::vector<int> dims(shape.begin(), shape.end());
      const std::vector<float> data(values.begin(), values.end());
      fs << "{" << "layer" << int(layer) << "name" << name << "shape" << dims << "data" << data << "}";
    });
    fs << "]";
  });
}

namespace detail {

// The parsed file; its text is checked first (OpenCV's parsers hang on some damaged files).
inline cv::FileStorage parse_model_file(const std::filesystem::path& path) {
  cv::FileStorage fs;
  if (!fs.open(checked_model_text(path), cv::FileStorage::READ | cv::FileStorage::MEMORY))
    throw format_error(where(path) + "not a YAML or JSON file that OpenCV can read");
  const cv::FileNode root = fs.root();
  if (!root.isMap()) throw format_error(where(path) + "not a tarmac model file (the top level is not a map)");
  const cv::FileNode fmt = root["format"];
  if (!fmt.isString() || fmt.string() != "tarmac-model") throw format_error(where(path) + "not a tarmac model file ('format: tarmac-model' is missing)");
  const int version = detail::number<int>(child(root, "version", path, cv::FileNode::INT), "version", path);
  if (version != model_format_version)
    throw format_error(where(path) + "format version " + std::to_string(version) + ", this build reads version " +
                       std::to_string(model_format_version));
  // The preprocessing this build applies; a file that asks for another is refused, not run wrongly.
  for (const auto& [key, expected] :
       {std::pair<const char*, const char*>{"layout", "NHWC"}, {"channel_order", "BGR"}, {"resize", "bilinear"}}) {
    const std::string found = child(root, key, path, cv::FileNode::STRING).string();
    if (found != expected)
      throw format_error(where(path) + key + " is '" + found + "'; this build reads only '" + expected + "'");
  }
  const double scale = number<double>(child(root, "scale", path, cv::FileNode::REAL), "scale", path);
  if (!(std::abs(scale * 255.0 - 1.0) < 1e-6))
    throw format_error(where(path) + "scale is " + std::to_string(scale) +
                       "; this build scales 8-bit pixels by 1/255 (0.00392157) only");
  return fs;
}

// Input shape and layer list as the file records them.
inline std::vector<std::size_t> read_input(const cv::FileNode& root, const std::filesystem::path& path) {
  return detail::numbers<std::size_t>(child(root, "input", path, cv::FileNode::SEQ), "input", path);
}

inline std::vector<nn::layer_spec> read_architecture(const cv::FileNode& root, const std::filesystem::path& path) {
  const cv::FileNode arch = child(root, "architecture", path, cv::FileNode::SEQ);
  std::vector<nn::layer_spec> layers;
  for (std::size_t i = 0; i < arch.size(); ++i) {
    const cv::FileNode l = arch[int(i)];
    if (!l.isMap()) throw format_error(where(path) + "architecture layer " + std::to_string(i) + " is not a map");
    nn::layer_spec found{child(l, "kind", path, cv::FileNode::STRING).string(),
                         detail::numbers<std::size_t>(child(l, "arguments", path, cv::FileNode::SEQ), "arguments", path),
                         {}};
    const auto output = detail::numbers<std::size_t>(child(l, "output", path, cv::FileNode::SEQ), "output", path);
    if (output.size() != 3) throw format_error(where(path) + "layer " + std::to_string(i) + " output is not [h, w, c]");
    std::copy(output.begin(), output.end(), found.output.begin());
    layers.push_back(std::move(found));
  }
  return layers;
}

template <class Net>
std::vector<std::size_t> compiled_input() {
  using shape = typename Net::input_shape;
  return {shape::height, shape::width, shape::channels};
}

// Whether the file describes exactly the compiled network Net (for choosing among several).
template <class Net>
bool describes(const cv::FileNode& root, const std::filesystem::path& path) {
  return read_input(root, path) == compiled_input<Net>() && read_architecture(root, path) == Net::architecture();
}

// Classes, ROI and notes, checked (ids unique, an ROI that fits some frame).
inline model_metadata read_metadata(const cv::FileNode& root, const std::filesystem::path& path) {
  model_metadata meta;
  for (const cv::FileNode& c : child(root, "classes", path, cv::FileNode::SEQ)) {
    if (!c.isMap()) throw format_error(where(path) + "a class entry is not a map");
    meta.classes.push_back({child(c, "id", path, cv::FileNode::STRING).string(), child(c, "label", path, cv::FileNode::STRING).string()});
  }
  try {
    check_class_ids(meta.classes, where(path));
  } catch (const invalid_argument& e) {
    throw format_error(e.what());
  }
  const cv::FileNode roi = child(root, "roi", path, cv::FileNode::MAP);
  meta.roi.top_fraction = detail::number<double>(child(roi, "top_fraction", path, cv::FileNode::REAL), "roi top_fraction", path);
  meta.roi.top_offset = detail::number<int>(child(roi, "top_offset", path, cv::FileNode::INT), "roi top_offset", path);
  meta.roi.bottom_margin = detail::number<int>(child(roi, "bottom_margin", path, cv::FileNode::INT), "roi bottom_margin", path);
  // The fractions of the bottom and the sides came later: files without them keep RTK's full width.
  for (auto [key, value] : {std::pair{"bottom_fraction", &meta.roi.bottom_fraction}, {"left_fraction", &meta.roi.left_fraction},
                            {"right_fraction", &meta.roi.right_fraction}})
    if (!roi[key].empty()) *value = detail::number<double>(child(roi, key, path, cv::FileNode::REAL), std::string("roi ") + key, path);
  if (!meta.roi.fits_some_frame())
    throw format_error(where(path) + "its roi (" + meta.roi.to_string() + ") selects no part of any frame");
  if (const cv::FileNode notes = root["notes"]; notes.isString()) meta.notes = notes.string();
  return meta;
}

// Every parameter tensor as the file stores it, each value finite.
inline std::vector<stored_tensor> read_tensors(const cv::FileNode& root, const std::filesystem::path& path) {
  std::vector<stored_tensor> tensors;
  const cv::FileNode params = child(root, "parameters", path, cv::FileNode::SEQ);
  for (std::size_t index = 0; index < params.size(); ++index) {
    const std::string what = "parameter " + std::to_string(index);
    const cv::FileNode p = params[int(index)];
    if (!p.isMap()) throw format_error(where(path) + what + " is not a map");
    stored_tensor t;
    t.layer = detail::number<std::size_t>(child(p, "layer", path, cv::FileNode::INT), what + " layer", path);
    t.name = child(p, "name", path, cv::FileNode::STRING).string();
    t.shape = detail::numbers<std::size_t>(child(p, "shape", path, cv::FileNode::SEQ), what + " shape", path);
    t.data = detail::numbers<float>(child(p, "data", path, cv::FileNode::SEQ), what + " data", path);
    for (std::size_t i = 0; i < t.data.size(); ++i)
      if (!std::isfinite(t.data[i])) throw format_error(where(path) + what + " value " + std::to_string(i) + " is not finite");
    tensors.push_back(std::move(t));
  }
  return tensors;
}

inline std::size_t element_count(const std::vector<std::size_t>& shape) {
  std::size_t n = 1;
  for (std::size_t d : shape) n *= d;
  return n;
}

template <class Net>
model_metadata read_model(const cv::FileNode& root, const std::filesystem::path& path, Net& net) {
  const auto input = read_input(root, path);
  if (input != compiled_input<Net>())
    throw format_error(where(path) + "input is " + detail::shape_text(input) + ", the network takes " +
                       detail::shape_text(compiled_input<Net>()));
  // Architecture, layer by layer: the first difference is the error.
  const auto compiled = Net::architecture();
  const auto found = read_architecture(root, path);
  if (found.size() != compiled.size())
    throw format_error(where(path) + "architecture has " + std::to_string(found.size()) + " layers, the network has " +
                       std::to_string(compiled.size()) + " (" + compiled.front().to_string() + ", ...)");
  for (std::size_t i = 0; i < compiled.size(); ++i)
    if (!(found[i] == compiled[i]))
      throw format_error(where(path) + "layer " + std::to_string(i) + " is " + found[i].to_string() + ", expected " +
                         compiled[i].to_string());
  model_metadata meta = read_metadata(root, path);
  if (meta.classes.size() != Net::classes)
    throw format_error(where(path) + std::to_string(meta.classes.size()) + " classes, the network has " +
                       std::to_string(Net::classes) + " outputs");

  // Parameters: every tensor in order, shapes and sizes checked, into a copy first.
  const std::vector<stored_tensor> tensors = read_tensors(root, path);
  std::vector<typename Net::scalar> staged(net.parameters().begin(), net.parameters().end());
  std::size_t index = 0;
  const auto base = net.parameters().data();
  net.for_each_parameter([&](std::size_t layer, const std::string& name, const std::vector<std::size_t>& shape,
                             auto values) {
    const std::string what = "parameter " + std::to_string(index) + " (layer " + std::to_string(layer) + " " + name + ")";
    if (index >= tensors.size()) throw format_error(where(path) + "parameters end before " + what + " (truncated?)");
    const stored_tensor& t = tensors[index++];
    if (t.layer != layer || t.name != name || t.shape != shape)
      throw format_error(where(path) + what + ": found layer " + std::to_string(t.layer) + " " + t.name + " " +
                         detail::shape_text(t.shape) + ", expected " + detail::shape_text(shape));
    if (t.data.size() != values.size())
      throw format_error(where(path) + what + " has " + std::to_string(t.data.size()) + " values, expected " +
                         std::to_string(values.size()) + " (truncated?)");
    std::copy(t.data.begin(), t.data.end(), staged.begin() + (values.data() - base));
  });
  if (index != tensors.size())
    throw format_error(where(path) + std::to_string(tensors.size()) + " parameter tensors, the network has " + std::to_string(index));
  std::copy(staged.begin(), staged.end(), net.parameters().begin());
  return meta;
}

// Runs a reader of a model file (or, by kind, another FileStorage file), turning what OpenCV's
// parser throws on damaged input into format_error.
template <class Reader>
auto guard_parser(const std::filesystem::path& path, Reader&& reader, const std::string& kind = "model file") {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw io_error("cannot read " + kind + " " + path.string() + ": no such file");
  try {
    return reader();
  } catch (const error&) {
    throw;
  } catch (const cv::Exception& e) {
    throw format_error(kind + " " + path.string() + ": unreadable (" + e.msg + ")");
  } catch (const std::exception& e) {  // OpenCV also lets std::length_error and the like through
    throw format_error(kind + " " + path.string() + ": unreadable (" + e.what() + ")");
  }
}

}  // namespace detail

// Reads any model file, checked as load_model checks it, without fitting it to a network.
inline stored_model read_stored_model(const std::filesystem::path& path) {
  return detail::guard_parser(path, [&] {
    const cv::FileStorage fs = detail::parse_model_file(path);
    const cv::FileNode root = fs.root();
    stored_model m{detail::read_metadata(root, path), detail::read_input(root, path), detail::read_architecture(root, path),
                   detail::read_tensors(root, path)};
    for (const stored_tensor& t : m.tensors)
      if (t.layer >= m.architecture.size() || t.data.size() != detail::element_count(t.shape))
        throw format_error(detail::where(path) + "parameter of layer " + std::to_string(t.layer) + " " + t.name +
                           " does not fit the architecture or its own shape");
    return m;
  });
}

// Transfer learning: copies into net the parameters of the layers the two networks share from
// the input on (the longest run of equal layers: kind, arguments, output shape), up to layer
// `until`, and leaves the rest as net has them (freshly initialised). Returns the layers copied.
template <class Net>
std::vector<std::size_t> transfer_parameters(const stored_model& from, Net& net, std::size_t until = std::size_t(-1)) {
  const auto compiled = Net::architecture();
  if (from.input != detail::compiled_input<Net>())
    throw invalid_argument("transfer_parameters: the model's input is " + detail::shape_text(from.input) +
                           ", the network takes " + detail::shape_text(detail::compiled_input<Net>()));
  std::size_t shared = 0;
  while (shared < compiled.size() && shared < from.architecture.size() && from.architecture[shared] == compiled[shared]) ++shared;
  std::vector<std::size_t> copied;
  net.for_each_parameter([&](std::size_t layer, const std::string& name, const std::vector<std::size_t>& shape, auto values) {
    if (layer >= std::min(until, shared)) return;
    for (const stored_tensor& t : from.tensors)
      if (t.layer == layer && t.name == name && t.shape == shape) {
        std::copy(t.data.begin(), t.data.end(), values.begin());
        if (copied.empty() || copied.back() != layer) copied.push_back(layer);
      }
  });
  return copied;
}

// Loads the parameters into net (which must be the architecture the file was saved from) and
// returns the metadata. net is only changed when the whole file checks out.
template <class Net>
model_metadata load_model(const std::filesystem::path& path, Net& net) {
  return detail::guard_parser(path, [&] {
    const cv::FileStorage fs = detail::parse_model_file(path);
    return detail::read_model(fs.root(), path, net);
  });
}

}  // namespace tarmac::surface
