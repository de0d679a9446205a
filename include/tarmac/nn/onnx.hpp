#pragma once
// ONNX files (onnx.ai, IR version 7, opset 13) in and out, through the protobuf codec of
// core/protobuf.hpp: no protobuf runtime, no generated code. A network maps to one ONNX node per
// layer, and back:
//
//   conv2d<F, K>      Conv (pads (K - 1) / 2, stride 1)        weights [F][C][K][K]
//   maxpool2d<S>      MaxPool (kernel S, stride S; ceil_mode when S does not divide H or W)
//   relu              Relu
//   flatten           Flatten (axis 1)
//   global_avg_pool   GlobalAveragePool (N x C x 1 x 1; the next dense gets a Flatten before it)
//   dense<O>          Gemm (transB) or MatMul [+ Add] on import
//   dropout           nothing (identity at inference)
//
// and a final Softmax. The graph's input is NCHW float32 [N, C, H, W] with N free ("N"): what
// OpenCV's dnn (blobFromImages) and ONNX Runtime take without a transpose. tarmac is NHWC, so
// Conv weights are transposed, and the first dense after a flatten has its rows reordered from
// tarmac's (h, w, c) order to the (c, h, w) order a Flatten of NCHW gives. Import takes any
// graph that is a chain of those nodes (Conv with SAME padding and stride 1, MaxPool without
// leading padding, Flatten or GlobalAveragePool, Gemm or MatMul + Add, an optional Softmax at the
// end) and refuses anything else with a format_error naming the file, the node (index, name, op)
// or the field; opsets 7 to 21 of the default domain, and counts within the limits below.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tarmac/core/checked_text.hpp"
#include "tarmac/core/error.hpp"
#include "tarmac/core/files.hpp"
#include "tarmac/core/protobuf.hpp"
#include "tarmac/nn/io.hpp"
#include "tarmac/nn/shape.hpp"

namespace tarmac::nn {

// A network as an ONNX file carries it, in tarmac's terms: what onnx_bytes writes and parse_onnx reads.
struct onnx_model {
  std::vector<std::size_t> input;  // [height, width, channels]
  std::vector<layer_spec> architecture;
  std::vector<stored_tensor> tensors;  // tarmac's layouts, in for_each_parameter's order
  std::vector<std::pair<std::string, std::string>> metadata;  // ModelProto.metadata_props
};

namespace detail::onnx {

inline constexpr std::int64_t ir_version = 7, opset = 13, float_type = 1;
// Default-domain opset versions read: from 7 to 21 the operators mapped here compute what they do
// in 13 (later versions only add element types); before 7, Gemm and Add broadcast differently.
inline constexpr std::int64_t min_opset = 7, max_opset = 21;
// Counts past these are refused while reading, before anything is allocated for them (an empty
// element takes 2 bytes of the file and tens of bytes as read); tarmac's networks need far fewer.
inline constexpr std::size_t max_items = 4096;    // nodes, initializers, graph inputs and outputs, metadata entries
inline constexpr std::size_t max_per_node = 64;  // inputs, outputs and attributes of a node, ints of an attribute
inline constexpr std::size_t max_dims = 8;       // dims of a tensor or value
inline constexpr std::size_t max_file = std::size_t{256} << 20;  // bytes of an ONNX file (rtk_net's weights: 4 MB)
// Attribute types (AttributeProto.AttributeType) this part writes and reads.
inline constexpr std::uint64_t attribute_float = 1, attribute_int = 2, attribute_string = 3, attribute_ints = 7;

inline protobuf::writer ints_attribute(std::string_view name, std::vector<std::int64_t> values) {
  protobuf::writer a;
  a.bytes(1, name);
  a.packed(8, values);
  a.varint(20, attribute_ints);
  return a;
}
inline protobuf::writer int_attribute(std::string_view name, std::int64_t value) {
  protobuf::writer a;
  a.bytes(1, name);
  a.varint(3, static_cast<std::uint64_t>(value));
  a.varint(20, attribute_int);
  return a;
}

// ValueInfoProto of a float tensor [N, dims...].
inline protobuf::writer value_info(std::string_view name, const std::vector<std::size_t>& dims) {
  protobuf::writer shape, tensor, type, info;
  protobuf::writer batch;
  batch.bytes(2, "N");
  shape.message(1, batch);
  for (const std::size_t d : dims) {
    protobuf::writer dim;
    dim.varint(1, d);
    shape.message(1, dim);
  }
  tensor.varint(1, float_type);
  tensor.message(2, shape);
  type.message(1, tensor);
  info.bytes(1, name);
  info.message(2, type);
  return info;
}

// Builds the GraphProto node by node, each taking the previous node's output.
class graph_writer {
 public:
  void initializer(const std::string& name, const std::vector<std::int64_t>& dims, std::span<const float> values) {
    protobuf::writer t;
    t.packed(1, dims);
    t.varint(2, float_type);
    t.bytes(8, name);
    t.bytes(9, std::string_view(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)));
    graph_.message(5, t);
  }
  // Appends op_type on the current tensor and the named inputs; returns the node's name.
  std::string node(std::string_view op, const std::vector<std::string>& inputs = {},
                   const std::vector<protobuf::writer>& attributes = {}) {
    const std::string name = std::string(op) + "_" + std::to_string(count_++);
    protobuf::writer n;
    n.bytes(1, current_);
    for (const std::string& in : inputs) n.bytes(1, in);
    n.bytes(2, name);
    n.bytes(3, name);
    n.bytes(4, op);
    for (const protobuf::writer& a : attributes) n.message(5, a);
    graph_.message(1, n);
    current_ = name;
    return name;
  }
  protobuf::writer finish(const std::vector<std::size_t>& input, std::size_t classes) {
    graph_.bytes(2, "tarmac");
    graph_.message(11, value_info("input", input));
    graph_.message(12, value_info(current_, {classes}));
    return graph_;
  }

