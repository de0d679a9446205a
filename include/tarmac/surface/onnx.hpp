#pragma once
// A road-surface classifier as an ONNX file (nn/onnx.hpp): the network, and in the model's
// metadata_props what it takes to use it, so that a deployment needs nothing else:
//   tarmac.model   the model file's metadata keys as JSON (classes with ids and labels, the ROI
//                  rule, preprocessing, notes; surface/model_file.hpp reads them back)
//   tarmac.input   the input tensor in words (layout, channel order, scale, ROI, resize)
//   classes        the class ids in output order, comma-separated, for a quick look
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tarmac/core/checked_text.hpp"
#include "tarmac/core/text_tree.hpp"
#include "tarmac/nn/onnx.hpp"
#include "tarmac/surface/model_file.hpp"

namespace tarmac::surface {

inline std::vector<std::pair<std::string, std::string>> onnx_metadata(const model_metadata& meta,
                                                                      const std::vector<std::size_t>& input) {
  std::string ids;
  for (const class_info& c : meta.classes) ids += (ids.empty() ? "" : ",") + c.id;
  const std::string size = std::to_string(input.at(0)) + "x" + std::to_string(input.at(1));
  return {{"tarmac.model", write_text(detail::metadata_node(meta), text_format::json)},
          {"tarmac.input", "NCHW float32 [N, " + std::to_string(input.at(2)) + ", " + std::to_string(input.at(0)) + ", " +
                               std::to_string(input.at(1)) + "], BGR, 8-bit values / 255, of the frame's ROI (" + meta.roi.to_string() +
                               ") resized to " + size + " (bilinear); the output is N x classes probabilities"},
          {"classes", ids}};
}

// The classifier's metadata an ONNX file holds (tarmac.model), or none when it holds none;
// format_error starting with `where` when it is there but damaged.
inline std::optional<model_metadata> read_onnx_metadata(const nn::onnx_model& m, const std::string& where) {
  for (const auto& [key, value] : m.metadata)
    if (key == "tarmac.model") {
      const std::string here = where + "metadata_props tarmac.model: ";
      return detail::read_metadata(nn::header_reader(parse_text(value, here), here));
    }
  return std::nullopt;
}

// Writes net with its classes and ROI as an ONNX file (see nn/onnx.hpp for the graph).
template <class Net>
void export_onnx(const std::filesystem::path& path, Net& net, const model_metadata& meta) {
  nn::save_onnx(path, nn::onnx_model_of(net, onnx_metadata(meta, nn::detail::compiled_input<Net>())));
}

// Writes any model file read by read_stored_model as an ONNX file, without a compiled network;
// invalid_argument naming the first layer ONNX has no operator for.
inline void export_onnx(const std::filesystem::path& path, const stored_model& model) {
  nn::save_onnx(path, {model.input, model.architecture, model.tensors, onnx_metadata(model.meta, model.input)});
}

}  // namespace tarmac::surface
