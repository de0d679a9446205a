#pragma once
// The parser guard. OpenCV 4.6's FileStorage parsers are not safe on damaged input: fuzzing the
// model loader found a YAML input that makes cv::FileStorage::open loop forever ("---t: [1, 2 ]"
// followed by a bad key), and OSS-Fuzz reports out-of-bounds reads in its YAML key parser. So a
// file meant for a parser is read and decompressed here, checked against the strict subset of
// JSON / YAML that tarmac's files use, and only then handed to the parser (from memory).
#include <cctype>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "tarmac/core/error.hpp"
#include "tarmac/core/gzip.hpp"

namespace tarmac::detail {

inline constexpr std::size_t max_checked_text = std::size_t{1} << 30;  // 1 GiB uncompressed

// The file's bytes, gunzipped when the name ends in .gz (kind names the file in errors). One read of the whole file: a model's
// payload is megabytes, and a byte-wise stream copy of it would cost more than the rest of loading.
inline std::string read_whole_file(const std::filesystem::path& path, const std::string& kind = "model file") {
  const std::string where = kind + " " + path.string() + ": ";
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > max_checked_text) throw format_error(where + "larger than 1 GiB");
  std::ifstream in(path, std::ios::binary);
  if (!in || ec) throw io_error("cannot read " + kind + " " + path.string());
  std::string bytes(std::size_t(size), '\0');
  in.read(bytes.data(), std::streamsize(bytes.size()));
  if (std::size_t(in.gcount()) != bytes.size() || in.bad() || in.peek() != std::ifstream::traits_type::eof())
    throw io_error("cannot read " + kind + " " + path.string() + ": read error (the file changed while being read?)");
  if (path.string().ends_with(".gz")) return gunzip(bytes, max_checked_text, where);
  return bytes;
}

// A strict recogniser of JSON (RFC 8259, nesting at most 32 deep).
class json_checker {
 public:
  explicit json_checker(const std::string& text) : s_(text) {}

  // Empty when the text is one valid JSON object, else what is wrong and where.
  std::string problem() {
    space();
    if (!at('{')) return "a JSON model file must be one object";
    if (!value(0)) return error_;
    space();
    if (i_ != s_.size()) return fail("text after the top-level object"), error_;
    return {};
  }

 private:
  bool fail(const char* what) {
    if (error_.empty()) error_ = std::string(what) + " at byte " + std::to_string(i_);
    return false;
  }
  bool at(char c) const { return i_ < s_.size() && s_[i_] == c; }
  void space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  bool literal(const char* word) {
    for (const char* c = word; *c; ++c, ++i_)
      if (!at(*c)) return fail("invalid literal");
    return true;
  }
  bool string() {
    ++i_;  // opening quote
    while (i_ < s_.size() && s_[i_] != '"') {
      const unsigned char c = static_cast<unsigned char>(s_[i_]);
      if (c < 0x20) return fail("control character in a string");
      if (c == '\\') {  // escapes change nothing structural, but OpenCV must not see odd ones
        ++i_;
        if (i_ >= s_.size() || std::string_view("\"\\/bfnrt").find(s_[i_]) == std::string_view::npos)
          return fail("unsupported escape in a string");
      }
      ++i_;
    }
    if (!at('"')) return fail("unterminated string");
    ++i_;
    return true;
  }
  bool number() {
    const std::size_t start = i_;
    if (at('-')) ++i_;
    if (!digits()) return fail("invalid number");
    if (s_[start + (s_[start] == '-')] == '0' && i_ - start > std::size_t(1 + (s_[start] == '-'))) return fail("leading zero");
    if (at('.')) {
      ++i_;
      if (!digits()) return fail("invalid number");
    }
    if (at('e') || at('E')) {
      ++i_;
      if (at('+') || at('-')) ++i_;
      if (!digits()) return fail("invalid number");
    }
    return true;
  }
  bool digits() {
    const std::size_t start = i_;
    while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    return i_ > start;
  }
  bool value(int depth) {
    if (depth > 32) return fail("nested too deep");
    space();
    if (i_ >= s_.size()) return fail("unexpected end");
    const char c = s_[i_];
    if (c == '"') return string();
    if (c == 't') return literal("true");
    if (c == 'f') return literal("false");
    if (c == 'n') return literal("null");
    if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) return number();
    if (c != '{' && c != '[') return fail("unexpected character");
    const char close = c == '{' ? '}' : ']';
    ++i_;
    space();
    if (at(close)) return ++i_, true;
    for (;;) {
      if (close == '}') {
        space();
        if (!at('"')) return fail("expected a key");
        if (!string()) return false;
        space();
        if (!at(':')) return fail("expected ':'");
        ++i_;
      }
      if (!value(depth + 1)) return false;
      space();
      if (at(',')) {
        ++i_;
        continue;
      }
      if (at(close)) return ++i_, true;
      return fail("expected ',' or a closing bracket");
    }
  }

  const std::string& s_;
  std::size_t i_ = 0;
  std::string error_;
};