 private:
  protobuf::writer graph_;
  std::string current_ = "input";
  std::size_t count_ = 0;
};

// The one place the export and the import agree on the dense layout: element (row r, column o)
// of tarmac's [in][out] matrix is element (o, onnx_row(r)) of ONNX's [out][in] one, where a dense
// after a flatten of an H x W x C map sees rows in (c, h, w) order.
struct dense_rows {
  std::size_t height = 1, width = 1, channels = 0;  // the map flattened before this dense (1 x 1 x N: none)
  std::size_t onnx_row(std::size_t r) const {
    const std::size_t c = r % channels, x = r / channels % width, y = r / channels / width;
    return (c * height + y) * width + x;
  }
};

// tarmac conv weights [kh][kw][cin][cout] as ONNX's [cout][cin][kh][kw], and back (to_onnx false).
inline std::vector<float> conv_weights(std::span<const float> w, std::size_t K, std::size_t C, std::size_t F, bool to_onnx) {
  std::vector<float> out(w.size());
  for (std::size_t ky = 0; ky < K; ++ky)
    for (std::size_t kx = 0; kx < K; ++kx)
      for (std::size_t c = 0; c < C; ++c)
        for (std::size_t f = 0; f < F; ++f) {
          const std::size_t tarmac = ((ky * K + kx) * C + c) * F + f, onnx = ((f * C + c) * K + ky) * K + kx;
          (to_onnx ? out[onnx] : out[tarmac]) = w[to_onnx ? tarmac : onnx];
        }
  return out;
}

}  // namespace detail::onnx

// The ONNX file's bytes (ModelProto) for a network: invalid_argument naming the first layer that
// has no ONNX operator (a custom layer) or a tensor that does not fit the architecture.
inline std::string onnx_bytes(const onnx_model& m) {
  namespace ox = detail::onnx;
  const auto fail = [](const std::string& what) -> void { throw invalid_argument("ONNX export: " + what); };
  if (m.input.size() != 3 || m.architecture.empty()) fail("no input shape or no layers");
  std::size_t h = m.input[0], w = m.input[1], c = m.input[2], next_tensor = 0;
  ox::dense_rows rows{1, 1, h * w * c};
  bool four_d = true;  // the current tensor is N x C x H x W (no Flatten yet): what Conv and MaxPool take
  ox::graph_writer g;
  // The next parameter tensor, which must be layer i's `name` of this shape.
  const auto tensor = [&](std::size_t i, const char* name, const std::vector<std::size_t>& shape) -> const stored_tensor& {
    if (next_tensor >= m.tensors.size()) fail("layer " + std::to_string(i) + " has no " + name);
    const stored_tensor& t = m.tensors[next_tensor++];
    const auto count = detail::element_count(shape, std::size_t(-1) / 4);
    if (t.layer != i || t.name != name || t.shape != shape || !count || t.data.size() != *count)
      fail("layer " + std::to_string(i) + " " + name + ": expected shape " + detail::shape_text(shape) + ", found layer " +
           std::to_string(t.layer) + " " + t.name + " " + detail::shape_text(t.shape));
    return t;
  };
  for (std::size_t i = 0; i < m.architecture.size(); ++i) {
    const layer_spec& l = m.architecture[i];
    const auto argument = [&](std::size_t k) { return k < l.arguments.size() ? l.arguments[k] : 0; };
    const std::string prefix = "layer" + std::to_string(i) + ".";
    if (const auto problem = detail::argument_problem(l, {h, w, c})) fail("layer " + std::to_string(i) + " (" + l.to_string() + "): " + *problem);
    if ((l.kind == "conv2d" || l.kind == "maxpool2d") && !four_d)
      fail("layer " + std::to_string(i) + " (" + l.to_string() + ") follows a flatten: ONNX's " + l.kind + " takes N x C x H x W");
    if (l.kind == "conv2d" && l.arguments.size() == 2) {
      const std::size_t F = argument(0), K = argument(1);
      const auto K64 = static_cast<std::int64_t>(K), pad = static_cast<std::int64_t>((K - 1) / 2);
      const stored_tensor& weights = tensor(i, "weights", {K, K, c, F});
      g.initializer(prefix + "weight", {static_cast<std::int64_t>(F), static_cast<std::int64_t>(c), K64, K64},
                    ox::conv_weights(weights.data, K, c, F, true));
      g.initializer(prefix + "bias", {static_cast<std::int64_t>(F)}, tensor(i, "biases", {F}).data);
      g.node("Conv", {prefix + "weight", prefix + "bias"},
             {ox::ints_attribute("kernel_shape", {K64, K64}), ox::ints_attribute("pads", {pad, pad, pad, pad}),
              ox::ints_attribute("strides", {1, 1})});
      c = F;
    } else if (l.kind == "maxpool2d" && l.arguments.size() == 1) {
      const auto S = static_cast<std::int64_t>(argument(0));
      std::vector<protobuf::writer> attributes{ox::ints_attribute("kernel_shape", {S, S}), ox::ints_attribute("strides", {S, S})};
      if (h % argument(0) || w % argument(0)) attributes.push_back(ox::int_attribute("ceil_mode", 1));  // edge windows as tarmac's
      g.node("MaxPool", {}, attributes);
      h = (h + argument(0) - 1) / argument(0), w = (w + argument(0) - 1) / argument(0);
    } else if (l.kind == "relu" && l.arguments.empty()) {
      g.node("Relu");
    } else if (l.kind == "dropout") {
      // identity at inference: no node
    } else if (l.kind == "flatten" && l.arguments.empty()) {
      g.node("Flatten", {}, {ox::int_attribute("axis", 1)});
      rows = {h, w, c}, c = h * w * c, h = w = 1, four_d = false;
    } else if (l.kind == "global_avg_pool" && l.arguments.empty()) {
      g.node("GlobalAveragePool");  // N x C x 1 x 1: a Conv may still follow; the Flatten comes before the Gemm
      h = w = 1;
    } else if (l.kind == "dense" && l.arguments.size() == 1 && h == 1 && w == 1) {
      if (four_d) {
        g.node("Flatten", {}, {ox::int_attribute("axis", 1)});
        rows = {1, 1, c}, four_d = false;
      }
      const std::size_t O = argument(0), I = c;
      const stored_tensor& weights = tensor(i, "weights", {I, O});
      std::vector<float> transposed(I * O);
      for (std::size_t r = 0; r < I; ++r)
        for (std::size_t o = 0; o < O; ++o) transposed[o * I + rows.onnx_row(r)] = weights.data[r * O + o];
      g.initializer(prefix + "weight", {static_cast<std::int64_t>(O), static_cast<std::int64_t>(I)}, transposed);
      g.initializer(prefix + "bias", {static_cast<std::int64_t>(O)}, tensor(i, "biases", {O}).data);
      g.node("Gemm", {prefix + "weight", prefix + "bias"}, {ox::int_attribute("transB", 1)});
      rows = {1, 1, O}, c = O;
    } else {
      fail("layer " + std::to_string(i) + " (" + l.to_string() + ") has no ONNX operator in this build");
    }
    if (l.output != std::array<std::size_t, 3>{h, w, c})
      fail("layer " + std::to_string(i) + " (" + l.to_string() + ") does not take the previous layer's output " +
           detail::shape_text({h, w, c}));
  }
  if (next_tensor != m.tensors.size()) fail(std::to_string(m.tensors.size() - next_tensor) + " parameter tensors left over");
  if (h != 1 || w != 1) fail("the last layer's output is not flat");
  g.node("Softmax", {}, {ox::int_attribute("axis", 1)});
  protobuf::writer opset, model;
  opset.varint(2, ox::opset);
  model.varint(1, ox::ir_version);
  model.bytes(2, "tarmac");
  model.message(7, g.finish({m.input[2], m.input[0], m.input[1]}, c));
  model.message(8, opset);
  for (const auto& [key, value] : m.metadata) {
    protobuf::writer entry;
    entry.bytes(1, key);
    entry.bytes(2, value);
    model.message(14, entry);
  }
  return model.data();
}

