#pragma once
// The headers of tarmac's files (model files, cascade.yml) as a tree of maps, sequences, strings
// and numbers, and its writer. The text is the subset of YAML and JSON that core/checked_text.hpp
// reads back, laid out byte for byte as OpenCV's cv::FileStorage wrote these files before tarmac
// wrote them itself, so that FileStorage (C++ and Python) keeps reading them.
#include <cctype>
#include <charconv>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tarmac/core/error.hpp"

namespace tarmac {

enum class text_format { yaml, json };

namespace detail {
class json_parser;
class yaml_parser;
}  // namespace detail

class text_node {
 public:
  enum class kind { map, sequence, string, number };

  text_node() = default;  // an empty map
  text_node(std::string s) : kind_(kind::string), text_(std::move(s)) {}
  text_node(const char* s) : text_node(std::string(s)) {}
  template <std::integral I>
    requires(!std::same_as<I, bool> && !std::same_as<I, char>)
  text_node(I v) : kind_(kind::number), number_(double(v)), integer_(true) {}
  text_node(double v) : kind_(kind::number), number_(v) {}
  static text_node sequence() {
    text_node n;
    n.kind_ = kind::sequence;
    return n;
  }
  template <class Range>
  static text_node sequence_of(const Range& values) {
    text_node n = sequence();
    for (const auto& v : values) n.push_back(text_node(v));
    return n;
  }
  // A number as the parser read it: `integer` when written without fraction or exponent.
  static text_node parsed_number(double v, bool integer) {
    text_node n(v);
    n.integer_ = integer;
    return n;
  }

  kind type() const { return kind_; }
  // Strings: the text, unescaped. Numbers: the value, and whether it was written as an integer.
  const std::string& string() const { return text_; }
  double number() const { return number_; }
  bool is_integer() const { return integer_; }
  // Maps: keys[i] names children[i], in file order. Sequences: the items.
  const std::vector<std::string>& keys() const { return keys_; }
  const std::vector<text_node>& children() const { return children_; }

  // A map's child, or null.
  const text_node* find(std::string_view key) const {
    for (std::size_t i = 0; i < keys_.size(); ++i)
      if (keys_[i] == key) return &children_[i];
    return nullptr;
  }

  // Appends to a map (a key it has is an invalid_argument: files hold each key once) or a sequence.
  text_node& add(std::string key, text_node value) {
    if (kind_ != kind::map) throw invalid_argument("text_node::add: '" + key + "' added to a node that is not a map");
    if (find(key)) throw invalid_argument("text_node::add: the key '" + key + "' is there already");
    keys_.push_back(std::move(key));
    return children_.emplace_back(std::move(value));
  }
  text_node& push_back(text_node value) {
    if (kind_ != kind::sequence) throw invalid_argument("text_node::push_back: the node is not a sequence");
    return children_.emplace_back(std::move(value));
  }

 private:
  friend class detail::json_parser;
  friend class detail::yaml_parser;

  // A map entry whose key the parser has checked against its own index of the keys (add's check
  // is linear per key: quadratic, i.e. a hang, on a damaged file with a million keys in one map).
  text_node& add_checked(std::string key, text_node value) {
    keys_.push_back(std::move(key));
    return children_.emplace_back(std::move(value));
  }

  kind kind_ = kind::map;
  std::string text_;
  double number_ = 0;
  bool integer_ = false;
  std::vector<std::string> keys_;
  std::vector<text_node> children_;
};

namespace detail {

// The one definition of a YAML plain scalar's characters (the parser accepts exactly these unquoted).
inline bool yaml_plain_char(unsigned char c) {
  return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         std::string_view(" .+-_()/").find(char(c)) != std::string_view::npos;
}

// Whether a plain scalar starts as a number does (it must then be one): digit, sign, or '.'.
inline bool starts_like_number(std::string_view s) {
  return !s.empty() && ((s[0] >= '0' && s[0] <= '9') || s[0] == '-' || s[0] == '+' || s[0] == '.');
}

inline constexpr int max_text_depth = 32;  // maps and sequences nested in one another, the top level included

// OpenCV's readers take strings of up to 4095 bytes as written (escapes included).
inline constexpr std::size_t max_written_string = 4095;

class text_writer {
 public:
  explicit text_writer(text_format format) : json_(format == text_format::json) {}

  std::string write(const text_node& root) {
    if (root.type() != text_node::kind::map) throw invalid_argument("text header: the top level must be a map");
    out_ = json_ ? "{" : "%YAML:1.0\n---";
    entries(root, json_ ? 4 : 0);
    out_ += json_ ? "\n}\n" : "\n";
    return std::move(out_);
  }

 private:
  static bool flow(const text_node& n) {
    if (n.type() != text_node::kind::sequence) return false;
    for (const text_node& c : n.children())
      if (c.type() != text_node::kind::number) return false;
    return true;
  }

  void newline(std::size_t indent) {
    out_ += '\n';
    line_ = out_.size();
    out_.append(indent, ' ');
  }

