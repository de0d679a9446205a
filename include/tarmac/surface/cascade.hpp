#pragma once
// The RTK cascade: a type model's top class picks that type's quality model (asphalt and paved
// have three qualities, unpaved two). Generic over the model type, so a cascade of compiled
// networks, of run-time classifiers or of test doubles is the same code. Batches are grouped
// by predicted type, so each quality model runs once per batch.
#include <algorithm>
#include <cmath>
#include <concepts>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <xtensor/xtensor.hpp>

#include "tarmac/core/checked_text.hpp"
#include "tarmac/core/error.hpp"
#include "tarmac/core/files.hpp"
#include "tarmac/core/text_tree.hpp"
#include "tarmac/core/labels.hpp"
#include "tarmac/core/thread_pool.hpp"
#include "tarmac/image/roi.hpp"
#include "tarmac/image/tensor.hpp"
#include "tarmac/surface/classifier.hpp"
#include "tarmac/surface/taxonomy.hpp"

namespace tarmac::surface {

// The class a model calls: the highest probability; the lower index wins a tie, NaN never wins.
inline std::size_t top_class(std::span<const float> p) {
  std::size_t best = 0;
  for (std::size_t k = 1; k < p.size(); ++k)
    if (p[k] > p[best] || std::isnan(p[best])) best = k;
  return best;
}

template <class Model>
concept probability_model = requires(Model& m, const Model& c, const xt::xtensor<float, 4>& inputs) {
  { m.predict(inputs) } -> std::same_as<xt::xtensor<float, 2>>;
  { c.classes() } -> std::convertible_to<const std::vector<class_info>&>;
  { c.roi() } -> std::convertible_to<const image::roi_rule&>;
  { c.input() } -> std::same_as<image::input_size>;
};

struct cascade_result {
  std::size_t type = 0;
  class_info type_class;
  float type_probability = 0;
  std::vector<float> type_probabilities;
  std::optional<std::size_t> quality;  // empty when the type has no quality model
  class_info quality_class;
  float quality_probability = 0;
  std::vector<float> quality_probabilities;
};

// Exponential moving average of class probabilities over consecutive frames, so labels do not
// flicker: p = factor * p_previous + (1 - factor) * p_frame. One state per slot (the type, and
// the quality of each type); factor 0 passes frames through.
class probability_smoother {
 public:
  explicit probability_smoother(double factor = 0) : factor_(factor) {
    if (!(factor >= 0 && factor < 1))
      throw invalid_argument("probability_smoother: factor must be in [0, 1), got " + std::to_string(factor));
  }

  void apply(std::size_t slot, std::span<float> probabilities) {
    if (slot >= state_.size()) state_.resize(slot + 1);
    std::vector<float>& s = state_[slot];
    if (s.size() != probabilities.size()) {  // first frame of this slot
      s.assign(probabilities.begin(), probabilities.end());
      return;
    }
    for (std::size_t k = 0; k < s.size(); ++k)
      probabilities[k] = s[k] = float(factor_ * s[k] + (1 - factor_) * probabilities[k]);
  }

  void reset() { state_.clear(); }

 private:
  double factor_;
  std::vector<std::vector<float>> state_;
};

template <probability_model Model>
class basic_cascade {
 public:
  // quality_models[t] is the quality model of type class t, or empty when that type has none.
  basic_cascade(Model type_model, std::vector<std::optional<Model>> quality_models)
      : type_(std::move(type_model)), quality_(std::move(quality_models)) {
    const std::size_t types = type_.classes().size();
    if (quality_.size() != types)
      throw invalid_argument("cascade: " + std::to_string(quality_.size()) + " quality slots for a type model with " +
                             std::to_string(types) + " classes");
    for (std::size_t t = 0; t < types; ++t) {
      if (!quality_[t]) continue;
      const Model& q = *quality_[t];
      const image::roi_rule &a = type_.roi(), &b = q.roi();
      if (!(a == b) || q.input().width != type_.input().width || q.input().height != type_.input().height)
        throw invalid_argument("cascade: the quality model of " + type_.classes()[t].id +
                               " preprocesses frames differently from the type model (ROI or input size)");
    }
  }

