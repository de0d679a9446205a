#pragma once
// Parameter files: any compiled network's parameters in tarmac's model-file format
// (docs/model-format.md), without OpenCV. Version 2 is a header of YAML (.yml, .yaml) or JSON
// (.json) holding the architecture and where each tensor lies, NUL padding to a multiple of 64
// bytes, then the tensors as little-endian float32 with a CRC-32; a .gz name wraps it all in a
// stored (level 0) gzip stream. Version 1 (all text, values as decimals) still loads.
//
// This part knows the keys format, version, input, architecture, parameters and payload. Other
// top-level keys are the caller's metadata hook: a map written after format and version on saving,
// and a reader called with the parsed header on loading (surface/model_file.hpp keeps the
// classifier's classes, ROI and preprocessing there). Loading checks everything against the
// compiled network before it changes it, and reports the first difference as a format_error
// naming the file; files are written atomically.
#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <zlib.h>

#include "tarmac/core/checked_text.hpp"
#include "tarmac/core/error.hpp"
#include "tarmac/core/files.hpp"
#include "tarmac/core/gzip.hpp"
#include "tarmac/core/text_tree.hpp"
#include "tarmac/nn/shape.hpp"

namespace tarmac::nn {

inline constexpr int model_format_version = 2;  // written; versions 1 and 2 are read

// The header format a file name asks for: .yml or .yaml is YAML, .json is JSON, each optionally .gz.
inline text_format header_format(const std::filesystem::path& path) {
  std::string name = path.filename().string();
  if (name.size() > 3 && name.ends_with(".gz")) name.resize(name.size() - 3);
  if (name.ends_with(".json")) return text_format::json;
  if (name.ends_with(".yml") || name.ends_with(".yaml")) return text_format::yaml;
  throw invalid_argument("model file " + path.string() + ": the name must end in .yml, .yaml or .json (optionally .gz)");
}

// A node of a parsed header with checked access: every error is a format_error that starts with
// `where` ("model file x.yml: ") and names the key. What a metadata reader is given.
class header_reader {
 public:
  header_reader(const text_node& node, std::string where) : node_(&node), where_(std::move(where)) {}

  const text_node& node() const { return *node_; }
  const std::string& where() const { return where_; }
  [[noreturn]] void fail(const std::string& what) const { throw format_error(where_ + what); }

  // Whether the node is a map that has `key`.
  bool has(std::string_view key) const { return node_->find(key) != nullptr; }

  const text_node& child(const std::string& key, text_node::kind kind) const {
    const text_node* c = node_->type() == text_node::kind::map ? node_->find(key) : nullptr;
    if (!c) fail("'" + key + "' is missing");
    if (c->type() != kind) fail("'" + key + "' has the wrong type");
    return *c;
  }
  header_reader map(const std::string& key) const { return {child(key, text_node::kind::map), where_}; }
  const std::string& string(const std::string& key) const { return child(key, text_node::kind::string).string(); }
  template <class T>
  T number(const std::string& key, const std::string& what) const {
    return number_of<T>(child(key, text_node::kind::number), what);
  }
  template <class T>
  T number(const std::string& key) const { return number<T>(key, key); }
  template <class T>
  std::vector<T> numbers(const std::string& key, const std::string& what) const {
    const text_node& list = child(key, text_node::kind::sequence);
    std::vector<T> out;
    out.reserve(list.children().size());
    for (const text_node& item : list.children()) out.push_back(number_of<T>(item, what));
    return out;
  }

  // A number that fits T (integers: whole and in [lowest, 1e9]); a cast of anything else is undefined.
  template <class T>
  T number_of(const text_node& item, const std::string& what) const {
    if (item.type() != text_node::kind::number) fail(what + " holds a value that is not a number");
    const double v = item.number();
    if constexpr (std::is_integral_v<T>) {
      if (!(v == std::floor(v) && v >= double(std::numeric_limits<T>::lowest()) && v <= 1e9))
        fail(what + " holds " + std::to_string(v) + ", not an integer in range");
    } else if (std::isfinite(v) && std::abs(v) > double(std::numeric_limits<T>::max())) {
      fail(what + " holds " + std::to_string(v) + ", out of range");
    }
    return static_cast<T>(v);
  }