// Writes the ONNX file, replacing `path` only when it is complete.
inline void save_onnx(const std::filesystem::path& path, const onnx_model& m) {
  const std::string bytes = onnx_bytes(m);
  write_text_atomically(path, bytes);
}

// A compiled network and its parameters as onnx_bytes takes them.
template <class Net>
onnx_model onnx_model_of(Net& net, std::vector<std::pair<std::string, std::string>> metadata = {}) {
  onnx_model m{detail::compiled_input<Net>(), Net::architecture(), {}, std::move(metadata)};
  net.for_each_parameter([&](std::size_t layer, const std::string& name, const std::vector<std::size_t>& shape, auto values) {
    m.tensors.push_back({layer, name, shape, std::vector<float>(values.begin(), values.end())});
  });
  return m;
}

// Copies an imported model's parameters into net, whose input, architecture and parameter shapes
// it must match (format_error naming `where` and the first difference otherwise; net is then untouched).
template <class Net>
void load_onnx_model(const onnx_model& m, Net& net, const std::string& where = "ONNX model: ") {
  if (const auto difference = detail::difference_from<Net>(m.input, m.architecture)) throw format_error(where + *difference);
  if (const auto difference = detail::tensor_difference(net, m.tensors)) throw format_error(where + *difference);
  for (const stored_tensor& t : m.tensors)
    if (detail::element_count(t.shape, t.data.size()) != t.data.size())
      throw format_error(where + "layer " + std::to_string(t.layer) + " " + t.name + " holds " + std::to_string(t.data.size()) +
                         " values for its shape " + detail::shape_text(t.shape));
  std::size_t index = 0;
  net.for_each_parameter([&](std::size_t, const std::string&, const std::vector<std::size_t>&, auto values) {
    const std::vector<float>& data = m.tensors[index++].data;
    std::copy(data.begin(), data.end(), values.begin());
  });
}