  std::size_t types() const { return quality_.size(); }
  const Model& type_model() const { return type_; }
  const Model* quality_model(std::size_t type) const { return quality_.at(type) ? &*quality_[type] : nullptr; }

  // Every (type, quality) outcome in order, with "type" alone for a type without a quality
  // model: the classes of a cascade seen as one classifier (for joint confusion matrices).
  std::vector<class_info> outcomes() const {
    std::vector<class_info> out;
    for (std::size_t t = 0; t < types(); ++t) {
      const class_info& type = type_.classes()[t];
      if (!quality_[t]) out.push_back(type);
      else
        for (const class_info& q : quality_[t]->classes()) out.push_back({type.id + "/" + q.id, type.label + " " + quality_label(q)});
    }
    return out;
  }

  // The index of a result in outcomes().
  std::size_t outcome(std::size_t type, std::optional<std::size_t> quality) const {
    std::size_t index = 0;
    for (std::size_t t = 0; t < type; ++t) index += quality_[t] ? quality_[t]->classes().size() : 1;
    return index + (quality_.at(type) && quality ? *quality : 0);
  }
  image::input_size input() const { return type_.input(); }
  const image::roi_rule& roi() const { return type_.roi(); }

  // The first `count` rows of preprocessed inputs (see image::to_tensor_into) through the
  // cascade, in order. With a smoother, the probabilities are smoothed over the rows (and over
  // earlier calls) before each decision.
  std::vector<cascade_result> classify(const xt::xtensor<float, 4>& inputs, std::size_t count,
                                       probability_smoother* smoother = nullptr) {
    if (count == 0 || count > inputs.shape()[0])
      throw invalid_argument("cascade: count " + std::to_string(count) + " is not in [1, " +
                             std::to_string(inputs.shape()[0]) + "]");
    const xt::xtensor<float, 2> p = count == inputs.shape()[0] ? type_.predict(inputs) : type_.predict(first_rows(inputs, count));
    check_output(p, count, types(), "type model");
    std::vector<cascade_result> out(count);
    std::vector<std::vector<std::size_t>> by_type(types());
    for (std::size_t i = 0; i < count; ++i) {
      cascade_result& r = out[i];
      r.type_probabilities.assign(p.data() + i * types(), p.data() + (i + 1) * types());
      if (smoother) smoother->apply(0, r.type_probabilities);
      r.type = top_class(r.type_probabilities);
      r.type_class = type_.classes()[r.type];
      r.type_probability = r.type_probabilities[r.type];
      by_type[r.type].push_back(i);
    }
    for (std::size_t t = 0; t < types(); ++t) {
      if (by_type[t].empty() || !quality_[t]) continue;
      Model& model = *quality_[t];
      const std::size_t k = model.classes().size();
      const xt::xtensor<float, 2> q = model.predict(gather(inputs, by_type[t]));
      check_output(q, by_type[t].size(), k, "quality model of " + type_.classes()[t].id);
      for (std::size_t j = 0; j < by_type[t].size(); ++j) {
        cascade_result& r = out[by_type[t][j]];
        r.quality_probabilities.assign(q.data() + j * k, q.data() + (j + 1) * k);
        if (smoother) smoother->apply(1 + t, r.quality_probabilities);
        r.quality = top_class(r.quality_probabilities);
        r.quality_class = model.classes()[*r.quality];
        r.quality_probability = r.quality_probabilities[*r.quality];
      }
    }
    return out;
  }