 private:
  const text_node* node_;
  std::string where_;
};

// One parameter tensor of a file: its header entry and where its values lie in the payload.
struct tensor_entry {
  std::size_t layer = 0;
  std::string name;  // "weights" or "biases"
  std::vector<std::size_t> shape;
  std::size_t count = 0;   // values: the product of shape
  std::size_t offset = 0;  // bytes from the start of the payload
};

// A parameter tensor with its values, as model files and ONNX files (nn/onnx.hpp) hold it.
struct stored_tensor {
  std::size_t layer = 0;
  std::string name;  // "weights" or "biases"
  std::vector<std::size_t> shape;
  std::vector<float> data;
};

namespace detail {

inline constexpr std::size_t payload_alignment = 64;

// Where the payload starts after a header of this size: at least one NUL ends the header.
inline std::size_t payload_start(std::size_t header_size) { return (header_size / payload_alignment + 1) * payload_alignment; }

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

inline std::string shape_text(const std::vector<std::size_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

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

// What is wrong with the arguments of a library layer taking an `in` map (conv2d<F, K>: F >= 1,
// K odd; maxpool2d<S>: 1 <= S <= min(h, w); dense<O>: O >= 1), or none. A compiled network cannot
// break these, an edited file can, and what reads a file's architecture without one (an export)
// would divide by them; other kinds (custom layers) are the compiled network's to check.
inline std::optional<std::string> argument_problem(const layer_spec& l, const std::array<std::size_t, 3>& in) {
  const auto& a = l.arguments;
  if (l.kind == "conv2d" && a.size() == 2 && (a[0] < 1 || a[1] % 2 == 0))
    return "conv2d needs Filters >= 1 and an odd Kernel";
  if (l.kind == "maxpool2d" && a.size() == 1 && (a[0] < 1 || a[0] > std::min(in[0], in[1])))
    return "maxpool2d needs 1 <= Size <= " + std::to_string(std::min(in[0], in[1])) + " (its input is " + shape_text({in[0], in[1], in[2]}) + ")";
  if (l.kind == "dense" && a.size() == 1 && a[0] < 1) return "dense needs Outputs >= 1";
  return std::nullopt;
}

template <class Net>
std::vector<std::size_t> compiled_input() {
  using shape = typename Net::input_shape;
  return {shape::height, shape::width, shape::channels};
}

// How an input and architecture differ from Net's (the first difference), or none when they match.
template <class Net>
std::optional<std::string> difference_from(const std::vector<std::size_t>& input, const std::vector<layer_spec>& architecture) {
  if (input != compiled_input<Net>())
    return "input is " + shape_text(input) + ", the network takes " + shape_text(compiled_input<Net>());
  const auto compiled = Net::architecture();
  if (architecture.size() != compiled.size())
    return "architecture has " + std::to_string(architecture.size()) + " layers, the network has " + std::to_string(compiled.size()) +
           " (" + compiled.front().to_string() + ", ...)";
  for (std::size_t i = 0; i < compiled.size(); ++i)
    if (!(architecture[i] == compiled[i]))
      return "layer " + std::to_string(i) + " is " + architecture[i].to_string() + ", expected " + compiled[i].to_string();
  return std::nullopt;
}

// How `tensors` (entries with layer, name and shape) differ from net's parameters in order (the
// first difference), or none when they are net's.
template <class Net, class Tensors>
std::optional<std::string> tensor_difference(Net& net, const Tensors& tensors) {
  std::optional<std::string> problem;
  std::size_t index = 0;
  net.for_each_parameter([&](std::size_t layer, const std::string& name, const std::vector<std::size_t>& shape, auto) {
    const std::string what = "parameter " + std::to_string(index) + " (layer " + std::to_string(layer) + " " + name + ")";
    if (problem) return;
    if (index >= tensors.size()) {
      problem = "parameters end before " + what + " (truncated?)";
      return;
    }
    const auto& t = tensors[index++];
    if (t.layer != layer || t.name != name || t.shape != shape)
      problem = what + ": found layer " + std::to_string(t.layer) + " " + t.name + " " + shape_text(t.shape) + ", expected " + shape_text(shape);
  });
  if (!problem && index != tensors.size())
    problem = std::to_string(tensors.size()) + " parameter tensors, the network has " + std::to_string(index);
  return problem;
}

inline const std::vector<std::string_view>& reserved_keys() {
  static const std::vector<std::string_view> keys{"format", "version", "input", "architecture", "parameters", "payload"};
  return keys;
}

}  // namespace detail

// A model file read and checked as far as it can be without a network: its header parsed, the
// input and architecture read, every tensor inside the payload, the checksum, every value finite.
// Version 1's decimal values are laid out here as a version-2 payload, so that what follows reads
// both versions alike.
class parameter_file {
 public:
  explicit parameter_file(const std::filesystem::path& path) : where_("model file " + path.string() + ": ") {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) throw io_error("cannot read model file " + path.string() + ": no such file");
    bytes_ = tarmac::detail::read_whole_file(path, "model file");
    const std::size_t nul = bytes_.find('\0');
    const bool has_payload = nul != std::string::npos;
    const std::size_t header_size = has_payload ? nul : bytes_.size();
    if (has_payload) {
      const std::size_t start = detail::payload_start(nul);
      if (bytes_.size() < start)
        fail("ends " + std::to_string(bytes_.size() - nul) + " bytes after its header, inside the padding before the payload (truncated?)");
      if (bytes_.find_first_not_of('\0', nul) < start) fail("the padding between header and payload holds other bytes than NUL (damaged?)");
      payload_offset_ = start;
    }
    root_ = parse_text(std::string_view(bytes_).substr(0, header_size), where_);
    const header_reader h = header();
    if (root_.type() != text_node::kind::map) fail("not a tarmac model file (the top level is not a map)");
    if (const text_node* f = root_.find("format"); !f || f->type() != text_node::kind::string || f->string() != "tarmac-model")
      fail("not a tarmac model file ('format: tarmac-model' is missing)");
    version_ = h.number<int>("version");
    if (version_ < 1 || version_ > model_format_version)
      fail("format version " + std::to_string(version_) + ", this build reads versions 1 to " + std::to_string(model_format_version));
    if (version_ == 1 && has_payload)
      fail("a version-1 file has no binary part, but a NUL byte follows its first " + std::to_string(header_size) + " bytes");
    if (version_ >= 2 && !has_payload) fail("the binary payload after the header is missing (truncated?)");
    read_tensor_entries();
    input_ = h.numbers<std::size_t>("input", "input");
    read_architecture();
  }