namespace detail::onnx {

struct attribute {
  std::string name;
  std::uint64_t type = 0;
  std::int64_t i = 0;
  float f = 0;
  std::string s;
  std::vector<std::int64_t> ints;
};

struct node {
  std::string name, op, domain;
  std::vector<std::string> inputs, outputs;
  std::vector<attribute> attributes;
};

// An initializer: its dims and its float values (a view into the file's bytes, or float_data).
struct tensor {
  std::vector<std::int64_t> dims;
  std::int64_t type = 0;
  std::string_view raw;
  std::vector<float> floats;
  bool has_floats = false, external = false;
};

struct value {
  std::string name;
  std::int64_t type = 0;
  std::vector<std::optional<std::int64_t>> dims;  // none: a named (free) dimension
};

// Refuses one more element where `size` are read already and `limit` is the most there may be.
inline void check_room(const protobuf::reader& r, std::size_t size, std::size_t limit, const std::string& what) {
  if (size >= limit) r.fail("more than " + std::to_string(limit) + " " + what + " (the most tarmac reads)");
}

inline attribute read_attribute(std::string_view bytes, const std::string& where) {
  protobuf::reader r(bytes, where);
  attribute a;
  for (protobuf::field f; r.next(f);) {
    if (f.number == 1) a.name = r.bytes(f, "attribute name");
    else if (f.number == 20) a.type = static_cast<std::uint64_t>(r.int64(f, "attribute type"));
    else if (f.number == 3) a.i = r.int64(f, "attribute i");
    else if (f.number == 2) r.expect(f, protobuf::wire::fixed32, "attribute f"), a.f = f.as_float();
    else if (f.number == 4) a.s = r.bytes(f, "attribute s");
    else if (f.number == 8) r.append_int64s(f, "attribute ints", a.ints, max_per_node);
  }
  return a;
}

inline node read_node(std::string_view bytes, const std::string& where) {
  protobuf::reader r(bytes, where);
  node n;
  const auto room = [&](std::size_t size, const char* what) { check_room(r, size, max_per_node, what); };
  for (protobuf::field f; r.next(f);) {
    if (f.number == 1) room(n.inputs.size(), "inputs"), n.inputs.emplace_back(r.bytes(f, "node input"));
    else if (f.number == 2) room(n.outputs.size(), "outputs"), n.outputs.emplace_back(r.bytes(f, "node output"));
    else if (f.number == 3) n.name = r.bytes(f, "node name");
    else if (f.number == 4) n.op = r.bytes(f, "node op_type");
    else if (f.number == 7) n.domain = r.bytes(f, "node domain");
    else if (f.number == 5) room(n.attributes.size(), "attributes"), n.attributes.push_back(read_attribute(r.bytes(f, "node attribute"), where + "attribute: "));
  }
  return n;
}

inline std::pair<std::string, tensor> read_tensor(std::string_view bytes, const std::string& where) {
  std::string name;  // first, so that errors name the tensor wherever its name lies
  protobuf::reader named(bytes, where);
  for (protobuf::field f; named.next(f);)
    if (f.number == 8) name = named.bytes(f, "name");
  protobuf::reader r(bytes, where + "'" + name + "': ");
  tensor t;
  for (protobuf::field f; r.next(f);) {
    if (f.number == 1) r.append_int64s(f, "dims", t.dims, max_dims);
    else if (f.number == 2) t.type = r.int64(f, "data_type");
    else if (f.number == 9) t.raw = r.bytes(f, "raw_data");
    else if (f.number == 14) t.external = r.int64(f, "data_location") != 0;
    else if (f.number == 4) {  // float_data: packed (or one value a field)
      t.has_floats = true;
      if (f.type == protobuf::wire::fixed32) {
        t.floats.push_back(f.as_float());
      } else {
        const std::string_view packed = r.bytes(f, "float_data");
        if (packed.size() % 4) r.fail("float_data holds " + std::to_string(packed.size()) + " bytes, not whole floats");
        const std::size_t first = t.floats.size();
        t.floats.resize(first + packed.size() / 4);
        if (!packed.empty()) std::memcpy(t.floats.data() + first, packed.data(), packed.size());  // data() may be null
      }
    }
  }
  return {std::move(name), std::move(t)};
}

inline value read_value(std::string_view bytes, const std::string& where) {
  protobuf::reader r(bytes, where);
  value v;
  for (protobuf::field f; r.next(f);) {
    if (f.number == 1) v.name = r.bytes(f, "value name");
    if (f.number != 2) continue;
    protobuf::reader type(r.bytes(f, "value type"), where);
    for (protobuf::field tf; type.next(tf);) {
      if (tf.number != 1) continue;  // tensor_type
      protobuf::reader tensor_type(type.bytes(tf, "tensor_type"), where);
      for (protobuf::field tt; tensor_type.next(tt);) {
        if (tt.number == 1) v.type = tensor_type.int64(tt, "elem_type");
        if (tt.number != 2) continue;
        protobuf::reader shape(tensor_type.bytes(tt, "shape"), where + "shape: ");
        for (protobuf::field d; shape.next(d);) {
          if (d.number != 1) continue;
          check_room(shape, v.dims.size(), max_dims, "dims");
          protobuf::reader dim(shape.bytes(d, "dim"), where);
          std::optional<std::int64_t> size;
          for (protobuf::field dv; dim.next(dv);)
            if (dv.number == 1) size = dim.int64(dv, "dim_value");
          v.dims.push_back(size);
        }
      }
    }
  }
  return v;
}

// The graph's parts as read (views into the file's bytes, which must outlive it).
struct graph {
  std::vector<node> nodes;
  std::map<std::string, tensor, std::less<>> initializers;
  std::vector<value> inputs, outputs;
  std::vector<std::pair<std::string, std::string>> metadata;
};

inline graph read_model(std::string_view bytes, const std::string& where) {
  protobuf::reader model(bytes, where);
  graph g;
  bool has_graph = false, default_domain = false;
  for (protobuf::field f; model.next(f);) {
    if (f.number == 8) {  // opset_import: only the default domain's operators are mapped
      protobuf::reader opset(model.bytes(f, "opset_import"), where + "opset_import: ");
      std::string_view domain;
      std::int64_t version = 0;
      for (protobuf::field o; opset.next(o);) {
        if (o.number == 1) domain = opset.bytes(o, "domain");
        else if (o.number == 2) version = opset.int64(o, "version");
      }
      if (!domain.empty() && domain != "ai.onnx") continue;
      if (version < min_opset || version > max_opset)
        opset.fail("version " + std::to_string(version) + " of the default domain; tarmac reads opsets " + std::to_string(min_opset) +
                   " to " + std::to_string(max_opset) + " (where the operators it maps compute as in opset 13)");
      default_domain = true;
    } else if (f.number == 14) {
      check_room(model, g.metadata.size(), max_items, "metadata_props entries");
      protobuf::reader entry(model.bytes(f, "metadata_props"), where + "metadata_props: ");
      std::pair<std::string, std::string> kv;
      for (protobuf::field e; entry.next(e);) {
        if (e.number == 1) kv.first = entry.bytes(e, "key");
        else if (e.number == 2) kv.second = entry.bytes(e, "value");
      }
      g.metadata.push_back(std::move(kv));
    } else if (f.number == 7) {
      if (has_graph) model.fail("two graphs");
      has_graph = true;
      protobuf::reader r(model.bytes(f, "graph"), where + "graph: ");
      const auto room = [&](std::size_t size, const char* what) { check_room(r, size, max_items, what); };
      for (protobuf::field gf; r.next(gf);) {
        if (gf.number == 1) {
          room(g.nodes.size(), "nodes");
          g.nodes.push_back(read_node(r.bytes(gf, "node"), where + "graph node " + std::to_string(g.nodes.size()) + ": "));
        } else if (gf.number == 5) {
          room(g.initializers.size(), "initializers");
          auto [name, t] = read_tensor(r.bytes(gf, "initializer"), where + "initializer " + std::to_string(g.initializers.size()) + ": ");
          if (g.initializers.count(name)) r.fail("initializer '" + name + "' appears twice");
          g.initializers.emplace(std::move(name), std::move(t));
        } else if (gf.number == 11 || gf.number == 12) {
          auto& list = gf.number == 11 ? g.inputs : g.outputs;
          room(list.size(), gf.number == 11 ? "graph inputs" : "graph outputs");
          list.push_back(read_value(r.bytes(gf, "input or output"), where + (gf.number == 11 ? "graph input: " : "graph output: ")));
        }
      }
    }
  }
  if (!has_graph) model.fail("no graph (not an ONNX model?)");
  if (!default_domain) model.fail("no opset_import of the default ONNX domain");
  return g;
}

// Maps a chain of nodes onto tarmac layers.
class importer {
 public:
  importer(const graph& g, std::string where) : g_(g), where_(std::move(where)) {}

