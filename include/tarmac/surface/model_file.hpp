#pragma once
// Model files: a trained network with what it takes to use it as a road-surface classifier. The
// file format, the parameters and their checks are nn/io's (docs/model-format.md); this file adds
// the classifier's metadata as top-level keys of the header through nn/io's metadata hook: the
// preprocessing (layout, channel order, resize, scale), the ROI, the classes and notes. Loading
// refuses a file whose preprocessing this build does not apply, and checks the classes against
// the network's outputs before the network is changed.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "tarmac/core/error.hpp"
#include "tarmac/core/labels.hpp"
#include "tarmac/core/text_tree.hpp"
#include "tarmac/image/roi.hpp"
#include "tarmac/nn/io.hpp"
#include "tarmac/nn/shape.hpp"

namespace tarmac::surface {

using nn::model_format_version;  // written; versions 1 and 2 are read

// What a model file carries besides the parameters.
struct model_metadata {
  std::vector<class_info> classes;  // in output order
  image::roi_rule roi;
  std::string notes;  // free text: how it was trained
};

using nn::stored_tensor;

// A model file read without a compiled network to hold it: for transfer learning between
// networks that share some layers (transfer_parameters).
struct stored_model {
  model_metadata meta;
  std::vector<std::size_t> input;  // [height, width, channels]
  std::vector<nn::layer_spec> architecture;
  std::vector<stored_tensor> tensors;
};

namespace detail {

using nn::detail::crc32_of;
using nn::detail::hex32;
using nn::detail::payload_start;

// The header format a model file name asks for (invalid_argument for another name): tools check
// an output name with it before they train.
inline text_format storage_format(const std::filesystem::path& path) { return nn::header_format(path); }

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

// The classifier's keys, in the order files have always had them.
inline text_node metadata_node(const model_metadata& meta) {
  text_node m;
  m.add("layout", "NHWC");
  m.add("channel_order", "BGR");
  m.add("resize", "bilinear");
  m.add("scale", 1.0 / 255.0);
  text_node& roi = m.add("roi", text_node());
  roi.add("top_fraction", meta.roi.top_fraction);
  roi.add("top_offset", meta.roi.top_offset);
  roi.add("bottom_margin", meta.roi.bottom_margin);
  roi.add("bottom_fraction", meta.roi.bottom_fraction);
  roi.add("left_fraction", meta.roi.left_fraction);
  roi.add("right_fraction", meta.roi.right_fraction);
  text_node& classes = m.add("classes", text_node::sequence());
  for (const class_info& c : meta.classes) {
    text_node& entry = classes.push_back(text_node());
    entry.add("id", c.id);
    entry.add("label", c.label);
  }
  m.add("notes", meta.notes);
  return m;
}

// The preprocessing this build applies (a file that asks for another is refused, not run wrongly),
// then classes, ROI and notes, checked (ids unique, an ROI that fits some frame).
inline model_metadata read_metadata(const nn::header_reader& h) {
  for (const auto& [key, expected] :
       {std::pair<const char*, const char*>{"layout", "NHWC"}, {"channel_order", "BGR"}, {"resize", "bilinear"}}) {
    const std::string& found = h.string(key);
    if (found != expected) h.fail(std::string(key) + " is '" + found + "'; this build reads only '" + expected + "'");
  }
  const double scale = h.number<double>("scale");
  if (!(std::abs(scale * 255.0 - 1.0) < 1e-6))
    h.fail("scale is " + std::to_string(scale) + "; this build scales 8-bit pixels by 1/255 (0.00392157) only");
  model_metadata meta;
  for (const text_node& c : h.child("classes", text_node::kind::sequence).children()) {
    if (c.type() != text_node::kind::map) h.fail("a class entry is not a map");
    const nn::header_reader entry(c, h.where());
    meta.classes.push_back({entry.string("id"), entry.string("label")});
  }
  try {
    check_class_ids(meta.classes, h.where());
  } catch (const invalid_argument& e) {
    throw format_error(e.what());
  }
  const nn::header_reader roi = h.map("roi");
  meta.roi.top_fraction = roi.number<double>("top_fraction", "roi top_fraction");
  meta.roi.top_offset = roi.number<int>("top_offset", "roi top_offset");
  meta.roi.bottom_margin = roi.number<int>("bottom_margin", "roi bottom_margin");
  // The fractions of the bottom and the sides came later: files without them keep RTK's full width.
  for (auto [key, value] : {std::pair{"bottom_fraction", &meta.roi.bottom_fraction}, {"left_fraction", &meta.roi.left_fraction},
                            {"right_fraction", &meta.roi.right_fraction}})
    if (roi.has(key)) *value = roi.number<double>(key, std::string("roi ") + key);
  if (!meta.roi.fits_some_frame()) h.fail("its roi (" + meta.roi.to_string() + ") selects no part of any frame");
  if (const text_node* notes = h.node().find("notes"); notes && notes->type() == text_node::kind::string) meta.notes = notes->string();
  return meta;
}

// Loads a checked file into net with its metadata, which must name as many classes as net has outputs.
template <class Net>
model_metadata read_model(const nn::parameter_file& file, Net& net) {
  return file.load_into(net, [](const nn::header_reader& h) {
    model_metadata meta = read_metadata(h);
    if (meta.classes.size() != Net::classes)
      h.fail(std::to_string(meta.classes.size()) + " classes, the network has " + std::to_string(Net::classes) + " outputs");
    return meta;
  });
}

}  // namespace detail

// Saves net with its classes, ROI and notes (YAML or JSON by the name, .gz for a gzip file),
// replacing `path` only when the file is complete.
template <class Net>
void save_model(const std::filesystem::path& path, Net& net, const model_metadata& meta) {
  nn::header_format(path);  // a bad name is the first error, before the metadata's
  if (meta.classes.size() != Net::classes)
    throw invalid_argument("save_model: " + std::to_string(meta.classes.size()) + " class names for a network with " +
                           std::to_string(Net::classes) + " outputs");
  detail::check_class_ids(meta.classes, "save_model: ");
  nn::save_parameters(path, net, detail::metadata_node(meta));
}

// Reads any model file, checked as load_model checks it, without fitting it to a network.
inline stored_model read_stored_model(const std::filesystem::path& path) {
  const nn::parameter_file file(path);
  stored_model m{detail::read_metadata(file.header()), file.input(), file.architecture(), {}};
  for (std::size_t i = 0; i < file.tensors().size(); ++i) {
    const nn::tensor_entry& t = file.tensors()[i];
    stored_tensor& out = m.tensors.emplace_back(stored_tensor{t.layer, t.name, t.shape, std::vector<float>(t.count)});
    file.read_values(i, std::span<float>(out.data));
  }
  return m;
}

// Transfer learning: copies into net the parameters of the layers the two networks share from
// the input on (the longest run of equal layers: kind, arguments, output shape), up to layer
// `until`, and leaves the rest as net has them (freshly initialised). Returns the layers copied.
template <class Net>
std::vector<std::size_t> transfer_parameters(const stored_model& from, Net& net, std::size_t until = std::size_t(-1)) {
  const auto compiled = Net::architecture();
  const auto input = nn::detail::compiled_input<Net>();
  if (from.input != input)
    throw invalid_argument("transfer_parameters: the model's input is " + nn::detail::shape_text(from.input) + ", the network takes " +
                           nn::detail::shape_text(input));
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
  return detail::read_model(nn::parameter_file(path), net);
}

}  // namespace tarmac::surface