  const std::string& where() const { return where_; }  // "model file PATH: "
  int version() const { return version_; }
  header_reader header() const { return {root_, where_}; }  // valid while this object lives
  const std::vector<std::size_t>& input() const { return input_; }                  // [height, width, channels]
  const std::vector<layer_spec>& architecture() const { return architecture_; }
  const std::vector<tensor_entry>& tensors() const { return tensors_; }

  // The values of tensors()[index], converted to T.
  template <class T>
  void read_values(std::size_t index, std::span<T> out) const {
    if (index >= tensors_.size())
      throw invalid_argument(where_ + "read_values: no tensor " + std::to_string(index) + " (the file has " + std::to_string(tensors_.size()) + ")");
    const tensor_entry& t = tensors_[index];
    if (out.size() != t.count)
      throw invalid_argument(where_ + "read_values: room for " + std::to_string(out.size()) + " values, tensor " + std::to_string(index) +
                             " has " + std::to_string(t.count));
    detail::copy_float32(payload().substr(t.offset), t.count, out.data());
  }

  // Whether the file describes exactly the compiled network Net (for choosing among several).
  template <class Net>
  bool describes() const {
    return input_ == detail::compiled_input<Net>() && architecture_ == Net::architecture();
  }

  // Checks the file against Net (input, layer by layer, then every tensor's place and shape), calls
  // read_metadata(header()) and only then copies the parameters into net: when anything throws,
  // net is untouched. Returns what read_metadata returns.
  template <class Net, class Read>
  auto load_into(Net& net, Read&& read_metadata) const {
    check<Net>(net);
    if constexpr (std::is_void_v<std::invoke_result_t<Read, const header_reader&>>) {
      read_metadata(header());
      copy_into(net);
    } else {
      auto meta = read_metadata(header());
      copy_into(net);
      return meta;
    }
  }
  template <class Net>
  void load_into(Net& net) const {
    load_into(net, [](const header_reader&) {});
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw format_error(where_ + what); }