  onnx_model run() {
    read_input();
    for (index_ = 0; index_ < g_.nodes.size(); ++index_) map(g_.nodes[index_]);
    if (g_.outputs.size() != 1 || g_.outputs[0].name != current_)
      fail("the graph's output is not the last node's output '" + current_ + "'");
    if (!flat_) fail("the graph's output is not flat (N x classes)");
    if (m_.architecture.empty() || m_.architecture.back().kind != "dense")
      fail("the graph does not end in a Gemm or MatMul (+ Add) (and an optional Softmax)");
    m_.metadata = g_.metadata;
    return std::move(m_);
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw format_error(where_ + what); }
  [[noreturn]] void fail(const node& n, const std::string& what) const {
    fail("node " + std::to_string(index_) + " '" + n.name + "' (" + n.op + "): " + what);
  }

  static constexpr std::size_t max_dimension = 1 << 16, max_input = std::size_t{1} << 28;

  void read_input() {
    const value* input = nullptr;
    for (const value& v : g_.inputs) {
      if (g_.initializers.count(v.name)) continue;  // IR < 4 lists initializers as inputs too
      if (input) fail("two graph inputs ('" + input->name + "', '" + v.name + "'); tarmac networks take one image tensor");
      input = &v;
    }
    if (!input) fail("no graph input");
    if (input->type != float_type) fail("graph input '" + input->name + "' is not a float tensor");
    if (input->dims.size() != 4) fail("graph input '" + input->name + "' is not 4-dimensional (N, C, H, W)");
    std::size_t size = 1;
    for (std::size_t k = 1; k < 4; ++k) {
      const auto d = input->dims[k];
      if (!d || *d < 1 || std::size_t(*d) > max_dimension)
        fail("graph input '" + input->name + "' dimension " + std::to_string(k) + " is not a size in [1, " + std::to_string(max_dimension) + "]");
      size *= std::size_t(*d);
    }
    if (size > max_input) fail("graph input '" + input->name + "' holds more than 2^28 values per image");
    c_ = std::size_t(*input->dims[1]), h_ = std::size_t(*input->dims[2]), w_ = std::size_t(*input->dims[3]);
    m_.input = {h_, w_, c_};
    current_ = input->name;
  }

  const attribute* find(const node& n, std::string_view name, std::uint64_t type) const {
    for (const attribute& a : n.attributes)
      if (a.name == name) {
        if (a.type != type) fail(n, "attribute " + a.name + " has the wrong type");
        return &a;
      }
    return nullptr;
  }
  std::int64_t integer(const node& n, std::string_view name, std::int64_t otherwise) const {
    const attribute* a = find(n, name, attribute_int);
    return a ? a->i : otherwise;
  }
  std::vector<std::int64_t> ints(const node& n, std::string_view name, std::vector<std::int64_t> otherwise) const {
    const attribute* a = find(n, name, attribute_ints);
    return a ? a->ints : otherwise;
  }
  // Refuses attributes this mapping does not know (they could change what the node computes).
  void only(const node& n, std::initializer_list<std::string_view> known) const {
    for (const attribute& a : n.attributes)
      if (std::find(known.begin(), known.end(), a.name) == known.end()) fail(n, "attribute '" + a.name + "' is not supported");
  }