  // Whole frames: ROI crop and resize as the models were trained.
  std::vector<cascade_result> classify(const std::vector<cv::Mat>& frames, probability_smoother* smoother = nullptr) {
    if (frames.empty()) throw invalid_argument("cascade: no frames");
    return classify(preprocess(frames, roi(), input()), frames.size(), smoother);
  }

 private:
  static void check_output(const xt::xtensor<float, 2>& p, std::size_t rows, std::size_t classes, const std::string& who) {
    if (p.shape()[0] != rows || p.shape()[1] != classes)
      throw invalid_argument("cascade: the " + who + " returned " + std::to_string(p.shape()[0]) + " x " +
                             std::to_string(p.shape()[1]) + " probabilities for " + std::to_string(rows) + " frames and " +
                             std::to_string(classes) + " classes");
  }

  static xt::xtensor<float, 4> first_rows(const xt::xtensor<float, 4>& inputs, std::size_t count) {
    std::vector<std::size_t> index(count);
    for (std::size_t i = 0; i < count; ++i) index[i] = i;
    return gather(inputs, index);
  }

  static xt::xtensor<float, 4> gather(const xt::xtensor<float, 4>& inputs, const std::vector<std::size_t>& index) {
    const auto& s = inputs.shape();
    const std::size_t row = s[1] * s[2] * s[3];
    xt::xtensor<float, 4> out = xt::empty<float>({index.size(), s[1], s[2], s[3]});
    for (std::size_t i = 0; i < index.size(); ++i)
      std::copy_n(inputs.data() + index[i] * row, row, out.data() + i * row);
    return out;
  }

