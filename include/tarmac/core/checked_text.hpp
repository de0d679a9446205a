#pragma once
// The strict parser of tarmac's file headers (model files, cascade.yml): the subset of JSON and
// YAML that core/text_tree.hpp writes (and that OpenCV's FileStorage wrote before it), read into a
// text_node tree. It replaces FileStorage's parsers, which are not safe on damaged input: fuzzing
// found a YAML input that makes cv::FileStorage::open loop forever ("---t: [1, 2 ]" followed by a
// bad key), and OSS-Fuzz reports out-of-bounds reads in its YAML key parser. Anything outside the
// subset is a format_error saying what and where (JSON: the byte, YAML: the line).
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "tarmac/core/error.hpp"
#include "tarmac/core/gzip.hpp"
#include "tarmac/core/text_tree.hpp"

namespace tarmac {
namespace detail {

inline constexpr std::size_t max_checked_text = std::size_t{1} << 30;  // 1 GiB uncompressed

// The file's bytes, gunzipped when the name ends in .gz (kind names the file in errors). One read of the whole file: a model's
// payload is megabytes, and a byte-wise stream copy of it would cost more than the rest of loading.
// At most `limit` bytes (read and gunzipped).
inline std::string read_whole_file(const std::filesystem::path& path, const std::string& kind = "model file",
                                   std::size_t limit = max_checked_text) {
  const std::string where = kind + " " + path.string() + ": ";
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > limit) throw format_error(where + "larger than " + std::to_string(limit >> 20) + " MiB");
  std::ifstream in(path, std::ios::binary);
  if (!in || ec) throw io_error("cannot read " + kind + " " + path.string());
  std::string bytes(std::size_t(size), '\0');
  in.read(bytes.data(), std::streamsize(bytes.size()));
  if (std::size_t(in.gcount()) != bytes.size() || in.bad() || in.peek() != std::ifstream::traits_type::eof())
    throw io_error("cannot read " + kind + " " + path.string() + ": read error (the file changed while being read?)");
  if (path.string().ends_with(".gz")) return gunzip(bytes, limit, where);
  return bytes;
}

// A number, or why the text is none: JSON's grammar (RFC 8259), or in YAML also a '+' sign, "1.",
// ".5" and .inf / .nan (version-1 files may hold them; loading then refuses the value as not
// finite). Neither takes leading zeros: OpenCV reads "017" as octal.
inline std::optional<text_node> parse_number(std::string_view s, bool yaml, std::string& problem) {
  std::size_t i = 0;
  const bool sign = !s.empty() && (s[0] == '-' || (yaml && s[0] == '+'));
  i += sign;
  if (yaml) {
    std::string lower(s.substr(i));
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    if (lower == ".nan" && !sign) return text_node::parsed_number(std::numeric_limits<double>::quiet_NaN(), false);
    if (lower == ".inf") return text_node::parsed_number(s[0] == '-' ? -HUGE_VAL : HUGE_VAL, false);
  }
  auto digits = [&] {
    const std::size_t from = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i - from;
  };
  const std::size_t whole = digits();
  if (whole > 1 && s[sign] == '0') return problem = "leading zero", std::nullopt;
  bool integer = true;
  if (i < s.size() && s[i] == '.') {
    ++i, integer = false;
    if (digits() == 0 && (!yaml || whole == 0)) return problem = "invalid number", std::nullopt;
  } else if (whole == 0) {
    return problem = "invalid number", std::nullopt;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i, integer = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return problem = "invalid number", std::nullopt;
  }
  if (i != s.size()) return problem = "invalid number", std::nullopt;
  const std::size_t from = s[0] == '+';  // from_chars takes no '+'
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data() + from, s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return problem = "a number out of range", std::nullopt;
  return text_node::parsed_number(v, integer);
}

// JSON (RFC 8259): one object; strings without \u escapes (OpenCV reads none); no true, false or null.
class json_parser {
 public:
  json_parser(std::string_view text, const std::string& where) : s_(text), where_(where) {}