  // Input k of n, which must be an initializer with positive dims.
  const tensor& initializer(const node& n, std::size_t k) const {
    if (k >= n.inputs.size()) fail(n, "input " + std::to_string(k) + " is missing");
    const auto it = g_.initializers.find(n.inputs[k]);
    if (it == g_.initializers.end())
      fail(n, "input '" + n.inputs[k] + "' is not an initializer (tarmac imports weights stored in the graph)");
    for (const std::int64_t d : it->second.dims)
      if (d < 1 || std::size_t(d) > max_input) fail(n, "initializer '" + n.inputs[k] + "' has dims " + text(it->second.dims));
    return it->second;
  }
  const std::vector<std::int64_t>& dims_of(const node& n, std::size_t k) const { return initializer(n, k).dims; }

  // Input k of n as an initializer's values, which must have `dims` (a tensor of the same count
  // with leading 1s, as a bias [1, O], passes too). Allocates only what the file holds.
  std::vector<float> weights(const node& n, std::size_t k, const std::vector<std::int64_t>& dims) const {
    const tensor& t = initializer(n, k);
    const std::string what = "initializer '" + n.inputs[k] + "'";
    if (t.external) fail(n, what + " is stored outside the file (external data is not read)");
    if (t.type != float_type) fail(n, what + " has data_type " + std::to_string(t.type) + ", not float (1)");
    const std::size_t extra = t.dims.size() - std::min(t.dims.size(), dims.size());  // leading dims that must be 1
    if (std::count(t.dims.begin(), t.dims.begin() + std::ptrdiff_t(extra), 1) != std::ptrdiff_t(extra) ||
        !std::equal(t.dims.begin() + std::ptrdiff_t(extra), t.dims.end(), dims.begin(), dims.end()))
      fail(n, what + " has dims " + text(t.dims) + ", expected " + text(dims));
    const std::size_t held = t.has_floats ? t.floats.size() : t.raw.size() / 4;
    const auto count = nn::detail::element_count(std::vector<std::size_t>(dims.begin(), dims.end()), held);
    if (!count || held != *count || (!t.has_floats && t.raw.size() % 4))
      fail(n, what + " holds " + std::to_string(held) + " values, not the count its dims " + text(dims) + " need");
    std::vector<float> out = t.has_floats ? t.floats : std::vector<float>(*count);
    if (!t.has_floats) std::memcpy(out.data(), t.raw.data(), *count * 4);
    for (std::size_t i = 0; i < out.size(); ++i)
      if (!std::isfinite(out[i])) fail(n, what + " value " + std::to_string(i) + " is not finite");
    return out;
  }
  static std::string text(const std::vector<std::int64_t>& dims) {
    std::string s = "[";
    for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
    return s + "]";
  }

  void add(const node& n, layer_spec l) {
    l.output = {h_, w_, c_};
    m_.architecture.push_back(std::move(l));
    current_ = n.outputs[0];
  }
  void add_parameters(std::vector<float> w, std::vector<std::size_t> w_shape, std::vector<float> b) {
    const std::size_t layer = m_.architecture.size();
    const std::size_t outputs = b.size();
    m_.tensors.push_back({layer, "weights", std::move(w_shape), std::move(w)});
    m_.tensors.push_back({layer, "biases", {outputs}, std::move(b)});
  }

  void map(const node& n) {
    if (!n.domain.empty() && n.domain != "ai.onnx") fail(n, "operator domain '" + n.domain + "' is not the default ONNX domain");
    if (n.inputs.empty() || n.inputs[0] != current_)
      fail(n, "does not take the previous node's output '" + current_ + "' first (tarmac networks are a chain)");
    if (n.outputs.size() != 1 || n.outputs[0].empty()) fail(n, "has " + std::to_string(n.outputs.size()) + " outputs, tarmac maps nodes with one");
    if (softmax_seen_) fail(n, "follows the Softmax (only a final Softmax is mapped)");
    if (n.op == "Conv") conv(n);
    else if (n.op == "MaxPool") maxpool(n);
    else if (n.op == "Relu") only(n, {}), expect_inputs(n, 1), add(n, {"relu", {}, {}});
    else if (n.op == "Flatten") flatten(n);
    else if (n.op == "GlobalAveragePool") global_average(n);
    else if (n.op == "Gemm") gemm(n);
    else if (n.op == "MatMul") matmul(n);
    else if (n.op == "Softmax") softmax(n);
    else fail(n, "this operator has no tarmac layer (tarmac maps Conv, MaxPool, Relu, Flatten, GlobalAveragePool, Gemm, MatMul + Add, Softmax)");
  }

  void expect_inputs(const node& n, std::size_t count) const {
    if (n.inputs.size() != count) fail(n, "has " + std::to_string(n.inputs.size()) + " inputs, expected " + std::to_string(count));
  }
  void spatial(const node& n) const {
    if (flat_) fail(n, "needs an N x C x H x W input, the previous node gives N x " + std::to_string(c_));
  }
  void flat(const node& n) const {
    if (!flat_) fail(n, "needs a flat N x features input (Flatten or GlobalAveragePool + Flatten before it)");
  }

