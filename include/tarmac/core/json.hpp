#pragma once
// A JSON value built in code and written as one line of text (what the tools print with
// --json). Objects keep their keys in the order given, since scripts and diffs read them in
// that order. Every value it writes is valid JSON: strings are escaped, bytes that are not
// UTF-8 become U+FFFD, NaN and the infinities (which JSON cannot hold) become null, and an
// object with a key twice is refused. Doubles are written in the shortest form that reads
// back as the same double.
#include <charconv>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "tarmac/core/error.hpp"

namespace tarmac::json {

class value;
using array = std::vector<value>;
using object = std::vector<std::pair<std::string, value>>;

class value {
 public:
  value() = default;  // null
  value(std::nullptr_t) {}
  value(bool b) : v_(b) {}
  template <std::integral T>
    requires(!std::same_as<T, bool>)
  value(T n) {
    if constexpr (std::signed_integral<T>) v_ = std::int64_t(n);
    else v_ = std::uint64_t(n);
  }
  template <std::floating_point T>
  value(T x) : v_(double(x)) {}
  value(std::string s) : v_(std::move(s)) {}
  value(std::string_view s) : v_(std::string(s)) {}
  value(const char* s) : v_(std::string(s)) {}
  value(array a) : v_(std::move(a)) {}
  value(object o) : v_(std::move(o)) {}

  // The held value if it is a T (bool, std::int64_t, std::uint64_t, double, std::string, array
  // or object), else null: to add members to an object a renderer returned, say.
  template <class T>
  T* get_if() {
    return std::get_if<T>(&v_);
  }
  template <class T>
  const T* get_if() const {
    return std::get_if<T>(&v_);
  }

  // One line; ", " between items and ": " after keys.
  std::string dump() const {
    std::string out;
    write(out);
    return out;
  }

 private:
  void write(std::string& out) const {
    std::visit([&](const auto& v) { write(out, v); }, v_);
  }

  static void write(std::string& out, std::nullptr_t) { out += "null"; }
  static void write(std::string& out, bool b) { out += b ? "true" : "false"; }
  template <class Number>
    requires std::integral<Number> || std::floating_point<Number>
  static void write(std::string& out, Number n) {
    if constexpr (std::floating_point<Number>)
      if (!std::isfinite(n)) return write(out, nullptr);
    char text[32];
    out.append(text, std::to_chars(text, text + sizeof text, n).ptr);
  }
  static void write(std::string& out, const std::string& s) { write_string(out, s); }
  static void write(std::string& out, const array& a) {
    out += '[';
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (i) out += ", ";
      a[i].write(out);
    }
    out += ']';
  }
  static void write(std::string& out, const object& o) {
    std::set<std::string_view> keys;
    out += '{';
    for (std::size_t i = 0; i < o.size(); ++i) {
      if (!keys.insert(o[i].first).second)
        throw invalid_argument("json: the key \"" + o[i].first + "\" appears twice in one object");
      if (i) out += ", ";
      write_string(out, o[i].first);
      out += ": ";
      o[i].second.write(out);
    }
    out += '}';
  }

  // Bytes in a well-formed UTF-8 sequence at s[i] (Unicode table 3-7: no overlong forms, no
  // surrogates, nothing past U+10FFFF), or 0 when there is none.
  static std::size_t utf8_length(std::string_view s, std::size_t i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char lead = byte(i);
    if (lead < 0x80) return 1;
    std::size_t n = 0;
    unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
    if (lead >= 0xC2 && lead <= 0xDF) n = 2;
    else if (lead == 0xE0) n = 3, low = 0xA0;
    else if (lead == 0xED) n = 3, high = 0x9F;
    else if (lead >= 0xE1 && lead <= 0xEF) n = 3;
    else if (lead == 0xF0) n = 4, low = 0x90;
    else if (lead == 0xF4) n = 4, high = 0x8F;
    else if (lead >= 0xF1 && lead <= 0xF3) n = 4;
    if (n == 0 || i + n > s.size() || byte(i + 1) < low || byte(i + 1) > high) return 0;
    for (std::size_t k = 2; k < n; ++k)
      if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
    return n;
  }

  static void write_string(std::string& out, std::string_view s) {
    out += '"';
    for (std::size_t i = 0; i < s.size();) {
      const char c = s[i];
      const std::size_t n = utf8_length(s, i);
      if (n == 0) {
        out += "\\ufffd";  // a byte that is not UTF-8: JSON text must be Unicode
        ++i;
        continue;
      }
      if (c == '"' || c == '\\') out += '\\', out += c;
      else if (c == '\n') out += "\\n";
      else if (c == '\t') out += "\\t";
      else if (c == '\r') out += "\\r";
      else if (static_cast<unsigned char>(c) < 0x20) {
        constexpr char hex[] = "0123456789abcdef";
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 15];
      } else {
        out.append(s, i, n);
      }
      i += n;
    }
    out += '"';
  }

  std::variant<std::nullptr_t, bool, std::int64_t, std::uint64_t, double, std::string, array, object> v_;
};

}  // namespace tarmac::json