  text_node parse() {
    space();
    if (!at('{')) fail("a JSON header must be one object");
    text_node root = value(0);
    space();
    if (i_ != s_.size()) fail("text after the top-level object");
    return root;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw format_error(where_ + what + " at byte " + std::to_string(i_)); }
  bool at(char c) const { return i_ < s_.size() && s_[i_] == c; }
  void space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  std::string string() {
    ++i_;  // opening quote
    std::string out;
    while (i_ < s_.size() && s_[i_] != '"') {
      const unsigned char c = static_cast<unsigned char>(s_[i_]);
      if (c < 0x20) fail("control character in a string");
      if (c == '\\') {
        ++i_;
        static constexpr std::string_view escapes = "\"\\/bfnrt", meaning = "\"\\/\b\f\n\r\t";
        const std::size_t e = i_ < s_.size() ? escapes.find(s_[i_]) : std::string_view::npos;
        if (e == std::string_view::npos) fail("unsupported escape in a string");
        out += meaning[e];
      } else {
        out += char(c);
      }
      ++i_;
    }
    if (!at('"')) fail("unterminated string");
    ++i_;
    return out;
  }
  text_node number() {
    const std::size_t start = i_;
    while (i_ < s_.size() && std::string_view("+-.eE0123456789").find(s_[i_]) != std::string_view::npos) ++i_;
    std::string problem;
    if (auto n = parse_number(s_.substr(start, i_ - start), false, problem)) return *std::move(n);
    i_ = start;
    fail(problem);
  }
  text_node value(int depth) {
    if (depth > max_text_depth) fail("nested too deep");
    space();
    if (i_ >= s_.size()) fail("unexpected end");
    const char c = s_[i_];
    if (c == '"') return string();
    if (c == '-' || (c >= '0' && c <= '9')) return number();
    if (c != '{' && c != '[') fail("unexpected character");
    const char close = c == '{' ? '}' : ']';
    text_node node = close == '}' ? text_node() : text_node::sequence();
    std::unordered_set<std::string> keys;
    ++i_;
    space();
    if (at(close)) return ++i_, node;
    for (;;) {
      space();
      if (close == '}') {
        if (!at('"')) fail("expected a key");
        const std::size_t key_at = i_;
        std::string key = string();
        if (!keys.insert(key).second) i_ = key_at, fail("the key '" + key + "' appears twice");
        space();
        if (!at(':')) fail("expected ':'");
        ++i_;
        node.add_checked(std::move(key), value(depth + 1));
      } else {
        node.push_back(value(depth + 1));
      }
      space();
      if (at(',')) {
        ++i_;
        continue;
      }
      if (at(close)) return ++i_, node;
      fail("expected ',' or a closing bracket");
    }
  }

  std::string_view s_;
  const std::string& where_;
  std::size_t i_ = 0;
};

// The block YAML that cv::FileStorage writes: "%YAML:1.0", "---", then lines of "key: value",
// "key:", "-", "- value" with space indentation, where a value is a plain scalar, a double-quoted
// string, "{}", or a flow list "[ ... ]" of plain scalars that may span lines. Indentation must nest
// as FileStorage nests it: "key:" and a bare "-" open a deeper block, and the lines of one block
// share its indent and are all keys or all items (OpenCV 4.6 loops forever on some files that mix them).
class yaml_parser {
 public:
  yaml_parser(std::string_view text, const std::string& where) : s_(text), where_(where) {}

  text_node parse() {
    text_node root;
    std::size_t pos = 0;
    while (pos < s_.size()) {
      const std::size_t end = std::min(s_.find('\n', pos), s_.size());
      std::string_view line = s_.substr(pos, end - pos);
      pos = end + 1;
      ++line_no_;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      for (const unsigned char c : line)
        if (c < 0x20 || c == 0x7f) fail("control character");
      if (line_no_ == 1) {
        if (!line.starts_with("%YAML:1.") && !line.starts_with("%YAML 1.")) fail("not a YAML header: expected %YAML:1.0");
      } else if (line_no_ == 2) {
        if (line != "---") fail("expected '---'");
      } else {
        content(line, root);
      }
    }
    if (line_no_ < 2) throw format_error(where_ + "not a YAML header: too short");
    if (list_) throw format_error(where_ + "unterminated list at the end of the file");
    if (opening_ && !blocks_.empty()) throw format_error(where_ + "a block is empty at the end of the file");
    return root;
  }

 private:
  struct block {
    std::size_t indent;
    bool items;  // '-' lines, else 'key:' lines
    text_node* node;
    std::unordered_set<std::string> keys = {};
  };

  [[noreturn]] void fail(const std::string& what) const {
    throw format_error(where_ + what + " on line " + std::to_string(line_no_));
  }

  // A scalar: quoted, or plain (a number when it starts as one does, else a string).
  text_node scalar(std::string_view v) const {
    if (v.front() == '"') {
      std::string out;
      std::size_t k = 1;
      for (; k < v.size() && v[k] != '"'; ++k) {
        if (v[k] != '\\') {
          out += v[k];
          continue;
        }
        static constexpr std::string_view escapes = "\"\\nrt", meaning = "\"\\\n\r\t";
        const std::size_t e = k + 1 < v.size() ? escapes.find(v[k + 1]) : std::string_view::npos;
        if (e == std::string_view::npos) fail("unsupported escape");
        out += meaning[e];
        ++k;
      }
      if (k >= v.size() || v.find_first_not_of(' ', k + 1) != std::string_view::npos) fail("bad quoted string");
      return out;
    }
    while (v.back() == ' ') v.remove_suffix(1);
    for (const char c : v)
      if (!yaml_plain_char(static_cast<unsigned char>(c))) fail("unexpected character in a value");
    if (!starts_like_number(v)) return std::string(v);
    std::string problem;
    if (auto n = parse_number(v, true, problem)) return *std::move(n);
    fail(problem);
  }

