#pragma once
// Model files: a trained network with what it takes to use it (classes, preprocessing). Format
// version 2 is a header of YAML (.yml, .yaml) or JSON (.json) written and read by cv::FileStorage
// (metadata, architecture, where each tensor lies), then a binary payload of little-endian
// float32 values with a CRC-32; the whole file is gzip-wrapped (stored, not compressed) when the
// name ends in .gz. Version-1 files (all text, values as decimals) still load.
// Reading checks the header text first (core/checked_text.hpp): OpenCV's parsers hang on some damaged files.
// The layout is documented in docs/model-format.md so that weights trained elsewhere can be
// converted (tools/torch_to_tarmac.py). Loading checks everything against the compiled network
// and reports the first difference as tarmac::format_error; files are written atomically.
#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <span>
#include <type_traits>
#include <string>
#include <string_view>
#include <vector>

#include <opencv2/core.hpp>
#include <zlib.h>

#include "tarmac/core/checked_text.hpp"
#include "tarmac/core/error.hpp"
#include "tarmac/core/files.hpp"
#include "tarmac/core/gzip.hpp"
#include "tarmac/core/labels.hpp"
#include "tarmac/image/roi.hpp"
#include "tarmac/nn/shape.hpp"

namespace tarmac::surface {

inline constexpr int model_format_version = 2;  // written; versions 1 and 2 are read

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

// A model file split into its parts (docs/model-format.md): the header text, which ends at the
// first NUL byte (version 1 files have none and are all header), NUL padding up to the next
// multiple of 64 bytes, then the binary payload to the end of the file.
inline constexpr std::size_t payload_alignment = 64;

inline std::size_t payload_start(std::size_t header_size) {
  return (header_size / payload_alignment + 1) * payload_alignment;  // at least one NUL ends the header
}

struct model_file_bytes {
  std::string bytes;
  std::size_t header_size = 0;
  bool has_payload = false;

  std::string header() const { return bytes.substr(0, header_size); }
  std::string_view payload() const {
    return has_payload ? std::string_view(bytes).substr(payload_start(header_size)) : std::string_view();
  }
};

// Reads a model file (or, by kind, a cascade file: all header), checks its header text and the padding after it.
inline model_file_bytes checked_model_file(const std::filesystem::path& path, const std::string& kind = "model file") {
  const std::string where = kind + " " + path.string() + ": ";
  model_file_bytes file{tarmac::detail::read_whole_file(path, kind), 0, false};
  const std::size_t nul = file.bytes.find('\0');
  file.has_payload = nul != std::string::npos;
  file.header_size = file.has_payload ? nul : file.bytes.size();
  if (const std::string problem = tarmac::detail::text_problem(file.header()); !problem.empty()) throw format_error(where + problem);
  if (file.has_payload) {
    const std::size_t start = payload_start(nul);
    if (file.bytes.size() < start)
      throw format_error(where + "ends " + std::to_string(file.bytes.size() - nul) +
                         " bytes after its header, inside the padding before the payload (truncated?)");
    if (file.bytes.find_first_not_of('\0', nul) < start)
      throw format_error(where + "the padding between header and payload holds other bytes than NUL (damaged?)");
  }
  return file;
}

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

// The text of a FileStorage filled in memory; OpenCV's exceptions while filling become io_error naming the file.
template <class Fill>
std::string file_storage_text(const std::filesystem::path& path, int format, Fill&& fill) {
  try {
    cv::FileStorage fs(".yml", cv::FileStorage::WRITE | cv::FileStorage::MEMORY | format);
    fill(fs);
    return fs.releaseAndGetString();
  } catch (const cv::Exception& e) {
    throw io_error("cannot write " + path.string() + ": " + e.what());
  }
}

// Fills a FileStorage in memory and writes its text through the checked atomic writer,
// gzip-compressed when the name ends in .gz: OpenCV's own file output does not report failed writes.
template <class Fill>
void write_file_storage(const std::filesystem::path& path, int format, Fill&& fill) {
  const std::string text = file_storage_text(path, format, std::forward<Fill>(fill));
  write_atomically(path, [&](output_file& file) { file.write(path.string().ends_with(".gz") ? gzip(text) : text); });
}

static_assert(std::endian::native == std::endian::little,
              "tarmac model files store little-endian float32 values: this build supports little-endian machines only");

inline std::uint32_t crc32_of(std::string_view bytes) {
  uLong crc = ::crc32_z(0, nullptr, 0);
  return std::uint32_t(::crc32_z(crc, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size()));
}

inline std::string hex32(std::uint32_t v) {
  char text[9];
  for (int i = 7; i >= 0; --i, v >>= 4) text[i] = "0123456789abcdef"[v & 15];
  return std::string(text, 8);
}

// Appends values as little-endian float32.
template <class T>
void append_float32(std::string& out, std::span<const T> values) {
  if constexpr (std::is_same_v<T, float>) {
    out.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
  } else {
    for (const T v : values) {
      const float f = static_cast<float>(v);
      out.append(reinterpret_cast<const char*>(&f), sizeof f);
    }
  }
}

}  // namespace detail

