#pragma once
// The protobuf wire format (protobuf.dev/programming-guides/encoding), enough to write and read
// messages by field number without generated code or a protobuf runtime: varints, 32- and 64-bit
// fixed values and length-delimited fields (strings, bytes, nested messages, packed repeated
// values). ONNX files are protobuf messages (nn/onnx.hpp). Reading never allocates by what the
// bytes declare: every length is checked against the bytes that are there, and a damaged field is
// a format_error naming `where` and the field's number.
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tarmac/core/error.hpp"

namespace tarmac::protobuf {

enum class wire : std::uint8_t { varint = 0, fixed64 = 1, bytes = 2, fixed32 = 5 };

// A message under construction: append fields in any order (readers take them in any order).
class writer {
 public:
  void varint(std::uint32_t field, std::uint64_t v) {
    tag(field, wire::varint);
    raw_varint(v);
  }
  void bytes(std::uint32_t field, std::string_view b) {
    tag(field, wire::bytes);
    raw_varint(b.size());
    out_.append(b);
  }
  void message(std::uint32_t field, const writer& m) { bytes(field, m.out_); }
  void fixed32(std::uint32_t field, float v) {
    tag(field, wire::fixed32);
    char b[4];
    std::memcpy(b, &v, 4);  // protobuf is little-endian, as every machine tarmac builds for (nn/io.hpp)
    out_.append(b, 4);
  }
  // A packed repeated int64 (negative values as 10-byte two's complement, as protobuf has it).
  void packed(std::uint32_t field, std::span<const std::int64_t> values) {
    writer body;
    for (const std::int64_t v : values) body.raw_varint(static_cast<std::uint64_t>(v));
    message(field, body);
  }
  const std::string& data() const { return out_; }

 private:
  void tag(std::uint32_t field, wire type) { raw_varint(std::uint64_t{field} << 3 | static_cast<std::uint8_t>(type)); }
  void raw_varint(std::uint64_t v) {
    for (; v >= 0x80; v >>= 7) out_ += static_cast<char>(v | 0x80);
    out_ += static_cast<char>(v);
  }
  std::string out_;
};

// One field as read: its number, its wire type, and its value (varint and fixed values in
// `number`, fixed32 as the raw 32 bits; length-delimited ones as a view into the message).
struct field {
  std::uint32_t number = 0;
  wire type = wire::varint;
  std::uint64_t value = 0;
  std::string_view bytes;

  float as_float() const {
    const auto bits = static_cast<std::uint32_t>(value);
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
};

// The fields of one message in order. `where` names the message in errors ("ONNX file x.onnx:
// graph node 3: ").
class reader {
 public:
  reader(std::string_view message, std::string where) : rest_(message), where_(std::move(where)) {}

  const std::string& where() const { return where_; }
  [[noreturn]] void fail(const std::string& what) const { throw format_error(where_ + what); }

  // The next field into f; false at the end of the message.
  bool next(field& f) {
    if (rest_.empty()) return false;
    const std::uint64_t key = varint("a field key");
    f.number = static_cast<std::uint32_t>(key >> 3);
    if (f.number == 0 || key >> 32) fail("a field number of " + std::to_string(key >> 3) + " (damaged?)");
    f.bytes = {};
    switch (key & 7) {
      case 0: f.type = wire::varint, f.value = varint("field " + std::to_string(f.number)); break;
      case 1: f.type = wire::fixed64, f.value = fixed(8, f.number); break;
      case 5: f.type = wire::fixed32, f.value = fixed(4, f.number); break;
      case 2: {
        f.type = wire::bytes;
        const std::uint64_t length = varint("field " + std::to_string(f.number) + "'s length");
        if (length > rest_.size())
          fail("field " + std::to_string(f.number) + " declares " + std::to_string(length) + " bytes, " +
               std::to_string(rest_.size()) + " remain (truncated?)");
        f.bytes = rest_.substr(0, length);
        rest_.remove_prefix(length);
        break;
      }
      default: fail("field " + std::to_string(f.number) + " has wire type " + std::to_string(key & 7) + " (groups or damage)");
    }
    return true;
  }

  // A field's value as the type its schema gives, with the field named in errors.
  void expect(const field& f, wire type, std::string_view name) const {
    if (f.type != type) fail(std::string(name) + " (field " + std::to_string(f.number) + ") has the wrong wire type");
  }
  std::int64_t int64(const field& f, std::string_view name) const {
    expect(f, wire::varint, name);
    return static_cast<std::int64_t>(f.value);
  }
  std::string_view bytes(const field& f, std::string_view name) const {
    expect(f, wire::bytes, name);
    return f.bytes;
  }
  // A repeated int64 field, packed or one value a field: appends to out, which may hold at most
  // `limit` values (more is a format_error, before they are stored).
  void append_int64s(const field& f, std::string_view name, std::vector<std::int64_t>& out, std::size_t limit) const {
    const auto room = [&] {
      if (out.size() >= limit) fail(std::string(name) + ": more than " + std::to_string(limit) + " values (the most this reader takes)");
    };
    if (f.type == wire::varint) return room(), out.push_back(static_cast<std::int64_t>(f.value));
    reader packed(bytes(f, name), where_ + std::string(name) + ": ");
    while (!packed.rest_.empty()) room(), out.push_back(static_cast<std::int64_t>(packed.varint("a packed value")));
  }

 private:
  std::uint64_t varint(const std::string& what) {
    std::uint64_t v = 0;
    for (int i = 0;; ++i) {
      if (rest_.empty()) fail(what + " ends with the message (truncated?)");
      const auto byte = static_cast<std::uint8_t>(rest_.front());
      rest_.remove_prefix(1);
      if (i == 9 && byte > 1) fail(what + " is a varint past 10 bytes or 64 bits");
      v |= std::uint64_t{byte & 0x7fu} << (7 * i);
      if (!(byte & 0x80)) return v;
    }
  }
  std::uint64_t fixed(std::size_t size, std::uint32_t number) {
    if (rest_.size() < size) fail("field " + std::to_string(number) + " ends with the message (truncated?)");
    std::uint64_t v = 0;
    std::memcpy(&v, rest_.data(), size);
    rest_.remove_prefix(size);
    return v;
  }

  std::string_view rest_;
  std::string where_;
};

}  // namespace tarmac::protobuf