  void conv(const node& n) {
    spatial(n);
    only(n, {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"});
    if (n.inputs.size() != 2 && n.inputs.size() != 3) fail(n, "has " + std::to_string(n.inputs.size()) + " inputs, expected X, W and B");
    const auto dims = dims_of(n, 1);
    if (dims.size() != 4 || dims[2] != dims[3] || dims[2] % 2 == 0 || std::size_t(dims[1]) != c_)
      fail(n, "weights of dims " + text(dims) + ": expected [filters, " + std::to_string(c_) + ", K, K] with K odd");
    const std::int64_t K = dims[2], pad = (K - 1) / 2;
    const attribute* auto_pad = find(n, "auto_pad", attribute_string);
    const std::string padding = auto_pad ? auto_pad->s : "NOTSET";
    const bool same = padding == "SAME_UPPER" || padding == "SAME_LOWER" || (padding == "VALID" && K == 1) ||
                      (padding == "NOTSET" && ints(n, "pads", {0, 0, 0, 0}) == std::vector<std::int64_t>(4, pad));
    if (!same) fail(n, "padding is not SAME (pads of (K - 1) / 2 = " + std::to_string(pad) + " on every side)");
    if (ints(n, "kernel_shape", {K, K}) != std::vector<std::int64_t>{K, K}) fail(n, "kernel_shape differs from the weights' dims");
    if (ints(n, "strides", {1, 1}) != std::vector<std::int64_t>{1, 1}) fail(n, "strides are not 1 (tarmac's conv2d has stride 1)");
    if (ints(n, "dilations", {1, 1}) != std::vector<std::int64_t>{1, 1}) fail(n, "dilations are not 1");
    if (integer(n, "group", 1) != 1) fail(n, "group is not 1");
    const auto F = std::size_t(dims[0]), k = std::size_t(K);
    const std::vector<float> w = conv_weights(weights(n, 1, dims), k, c_, F, false);
    std::vector<float> b = n.inputs.size() == 3 ? weights(n, 2, {dims[0]}) : std::vector<float>(F, 0.0f);
    add_parameters(w, {k, k, c_, F}, std::move(b));
    c_ = F;
    add(n, {"conv2d", {F, k}, {}});
  }

  void maxpool(const node& n) {
    spatial(n);
    expect_inputs(n, 1);
    only(n, {"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"});
    const auto kernel = ints(n, "kernel_shape", {});
    if (kernel.size() != 2 || kernel[0] != kernel[1] || kernel[0] < 1) fail(n, "kernel_shape is not square (S, S)");
    const std::int64_t S = kernel[0];
    if (std::size_t(S) > std::min(h_, w_)) fail(n, "the window is larger than the " + std::to_string(h_) + " x " + std::to_string(w_) + " input");
    if (ints(n, "strides", {1, 1}) != kernel) fail(n, "strides differ from kernel_shape (tarmac pools non-overlapping windows)");
    if (ints(n, "dilations", {1, 1}) != std::vector<std::int64_t>{1, 1}) fail(n, "dilations are not 1");
    const attribute* auto_pad = find(n, "auto_pad", attribute_string);
    if (auto_pad && auto_pad->s != "NOTSET" && auto_pad->s != "VALID") fail(n, "auto_pad " + auto_pad->s + " is not supported");
    const auto pads = ints(n, "pads", {0, 0, 0, 0});
    if (pads.size() != 4 || pads[0] != 0 || pads[1] != 0 || pads[2] < 0 || pads[3] < 0 || pads[2] >= S || pads[3] >= S)
      fail(n, "pads " + text(pads) + ": tarmac pools from the top left corner (pads [0, 0, end, end], end < kernel)");
    const bool ceil = integer(n, "ceil_mode", 0) != 0;
    // Windows that run past the edge cover only the pixels there, as tarmac's do: the output is ceil(H / S).
    const auto size = [&](std::size_t in, std::int64_t pad) -> std::size_t {
      const auto span = static_cast<std::int64_t>(in) + pad - S;
      return span < 0 ? 0 : std::size_t((ceil ? (span + S - 1) / S : span / S) + 1);
    };
    const std::size_t s = std::size_t(S), oh = size(h_, pads[2]), ow = size(w_, pads[3]);
    if (oh != (h_ + s - 1) / s || ow != (w_ + s - 1) / s)
      fail(n, "gives " + std::to_string(oh) + " x " + std::to_string(ow) + " from " + std::to_string(h_) + " x " + std::to_string(w_) +
              "; tarmac's maxpool2d gives ceil(H / S) x ceil(W / S) (set ceil_mode)");
    h_ = oh, w_ = ow;
    add(n, {"maxpool2d", {s}, {}});
  }

  void global_average(const node& n) {
    spatial(n);
    only(n, {});
    expect_inputs(n, 1);
    h_ = w_ = 1, pooled_ = true;
    add(n, {"global_avg_pool", {}, {}});
  }

  void flatten(const node& n) {
    expect_inputs(n, 1);
    only(n, {"axis"});
    const std::int64_t axis = integer(n, "axis", 1), rank = flat_ ? 2 : 4;
    if (axis != 1 && axis != 1 - rank) fail(n, "axis is " + std::to_string(axis) + ", tarmac flattens each image (axis 1)");
    if (flat_) fail(n, "the input is already flat");
    flat_ = true;
    current_ = n.outputs[0];
    rows_ = {h_, w_, c_};
    // A map from GlobalAveragePool (and 1 x 1 layers after it) is flat in tarmac already: tarmac's
    // exports put the Flatten there only because ONNX's Gemm takes N x features.
    if (pooled_) return;
    c_ *= h_ * w_, h_ = w_ = 1;
    add(n, {"flatten", {}, {}});
  }

  // A dense layer from n's ONNX weights [I][O] (or [O][I] when transposed) scaled by alpha, and a bias.
  void dense(const node& n, const std::vector<float>& onnx, bool transposed, float alpha, std::vector<float> b) {
    const std::size_t I = c_, O = b.size();
    std::vector<float> w(I * O);
    for (std::size_t r = 0; r < I; ++r)
      for (std::size_t o = 0; o < O; ++o) {
        const std::size_t q = rows_.onnx_row(r);
        w[r * O + o] = alpha * onnx[transposed ? o * I + q : q * O + o];
        if (!std::isfinite(w[r * O + o])) fail(n, "alpha times weight " + std::to_string(q) + " is not finite");
      }
    add_parameters(std::move(w), {I, O}, std::move(b));
    rows_ = {1, 1, O}, c_ = O;
  }
  // Input k's weights for a dense layer ([I][O], or [O][I] when transposed) and O.
  std::pair<std::vector<float>, std::size_t> dense_weights(const node& n, std::size_t k, bool transposed) const {
    flat(n);
    const auto& dims = dims_of(n, k);
    if (dims.size() != 2 || std::size_t(dims[transposed ? 1 : 0]) != c_)
      fail(n, "weights of dims " + text(dims) + " do not take " + std::to_string(c_) + " features");
    return {weights(n, k, dims), std::size_t(dims[transposed ? 0 : 1])};
  }

  void gemm(const node& n) {
    only(n, {"alpha", "beta", "transA", "transB"});
    if (n.inputs.size() != 2 && n.inputs.size() != 3) fail(n, "has " + std::to_string(n.inputs.size()) + " inputs, expected A, B and C");
    if (integer(n, "transA", 0) != 0) fail(n, "transA is set (the input must be N x features)");
    const bool transposed = integer(n, "transB", 0) != 0;
    const attribute* alpha_attribute = find(n, "alpha", attribute_float);
    const attribute* beta_attribute = find(n, "beta", attribute_float);
    const float alpha = alpha_attribute ? alpha_attribute->f : 1.0f, beta = beta_attribute ? beta_attribute->f : 1.0f;
    if (!std::isfinite(alpha) || !std::isfinite(beta)) fail(n, "alpha or beta is not finite");
    const auto [w, O] = dense_weights(n, 1, transposed);
    std::vector<float> b(O, 0.0f);  // without C, beta scales nothing (as ONNX has it)
    if (n.inputs.size() == 3) b = weights(n, 2, {std::int64_t(O)});
    for (std::size_t o = 0; o < O; ++o)
      if (!std::isfinite(b[o] *= beta)) fail(n, "beta times bias " + std::to_string(o) + " is not finite");
    dense(n, w, transposed, alpha, std::move(b));
    add(n, {"dense", {O}, {}});
  }

  // MatMul by an [I][O] initializer, and the Add of a bias right after it when there is one.
  void matmul(const node& n) {
    only(n, {});
    expect_inputs(n, 2);
    const auto [w, O] = dense_weights(n, 1, false);
    const node* add_node = index_ + 1 < g_.nodes.size() ? &g_.nodes[index_ + 1] : nullptr;
    const bool biased = add_node && add_node->op == "Add" && add_node->inputs.size() == 2 && add_node->outputs.size() == 1 &&
                        (add_node->inputs[0] == n.outputs[0] || add_node->inputs[1] == n.outputs[0]);
    std::vector<float> b(O, 0.0f);
    if (biased) {
      ++index_;  // errors from here on name the Add
      only(*add_node, {});
      b = weights(*add_node, add_node->inputs[0] == n.outputs[0] ? 1 : 0, {std::int64_t(O)});
    }
    dense(n, w, false, 1.0f, std::move(b));
    add(biased ? *add_node : n, {"dense", {O}, {}});
  }

  void softmax(const node& n) {
    flat(n);
    expect_inputs(n, 1);
    only(n, {"axis"});
    const std::int64_t axis = integer(n, "axis", 1);
    if (axis != 1 && axis != -1) fail(n, "axis is " + std::to_string(axis) + ", not the class axis 1");
    softmax_seen_ = true;
    current_ = n.outputs[0];
  }

  const graph& g_;
  std::string where_;
  onnx_model m_;
  std::string current_;
  std::size_t index_ = 0, h_ = 0, w_ = 0, c_ = 0;
  dense_rows rows_{1, 1, 1};
  bool flat_ = false, pooled_ = false, softmax_seen_ = false;
};

}  // namespace detail::onnx

// An ONNX file's bytes as a tarmac network: its input, layers and parameters in tarmac's layouts,
// and its metadata_props. format_error starting with `where` for anything that is not a model
// the mapping above covers, or is damaged.
inline onnx_model parse_onnx(std::string_view bytes, const std::string& where) {
  const detail::onnx::graph g = detail::onnx::read_model(bytes, where);
  return detail::onnx::importer(g, where).run();
}

// Reads an ONNX file (at most 256 MiB): parse_onnx with errors naming "ONNX file PATH".
inline onnx_model read_onnx(const std::filesystem::path& path) {
  const std::string where = "ONNX file " + path.string() + ": ";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw io_error("cannot read ONNX file " + path.string() + ": no such file");
  const std::string bytes = tarmac::detail::read_whole_file(path, "ONNX file", detail::onnx::max_file);
  return parse_onnx(bytes, where);
}

}  // namespace tarmac::nn