// A strict check of the block YAML that cv::FileStorage writes: "%YAML:1.x", "---", then lines
// of "key: value", "key:", "-", "- value" with space indentation, where a value is a plain
// scalar, a double-quoted string, or a flow list "[ ... ]" of scalars that may span lines.
// Indentation must nest as FileStorage nests it: "key:" and a bare "-" open a deeper block, and
// the lines of one block share its indent and are all keys or all items (OpenCV 4.6 loops forever
// on some files that mix them).
inline std::string yaml_problem(const std::string& text) {
  std::size_t line_no = 0, pos = 0;
  bool in_list = false;
  struct block {
    std::size_t indent;
    bool items;  // '-' lines, else 'key:' lines
  };
  std::vector<block> blocks;
  bool opening = true;  // the next line starts a deeper block
  auto bad = [&](const char* what) { return std::string(what) + " on line " + std::to_string(line_no); };
  auto scalar_char = [](unsigned char c) {
    return c >= 0x80 || std::isalnum(c) || std::string_view(" .+-_()/").find(char(c)) != std::string_view::npos;
  };
  while (pos < text.size()) {
    const std::size_t end = std::min(text.find('\n', pos), text.size());
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    for (unsigned char c : line)
      if (c < 0x20 || c == 0x7f) return bad("control character");
    if (line_no == 1) {
      if (!line.starts_with("%YAML:1.") && !line.starts_with("%YAML 1.")) return bad("not a YAML model file: expected %YAML:1.0");
      continue;
    }
    if (line_no == 2) {
      if (line != "---") return bad("expected '---'");
      continue;
    }
    std::size_t i = line.find_first_not_of(' ');
    if (i == std::string::npos) continue;
    auto flow_items = [&](std::size_t from) -> std::string {  // items of a flow list, up to ']' or the line end
      for (; from < line.size(); ++from) {
        const unsigned char c = static_cast<unsigned char>(line[from]);
        if (c == ']') {
          if (line.find_first_not_of(' ', from + 1) != std::string::npos) return bad("text after ']'");
          in_list = false;
          return {};
        }
        if (c != ',' && !scalar_char(c)) return bad("unexpected character in a list");
      }
      return {};
    };
    if (in_list) {
      if (auto p = flow_items(i); !p.empty()) return p;
      continue;
    }
    const bool item = line[i] == '-';
    if (opening) {
      if (!blocks.empty() && i <= blocks.back().indent) return bad("expected a more indented block");
      blocks.push_back({i, item});
      opening = false;
    } else {
      while (!blocks.empty() && blocks.back().indent > i) blocks.pop_back();
      if (blocks.empty() || blocks.back().indent != i) return bad("indentation matches no enclosing block");
      if (blocks.back().items != item) return bad("keys and list items mixed in one block");
    }
    if (item) {
      ++i;
      if (i == line.size()) {
        opening = true;
        continue;
      }
      if (line[i] != ' ') return bad("expected '- '");
      i = line.find_first_not_of(' ', i);
      if (i == std::string::npos) {
        opening = true;
        continue;
      }
    } else {
      const std::size_t colon = line.find(':', i);
      if (colon == std::string::npos || colon == i) return bad("expected 'key:'");
      for (std::size_t k = i; k < colon; ++k)
        if (!std::isalnum(static_cast<unsigned char>(line[k])) && line[k] != '_') return bad("invalid key");
      i = colon + 1;
      if (i < line.size() && line[i] != ' ') return bad("expected a space after ':'");
      i = line.find_first_not_of(' ', i);
      if (i == std::string::npos) {  // a map or list follows on the next lines
        opening = true;
        continue;
      }
    }
    const char first = line[i];
    if (first == '[') {
      in_list = true;
      if (auto p = flow_items(i + 1); !p.empty()) return p;
    } else if (first == '"') {
      std::size_t k = i + 1;
      for (; k < line.size() && line[k] != '"'; ++k)
        if (line[k] == '\\') {
          if (k + 1 >= line.size() || std::string_view("\"\\nt").find(line[k + 1]) == std::string_view::npos)
            return bad("unsupported escape");
          ++k;
        }
      if (k >= line.size() || line.find_first_not_of(' ', k + 1) != std::string::npos) return bad("bad quoted string");
    } else {
      if (first == '-' && (i + 1 >= line.size() || line[i + 1] == ' ')) return bad("nested '- -' is not used in model files");
      for (std::size_t k = i; k < line.size(); ++k)
        if (!scalar_char(static_cast<unsigned char>(line[k]))) return bad("unexpected character in a value");
    }
  }
  if (line_no < 2) return "not a YAML model file: too short";
  if (in_list) return "unterminated list at the end of the file";
  if (opening && !blocks.empty()) return "a block is empty at the end of the file";
  return {};
}

// Empty when `text` is in the subset of JSON or YAML that model and cascade files use, else what is wrong.
inline std::string text_problem(const std::string& text) {
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  return first != std::string::npos && text[first] == '{' ? json_checker(text).problem() : yaml_problem(text);
}

}  // namespace tarmac::detail