  // Version 2: the payload's size and checksum as the header declares them.
  void check_payload() const {
    const header_reader p = header().map("payload");
    const std::string& encoding = p.string("encoding");
    if (encoding != "float32le") fail("payload encoding is '" + encoding + "'; this build reads only 'float32le'");
    const auto bytes = p.number<std::size_t>("bytes", "payload bytes");
    if (bytes != payload().size())
      fail("the header declares a payload of " + std::to_string(bytes) + " bytes, the file holds " + std::to_string(payload().size()) +
           (payload().size() < bytes ? " (truncated?)" : " (bytes appended?)"));
    const std::string& crc = p.string("crc32");
    std::uint32_t declared = 0;
    const auto [end, ec] = std::from_chars(crc.data(), crc.data() + crc.size(), declared, 16);
    if (crc.size() != 8 || ec != std::errc() || end != crc.data() + crc.size()) fail("payload crc32 '" + crc + "' is not 8 hexadecimal digits");
    if (const std::uint32_t found = detail::crc32_of(payload()); found != declared)
      fail("the payload's CRC-32 is " + detail::hex32(found) + ", the header says " + crc + " (damaged?)");
  }

  // Every tensor's entry, checked to lie inside the payload (whose size bounds every allocation
  // that follows, however large the shapes a damaged header declares) and to hold finite values.
  void read_tensor_entries() {
    if (version_ >= 2) check_payload();
    const text_node& params = header().child("parameters", text_node::kind::sequence);
    std::string v1_payload;  // version 1: the values parsed from text
    for (std::size_t index = 0; index < params.children().size(); ++index) {
      const std::string what = "parameter " + std::to_string(index);
      if (params.children()[index].type() != text_node::kind::map) fail(what + " is not a map");
      const header_reader p(params.children()[index], where_);
      tensor_entry t;
      t.layer = p.number<std::size_t>("layer", what + " layer");
      t.name = p.string("name");
      t.shape = p.numbers<std::size_t>("shape", what + " shape");
      const auto count = detail::element_count(t.shape, tarmac::detail::max_checked_text / 4);
      if (!count) fail(what + " shape " + detail::shape_text(t.shape) + " holds more values than a model file can");
      t.count = *count;
      if (version_ == 1) {
        const text_node& data = p.child("data", text_node::kind::sequence);
        if (data.children().size() != t.count)
          fail(what + " has " + std::to_string(data.children().size()) + " values, expected " + std::to_string(t.count) +
               " for its shape " + detail::shape_text(t.shape) + (data.children().size() < t.count ? " (truncated?)" : ""));
        t.offset = v1_payload.size();
        const std::vector<float> values = p.numbers<float>("data", what + " data");
        detail::append_float32(v1_payload, std::span<const float>(values));
      } else {
        t.offset = p.number<std::size_t>("offset", what + " offset");
        if (t.offset % 4 != 0 || t.offset > payload().size() || t.count > (payload().size() - t.offset) / 4)
          fail(what + " (" + std::to_string(t.count) + " values at byte " + std::to_string(t.offset) + ") does not lie inside the " +
               std::to_string(payload().size()) + "-byte payload on a 4-byte boundary");
      }
      tensors_.push_back(std::move(t));
    }
    if (version_ == 1) {
      bytes_ = std::move(v1_payload);  // the header's text is parsed: only the values are kept
      payload_offset_ = 0;
    }
    for (std::size_t index = 0; index < tensors_.size(); ++index) {
      const tensor_entry& t = tensors_[index];
      if (const std::size_t i = detail::first_non_finite(payload().substr(t.offset, t.count * 4)); i != std::string_view::npos)
        fail("parameter " + std::to_string(index) + " value " + std::to_string(i) + " is not finite");
    }
  }

  void read_architecture() {
    const text_node& arch = header().child("architecture", text_node::kind::sequence);
    for (std::size_t i = 0; i < arch.children().size(); ++i) {
      if (arch.children()[i].type() != text_node::kind::map) fail("architecture layer " + std::to_string(i) + " is not a map");
      const header_reader l(arch.children()[i], where_);
      layer_spec found{l.string("kind"), l.numbers<std::size_t>("arguments", "arguments"), {}};
      const auto output = l.numbers<std::size_t>("output", "output");
      if (output.size() != 3) fail("layer " + std::to_string(i) + " output is not [h, w, c]");
      std::copy(output.begin(), output.end(), found.output.begin());
      const std::array<std::size_t, 3> in = i ? architecture_.back().output
                                              : input_.size() == 3 ? std::array{input_[0], input_[1], input_[2]} : std::array<std::size_t, 3>{};
      if (const auto problem = detail::argument_problem(found, in)) fail("layer " + std::to_string(i) + " (" + found.to_string() + "): " + *problem);
      architecture_.push_back(std::move(found));
    }
    for (const tensor_entry& t : tensors_)
      if (t.layer >= architecture_.size())
        fail("parameter of layer " + std::to_string(t.layer) + " " + t.name + ": the architecture has " + std::to_string(architecture_.size()) +
             " layers");
  }