  Model type_;
  std::vector<std::optional<Model>> quality_;
};

// cascade.yml: which model file is the type model and which is the quality model of each type
// class, with the classes each must have (so a swapped or retrained file is caught on loading).
// Model paths are relative to the folder of cascade.yml.
struct cascade_entry {
  std::string type;  // the type class id a quality model belongs to (empty for the type model)
  std::filesystem::path model;
  std::vector<std::string> classes;  // class ids in output order
};

struct cascade_description {
  cascade_entry type_model;
  std::vector<cascade_entry> quality_models;
};

inline constexpr int cascade_format_version = 1;

inline void write_cascade_file(const std::filesystem::path& path, const cascade_description& d) {
  auto entry = [](const cascade_entry& e) {
    text_node n;
    if (!e.type.empty()) n.add("type", e.type);
    n.add("model", e.model.string());
    text_node& classes = n.add("classes", text_node::sequence());
    for (const std::string& c : e.classes) classes.push_back(c);
    return n;
  };
  text_node root;
  root.add("format", "tarmac-cascade");
  root.add("version", cascade_format_version);
  root.add("type_model", entry(d.type_model));
  text_node& quality = root.add("quality_models", text_node::sequence());
  for (const cascade_entry& e : d.quality_models) quality.push_back(entry(e));
  const std::string text = write_text(root, text_format::yaml);
  write_text_atomically(path, path.string().ends_with(".gz") ? gzip(text) : text);
}

namespace detail {

inline cascade_entry read_cascade_entry(const text_node* node, const std::string& where, bool is_quality) {
  if (!node || node->type() != text_node::kind::map) throw format_error(where + "a model entry is not a map");
  auto string = [&](const char* key) {
    const text_node* v = node->find(key);
    return v && v->type() == text_node::kind::string ? v->string() : std::string();
  };
  cascade_entry e;
  if (is_quality) {
    const text_node* type = node->find("type");
    if (!type || type->type() != text_node::kind::string) throw format_error(where + "a quality model entry has no 'type'");
    e.type = type->string();
  }
  if (string("model").empty())
    throw format_error(where + "the " + (is_quality ? "quality model of " + e.type : std::string("type model")) + " names no 'model' file");
  e.model = string("model");
  const text_node* classes = node->find("classes");
  if (!classes || classes->type() != text_node::kind::sequence)
    throw format_error(where + "the entry of " + e.model.string() + " has no 'classes' list");
  for (const text_node& c : classes->children()) {
    if (c.type() != text_node::kind::string) throw format_error(where + "the classes of " + e.model.string() + " are not all names");
    e.classes.push_back(c.string());
  }
  return e;
}

}  // namespace detail

// Reads cascade.yml; model paths come back resolved against its folder.
inline cascade_description read_cascade_file(const std::filesystem::path& path) {
  const std::string where = "cascade file " + path.string() + ": ";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw io_error("cannot read cascade file " + path.string() + ": no such file");
  const std::string bytes = tarmac::detail::read_whole_file(path, "cascade file");
  // The header of a model file given here parses, and is then named as a model file.
  const std::size_t nul = bytes.find('\0');
  const text_node root = parse_text(std::string_view(bytes).substr(0, nul), where);
  const text_node* format = root.find("format");
  if (!format || format->type() != text_node::kind::string || format->string() != "tarmac-cascade")
    throw format_error(where + "not a tarmac cascade file ('format: tarmac-cascade' is missing)");
  if (nul != std::string::npos) throw format_error(where + "binary data follows its text (a cascade file is all text)");
  const text_node* version = root.find("version");
  if (!version || version->type() != text_node::kind::number || version->number() != cascade_format_version)
    throw format_error(where + "not format version " + std::to_string(cascade_format_version));
  cascade_description d;
  d.type_model = detail::read_cascade_entry(root.find("type_model"), where, false);
  const text_node* quality = root.find("quality_models");
  if (!quality || quality->type() != text_node::kind::sequence) throw format_error(where + "'quality_models' is missing or not a list");
  for (const text_node& q : quality->children()) d.quality_models.push_back(detail::read_cascade_entry(&q, where, true));
  const std::filesystem::path folder = path.parent_path();
  auto resolve = [&](cascade_entry& e) {
    if (e.model.is_relative()) e.model = folder / e.model;
  };
  resolve(d.type_model);
  for (cascade_entry& q : d.quality_models) resolve(q);
  return d;
}

using cascade = basic_cascade<classifier>;

// Loads cascade.yml and the model files it names; the models share one pool of `threads` threads
// (0 = hardware concurrency). A missing model file, one that does not load, or one whose classes
// differ from what cascade.yml says is an error naming that file.
template <class Networks = default_networks>
cascade load_cascade(const std::filesystem::path& path, std::size_t threads = 0) {
  const cascade_description d = read_cascade_file(path);
  const auto pool = std::make_shared<thread_pool>(threads);
  const std::string where = "cascade file " + path.string() + ": ";
  auto load = [&](const cascade_entry& e, const std::string& role) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(e.model, ec))
      throw io_error(where + "the " + role + " " + e.model.string() + " does not exist");
    classifier c = load_classifier<Networks>(e.model, pool);
    std::vector<std::string> ids;
    for (const class_info& k : c.classes()) ids.push_back(k.id);
    if (ids != e.classes) {
      auto list = [](const std::vector<std::string>& v) {
        std::string s;
        for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
        return "[" + s + "]";
      };
      throw format_error(where + "the " + role + " " + e.model.string() + " has classes " + list(ids) +
                         ", cascade.yml expects " + list(e.classes));
    }
    return c;
  };
  classifier type_model = load(d.type_model, "type model");
  std::vector<std::optional<classifier>> quality(type_model.classes().size());
  for (const cascade_entry& e : d.quality_models) {
    std::size_t t = 0;
    while (t < quality.size() && type_model.classes()[t].id != e.type) ++t;
    if (t == quality.size())
      throw format_error(where + "a quality model is for type '" + e.type + "', which the type model does not have");
    if (quality[t]) throw format_error(where + "two quality models for type '" + e.type + "'");
    quality[t] = load(e, "quality model of " + e.type);
  }
  return cascade(std::move(type_model), std::move(quality));
}

}  // namespace tarmac::surface