template <class Net>
void save_model(const std::filesystem::path& path, Net& net, const model_metadata& meta) {
  const int format = detail::storage_format(path);
  if (meta.classes.size() != Net::classes)
    throw invalid_argument("save_model: " + std::to_string(meta.classes.size()) + " class names for a network with " +
                           std::to_string(Net::classes) + " outputs");
  detail::check_class_ids(meta.classes, "save_model: ");
  // The payload first: the header records its size, its checksum and where each tensor lies.
  std::string payload;
  payload.reserve(net.parameters().size() * sizeof(float));
  std::vector<int> offsets;
  net.for_each_parameter([&](std::size_t, const std::string&, const std::vector<std::size_t>&, auto values) {
    offsets.push_back(int(payload.size()));
    detail::append_float32(payload, std::span<const typename Net::scalar>(values));
  });
  if (payload.size() >= tarmac::detail::max_checked_text)
    throw invalid_argument("save_model: " + std::to_string(payload.size() >> 20) + " MiB of parameters; a model file holds at most 1 GiB");
  std::string file = detail::file_storage_text(path, format, [&](cv::FileStorage& fs) {
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
    std::size_t index = 0;
    net.for_each_parameter([&](std::size_t layer, const std::string& name, const std::vector<std::size_t>& shape, auto) {
      const std::vector<int> dims(shape.begin(), shape.end());
      fs << "{" << "layer" << int(layer) << "name" << name << "shape" << dims << "offset" << offsets[index++] << "}";
    });
    fs << "]";
    fs << "payload" << "{" << "encoding" << "float32le" << "bytes" << int(payload.size()) << "crc32"
       << detail::hex32(detail::crc32_of(payload)) << "}";
  });
  file.resize(detail::payload_start(file.size()), '\0');
  // A .gz name keeps giving a gzip file, but stored (level 0): float32 values compress by some 7 %
  // at the cost of a tenth to half a second per save and load (bench/RESULTS.md, issue 16).
  const bool gz = path.string().ends_with(".gz");
  if (gz) file += payload;
  write_atomically(path, [&](output_file& out) {
    if (gz) return out.write(gzip(file, Z_NO_COMPRESSION));
    out.write(file);
    out.write(payload);
  });
}

namespace detail {

// One parameter tensor of a file: its entry in the header and where its values lie in the payload.
struct tensor_entry {
  std::size_t layer = 0;
  std::string name;  // "weights" or "biases"
  std::vector<std::size_t> shape;
  std::size_t count = 0;   // values: the product of shape
  std::size_t offset = 0;  // bytes from the start of the payload
};

// A model file read and checked as far as it can be without a network: header keys, every tensor
// inside the payload, the checksum, every value finite. Version 1's decimal values are laid out
// here as a version-2 payload, so that what follows reads both versions alike.
struct parsed_model_file {
  cv::FileStorage fs;
  int version = 0;
  std::vector<tensor_entry> tensors;
  model_file_bytes file;  // version 1: bytes holds the payload made from the text