  // Items of a flow list from `line`, up to ']' (which ends the list) or the line's end.
  void flow_items(std::string_view line) {
    const std::size_t close = line.find(']');
    if (close != std::string_view::npos && line.find_first_not_of(' ', close + 1) != std::string_view::npos) fail("text after ']'");
    for (const char c : line.substr(0, close))
      if (c != ',' && !yaml_plain_char(static_cast<unsigned char>(c))) fail("unexpected character in a list");
    pending_ += line.substr(0, close);
    if (close == std::string_view::npos) return;
    list_ = false;
    const std::size_t first = pending_.find_first_not_of(' ');
    if (first == std::string::npos) return pending_.clear();  // "[]"
    for (std::size_t from = 0;;) {
      const std::size_t comma = std::min(pending_.find(',', from), pending_.size());
      const std::string_view item = std::string_view(pending_).substr(from, comma - from);
      const std::size_t a = item.find_first_not_of(' ');
      if (a == std::string_view::npos) fail("an empty item in a list");
      target_->push_back(scalar(item.substr(a)));
      if (comma == pending_.size()) break;
      from = comma + 1;
    }
    pending_.clear();
  }

  // Where the value of a line goes: a new child of the innermost block (under `key` in a map).
  text_node& place(text_node value) {
    return key_.empty() ? blocks_.back().node->push_back(std::move(value)) : blocks_.back().node->add_checked(key_, std::move(value));
  }

  void content(std::string_view line, text_node& root) {
    std::size_t i = line.find_first_not_of(' ');
    if (i == std::string_view::npos) return;
    if (list_) return flow_items(line.substr(i));
    const bool item = line[i] == '-';
    if (opening_) {
      if (!blocks_.empty() && i <= blocks_.back().indent) fail("expected a more indented block");
      if (blocks_.size() >= std::size_t(max_text_depth)) fail("nested too deep");
      text_node* node = &root;
      if (blocks_.empty()) {
        if (item) root = text_node::sequence();
      } else {
        node = &place(item ? text_node::sequence() : text_node());
      }
      blocks_.push_back({i, item, node});
      opening_ = false;
    } else {
      while (!blocks_.empty() && blocks_.back().indent > i) blocks_.pop_back();
      if (blocks_.empty() || blocks_.back().indent != i) fail("indentation matches no enclosing block");
      if (blocks_.back().items != item) fail("keys and list items mixed in one block");
    }
    key_.clear();
    if (item) {
      ++i;
      if (i < line.size() && line[i] != ' ') fail("expected '- '");
      i = std::min(line.find_first_not_of(' ', i), line.size());
    } else {
      const std::size_t colon = line.find(':', i);
      if (colon == std::string_view::npos || colon == i) fail("expected 'key:'");
      for (std::size_t k = i; k < colon; ++k)
        if (!std::isalnum(static_cast<unsigned char>(line[k])) && line[k] != '_') fail("invalid key");
      key_ = line.substr(i, colon - i);
      if (!blocks_.back().keys.insert(key_).second) fail("the key '" + key_ + "' appears twice");
      i = colon + 1;
      if (i < line.size() && line[i] != ' ') fail("expected a space after ':'");
      i = std::min(line.find_first_not_of(' ', i), line.size());
    }
    if (i == line.size()) {  // a map or list follows on the next lines
      opening_ = true;
      return;
    }
    const std::string_view v = line.substr(i);
    if (v[0] == '-' && (v.size() == 1 || v[1] == ' ')) fail("nested '- -' is not used in these files");
    if (v == "{}") {
      place(text_node());
    } else if (v[0] == '[') {
      target_ = &place(text_node::sequence());
      list_ = true;
      flow_items(v.substr(1));
    } else {
      place(scalar(v));
    }
  }

  std::string_view s_;
  const std::string& where_;
  std::size_t line_no_ = 0;
  std::vector<block> blocks_;
  bool opening_ = true;  // the next line starts a deeper block (or the top level)
  std::string key_;      // the key of the current line; empty for an item
  bool list_ = false;    // inside a flow list that continues on the next line
  text_node* target_ = nullptr;  // the flow list being read
  std::string pending_;  // its text so far
};

}  // namespace detail

// The header `text` (JSON when it starts with '{', else YAML) as a tree; what is wrong and where
// is a format_error starting with `where` (e.g. "model file x.yml: ").
inline text_node parse_text(std::string_view text, const std::string& where) {
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && text[first] == '{') return detail::json_parser(text, where).parse();
  return detail::yaml_parser(text, where).parse();
}

}  // namespace tarmac