  template <class Net>
  void check(Net& net) const {
    if (const auto difference = detail::difference_from<Net>(input_, architecture_)) fail(*difference);
    // Every tensor in order with the network's shape (the constructor checked that each lies
    // inside the payload and is finite).
    if (const auto difference = detail::tensor_difference(net, tensors_)) fail(*difference);
  }

  template <class Net>
  void copy_into(Net& net) const {
    std::size_t index = 0;
    net.for_each_parameter([&](std::size_t, const std::string&, const std::vector<std::size_t>&, auto values) {
      const tensor_entry& t = tensors_[index++];
      detail::copy_float32(payload().substr(t.offset), t.count, values.data());
    });
  }

  std::string where_;
  std::string_view payload() const { return std::string_view(bytes_).substr(std::min(payload_offset_, bytes_.size())); }

  std::string bytes_;  // the file (version 1: the payload made from its text)
  std::size_t payload_offset_ = std::string::npos;  // where in bytes_ the payload starts (npos: none)
  text_node root_;
  int version_ = 0;
  std::vector<tensor_entry> tensors_;
  std::vector<std::size_t> input_;
  std::vector<layer_spec> architecture_;
};

// Saves net's parameters to `path` (YAML or JSON header by its name, see header_format) with the
// caller's `metadata`: a map of top-level keys written after format and version, which may not use
// the keys this part writes. The file replaces `path` only when it is complete.
template <class Net>
void save_parameters(const std::filesystem::path& path, Net& net, const text_node& metadata = {}) {
  const text_format format = header_format(path);
  if (metadata.type() != text_node::kind::map) throw invalid_argument("save_parameters " + path.string() + ": the metadata is not a map");
  // The payload first: the header records its size, its checksum and where each tensor lies.
  std::string payload;
  payload.reserve(net.parameters().size() * sizeof(float));
  text_node parameters = text_node::sequence();
  net.for_each_parameter([&](std::size_t layer, const std::string& name, const std::vector<std::size_t>& shape, auto values) {
    text_node entry;
    entry.add("layer", layer);
    entry.add("name", name);
    entry.add("shape", text_node::sequence_of(shape));
    entry.add("offset", payload.size());
    parameters.push_back(std::move(entry));
    detail::append_float32(payload, std::span<const typename Net::scalar>(values));
  });
  if (payload.size() >= tarmac::detail::max_checked_text)
    throw invalid_argument("save_parameters " + path.string() + ": " + std::to_string(payload.size() >> 20) +
                           " MiB of parameters; a model file holds at most 1 GiB");
  text_node header;
  header.add("format", "tarmac-model");
  header.add("version", model_format_version);
  for (std::size_t i = 0; i < metadata.keys().size(); ++i) {
    if (std::find(detail::reserved_keys().begin(), detail::reserved_keys().end(), metadata.keys()[i]) != detail::reserved_keys().end())
      throw invalid_argument("save_parameters " + path.string() + ": the metadata key '" + metadata.keys()[i] +
                             "' is one nn/io writes itself");
    header.add(metadata.keys()[i], metadata.children()[i]);
  }
  header.add("input", text_node::sequence_of(detail::compiled_input<Net>()));
  text_node& architecture = header.add("architecture", text_node::sequence());
  for (const layer_spec& l : Net::architecture()) {
    text_node layer;
    layer.add("kind", l.kind);
    layer.add("arguments", text_node::sequence_of(l.arguments));
    layer.add("output", text_node::sequence_of(l.output));
    architecture.push_back(std::move(layer));
  }
  header.add("parameters", std::move(parameters));
  text_node& p = header.add("payload", text_node());
  p.add("encoding", "float32le");
  p.add("bytes", payload.size());
  p.add("crc32", detail::hex32(detail::crc32_of(payload)));
  std::string file = write_text(header, format);
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

// Loads the parameters into net (which must be the architecture the file was saved from) and
// returns what read_metadata(header) returns; net is only changed when the whole file checks out,
// metadata included.
template <class Net, class Read>
auto load_parameters(const std::filesystem::path& path, Net& net, Read&& read_metadata) {
  return parameter_file(path).load_into(net, std::forward<Read>(read_metadata));
}
template <class Net>
void load_parameters(const std::filesystem::path& path, Net& net) {
  parameter_file(path).load_into(net);
}

}  // namespace tarmac::nn