  cv::FileNode root() const { return fs.root(); }
  std::string_view payload() const { return version == 1 ? std::string_view(file.bytes) : file.payload(); }
};

// The number of values of a tensor of this shape, or none when it exceeds `limit` (no overflow).
inline std::optional<std::size_t> element_count(const std::vector<std::size_t>& shape, std::size_t limit) {
  std::size_t n = 1;
  for (std::size_t d : shape) {
    if (d != 0 && n > limit / d) return std::nullopt;
    n *= d;
  }
  return n;
}

// Index of the first float32 of `bytes` that is infinite or NaN (exponent bits all set), else npos.
inline std::size_t first_non_finite(std::string_view bytes) {
  constexpr std::uint32_t exponent = 0x7f800000u;
  const std::size_t n = bytes.size() / 4, block = 1024;
  for (std::size_t start = 0; start < n; start += block) {  // a branch-free block first, so it vectorises
    const std::size_t end = std::min(n, start + block);
    bool bad = false;
    for (std::size_t i = start; i < end; ++i) {
      std::uint32_t w;
      std::memcpy(&w, bytes.data() + 4 * i, 4);
      bad |= (w & exponent) == exponent;
    }
    if (!bad) continue;
    for (std::size_t i = start; i < end; ++i) {
      std::uint32_t w;
      std::memcpy(&w, bytes.data() + 4 * i, 4);
      if ((w & exponent) == exponent) return i;
    }
  }
  return std::string_view::npos;
}

// Version 2: the payload's size and checksum as the header declares them.
inline void check_payload(const cv::FileNode& root, std::string_view payload, const std::filesystem::path& path) {
  const cv::FileNode p = child(root, "payload", path, cv::FileNode::MAP);
  const std::string encoding = child(p, "encoding", path, cv::FileNode::STRING).string();
  if (encoding != "float32le") throw format_error(where(path) + "payload encoding is '" + encoding + "'; this build reads only 'float32le'");
  const auto bytes = number<std::size_t>(child(p, "bytes", path, cv::FileNode::INT), "payload bytes", path);
  if (bytes != payload.size())
    throw format_error(where(path) + "the header declares a payload of " + std::to_string(bytes) + " bytes, the file holds " +
                       std::to_string(payload.size()) + (payload.size() < bytes ? " (truncated?)" : " (bytes appended?)"));
  const std::string crc = child(p, "crc32", path, cv::FileNode::STRING).string();
  std::uint32_t declared = 0;
  const auto [end, ec] = std::from_chars(crc.data(), crc.data() + crc.size(), declared, 16);
  if (crc.size() != 8 || ec != std::errc() || end != crc.data() + crc.size())
    throw format_error(where(path) + "payload crc32 '" + crc + "' is not 8 hexadecimal digits");
  if (const std::uint32_t found = crc32_of(payload); found != declared)
    throw format_error(where(path) + "the payload's CRC-32 is " + hex32(found) + ", the header says " + crc + " (damaged?)");
}

// Every tensor's entry, checked to lie inside the payload (whose size bounds every allocation
// that follows, however large the shapes a damaged header declares) and to hold finite values.
inline std::vector<tensor_entry> read_tensor_entries(parsed_model_file& m, const std::filesystem::path& path) {
  if (m.version >= 2) check_payload(m.root(), m.file.payload(), path);
  const cv::FileNode params = child(m.root(), "parameters", path, cv::FileNode::SEQ);
  std::string v1_payload;  // version 1: the values parsed from text
  std::vector<tensor_entry> tensors;
  for (std::size_t index = 0; index < params.size(); ++index) {
    const std::string what = "parameter " + std::to_string(index);
    const cv::FileNode p = params[int(index)];
    if (!p.isMap()) throw format_error(where(path) + what + " is not a map");
    tensor_entry t;
    t.layer = detail::number<std::size_t>(child(p, "layer", path, cv::FileNode::INT), what + " layer", path);
    t.name = child(p, "name", path, cv::FileNode::STRING).string();
    t.shape = detail::numbers<std::size_t>(child(p, "shape", path, cv::FileNode::SEQ), what + " shape", path);
    const auto count = element_count(t.shape, tarmac::detail::max_checked_text / 4);
    if (!count) throw format_error(where(path) + what + " shape " + shape_text(t.shape) + " holds more values than a model file can");
    t.count = *count;
    if (m.version == 1) {
      const cv::FileNode data = child(p, "data", path, cv::FileNode::SEQ);
      if (data.size() != t.count)
        throw format_error(where(path) + what + " has " + std::to_string(data.size()) + " values, expected " +
                           std::to_string(t.count) + " for its shape " + shape_text(t.shape) +
                           (data.size() < t.count ? " (truncated?)" : ""));
      t.offset = v1_payload.size();
      const std::vector<float> values = detail::numbers<float>(data, what + " data", path);
      append_float32(v1_payload, std::span<const float>(values));
    } else {
      t.offset = detail::number<std::size_t>(child(p, "offset", path, cv::FileNode::INT), what + " offset", path);
      const std::size_t size = m.file.payload().size();
      if (t.offset % 4 != 0 || t.offset > size || t.count > (size - t.offset) / 4)
        throw format_error(where(path) + what + " (" + std::to_string(t.count) + " values at byte " + std::to_string(t.offset) +
                           ") does not lie inside the " + std::to_string(size) + "-byte payload on a 4-byte boundary");
    }
    tensors.push_back(std::move(t));
  }
  if (m.version == 1) m.file = {std::move(v1_payload), 0, false};
  for (std::size_t index = 0; index < tensors.size(); ++index) {
    const tensor_entry& t = tensors[index];
    if (const std::size_t i = first_non_finite(m.payload().substr(t.offset, t.count * 4)); i != std::string_view::npos)
      throw format_error(where(path) + "parameter " + std::to_string(index) + " value " + std::to_string(i) + " is not finite");
  }
  return tensors;
}

// The parsed file; its header text is checked first (OpenCV's parsers hang on some damaged files).
inline parsed_model_file parse_model_file(const std::filesystem::path& path) {
  parsed_model_file m{{}, 0, {}, checked_model_file(path)};
  if (!m.fs.open(m.file.header(), cv::FileStorage::READ | cv::FileStorage::MEMORY))
    throw format_error(where(path) + "not a YAML or JSON file that OpenCV can read");
  const cv::FileNode root = m.fs.root();
  if (!root.isMap()) throw format_error(where(path) + "not a tarmac model file (the top level is not a map)");
  const cv::FileNode fmt = root["format"];
  if (!fmt.isString() || fmt.string() != "tarmac-model") throw format_error(where(path) + "not a tarmac model file ('format: tarmac-model' is missing)");
  m.version = detail::number<int>(child(root, "version", path, cv::FileNode::INT), "version", path);
  if (m.version < 1 || m.version > model_format_version)
    throw format_error(where(path) + "format version " + std::to_string(m.version) + ", this build reads versions 1 to " +
                       std::to_string(model_format_version));
  if (m.version == 1 && m.file.has_payload)
    throw format_error(where(path) + "a version-1 file has no binary part, but a NUL byte follows its first " +
                       std::to_string(m.file.header_size) + " bytes");
  if (m.version >= 2 && !m.file.has_payload)
    throw format_error(where(path) + "the binary payload after the header is missing (truncated?)");
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
  m.tensors = read_tensor_entries(m, path);
  return m;
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

// Copies count float32 values from bytes into out.
template <class T>
void copy_float32(std::string_view bytes, std::size_t count, T* out) {
  if constexpr (std::is_same_v<T, float>) {
    std::memcpy(out, bytes.data(), count * sizeof(float));
  } else {
    for (std::size_t i = 0; i < count; ++i) {
      float f;
      std::memcpy(&f, bytes.data() + 4 * i, sizeof f);
      out[i] = static_cast<T>(f);
    }
  }
}

template <class Net>
model_metadata read_model(const parsed_model_file& m, const std::filesystem::path& path, Net& net) {
  const cv::FileNode root = m.root();
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

  // Parameters: every tensor in order with the network's shape (parse_model_file checked that
  // each lies inside the payload and is finite), all checked before the first is copied, so an
  // error leaves net untouched.
  std::size_t index = 0;
  net.for_each_parameter([&](std::size_t layer, const std::string& name, const std::vector<std::size_t>& shape, auto) {
    const std::string what = "parameter " + std::to_string(index) + " (layer " + std::to_string(layer) + " " + name + ")";
    if (index >= m.tensors.size()) throw format_error(where(path) + "parameters end before " + what + " (truncated?)");
    const tensor_entry& t = m.tensors[index++];
    if (t.layer != layer || t.name != name || t.shape != shape)
      throw format_error(where(path) + what + ": found layer " + std::to_string(t.layer) + " " + t.name + " " +
                         detail::shape_text(t.shape) + ", expected " + detail::shape_text(shape));
  });
  if (index != m.tensors.size())
    throw format_error(where(path) + std::to_string(m.tensors.size()) + " parameter tensors, the network has " + std::to_string(index));
  index = 0;
  net.for_each_parameter([&](std::size_t, const std::string&, const std::vector<std::size_t>&, auto values) {
    const tensor_entry& t = m.tensors[index++];
    copy_float32(m.payload().substr(t.offset), t.count, values.data());
  });
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
    const detail::parsed_model_file file = detail::parse_model_file(path);
    const cv::FileNode root = file.root();
    stored_model m{detail::read_metadata(root, path), detail::read_input(root, path), detail::read_architecture(root, path), {}};
    for (const detail::tensor_entry& t : file.tensors) {
      if (t.layer >= m.architecture.size())
        throw format_error(detail::where(path) + "parameter of layer " + std::to_string(t.layer) + " " + t.name +
                           ": the architecture has " + std::to_string(m.architecture.size()) + " layers");
      stored_tensor& out = m.tensors.emplace_back(stored_tensor{t.layer, t.name, t.shape, std::vector<float>(t.count)});
      detail::copy_float32(file.payload().substr(t.offset), t.count, out.data.data());
    }
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
    return detail::read_model(detail::parse_model_file(path), path, net);
  });
}

}  // namespace tarmac::surface