  // The children of a map or block sequence, one a line at `indent`.
  void entries(const text_node& n, std::size_t indent) {
    if (++depth_ > max_text_depth) throw invalid_argument("text header: more than " + std::to_string(max_text_depth) + " levels nested");
    const bool map = n.type() == text_node::kind::map;
    for (std::size_t i = 0; i < n.children().size(); ++i) {
      if (json_ && i) out_ += ',';
      newline(indent);
      if (map) {
        if (n.keys()[i].empty()) throw invalid_argument("text header: an empty key");
        for (const char c : n.keys()[i])
          if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_'))
            throw invalid_argument("text header: the key '" + n.keys()[i] + "' holds other characters than letters, digits and '_'");
        out_ += json_ ? "\"" + n.keys()[i] + "\":" : n.keys()[i] + ":";
      } else if (!json_) {
        out_ += '-';
      }
      value(n.children()[i], indent, map || !json_);
    }
    --depth_;
  }

  // A value after "key:" or "-" (after_marker), or alone on its line (a JSON sequence item).
  void value(const text_node& n, std::size_t indent, bool after_marker) {
    const std::string space = after_marker ? " " : "";
    if (n.type() == text_node::kind::string) {
      out_ += space + scalar(n.string());
    } else if (n.type() == text_node::kind::number) {
      out_ += space + number(n);
    } else if (flow(n)) {
      out_ += space;
      flow_list(n, indent);
    } else if (n.children().empty()) {
      out_ += space + (n.type() == text_node::kind::map ? "{}" : "[]");
    } else if (json_) {
      const bool map = n.type() == text_node::kind::map;
      out_ += space + (map ? "{" : "[");
      entries(n, indent + 4);
      newline(indent);
      out_ += map ? '}' : ']';
    } else {
      entries(n, indent + 3);
    }
  }

  // "[ 1, 2, 3 ]", wrapped as FileStorage wraps: past column 71, continuing 4 deeper than the line.
  void flow_list(const text_node& n, std::size_t indent) {
    if (n.children().empty()) {
      out_ += "[]";
      return;
    }
    out_ += '[';
    for (std::size_t i = 0; i < n.children().size(); ++i) {
      const std::string item = number(n.children()[i]);
      if (i) out_ += ',';
      const std::size_t offset = out_.size() - line_ + item.size();
      if (offset > 71 && offset - (indent + 4) > 10)
        newline(indent + 4);
      else
        out_ += ' ';
      out_ += item;
    }
    out_ += " ]";
  }

  std::string number(const text_node& n) const {
    const double v = n.number();
    if (!std::isfinite(v)) throw invalid_argument("text header: a value is not finite (" + std::to_string(v) + ")");
    char buffer[32];
    std::to_chars_result r;
    if (n.is_integer() && std::abs(v) < 9e18) {
      r = std::to_chars(buffer, buffer + sizeof buffer, static_cast<long long>(v));
    } else if (v == std::nearbyint(v) && std::abs(v) < 2147483647.0) {  // FileStorage: "1." (YAML), "1.0" (JSON)
      r = std::to_chars(buffer, buffer + sizeof buffer, static_cast<long long>(v));
      *r.ptr++ = '.';
      if (json_) *r.ptr++ = '0';
    } else {
      r = std::to_chars(buffer, buffer + sizeof buffer, v, std::chars_format::scientific, 16);
    }
    return std::string(buffer, r.ptr);
  }

  // A string, quoted unless YAML reads it back plain as the same string.
  std::string scalar(const std::string& s) const {
    bool plain = !json_ && !s.empty() && !starts_like_number(s) && s.front() != ' ' && s.back() != ' ';
    std::string quoted = "\"";
    for (const char c : s) {
      const unsigned char u = static_cast<unsigned char>(c);
      // Plain as FileStorage writes plain (it quotes '.' and UTF-8 too), except ';', which the parser refuses.
      plain = plain && (std::isalnum(u) || std::string_view("_ -()/+").find(c) != std::string_view::npos);
      if (c == '"' || c == '\\') quoted += {'\\', c};
      else if (c == '\n') quoted += "\\n";
      else if (c == '\r') quoted += "\\r";
      else if (c == '\t') quoted += "\\t";
      else if (u < 0x20 || u == 0x7f)
        throw invalid_argument("text header: the string '" + s + "' holds a control character");
      else quoted += c;
    }
    quoted += '"';
    if (quoted.size() - 2 > max_written_string)
      throw invalid_argument("text header: a string of " + std::to_string(quoted.size() - 2) + " bytes as written; OpenCV's readers take at most " +
                             std::to_string(max_written_string));
    return plain ? s : quoted;
  }

  bool json_;
  std::string out_;
  std::size_t line_ = 0;  // where the current line starts in out_
  int depth_ = 0;
};

}  // namespace detail

// The text of a header: YAML ("%YAML:1.0" first) or JSON, as docs/model-format.md shows.
inline std::string write_text(const text_node& root, text_format format) { return detail::text_writer(format).write(root); }

}  // namespace tarmac
