#pragma once
// gzip in memory, both ways, through zlib: files are compressed before they are written (so the
// checked writer sees every byte) and read whole before they are decompressed (so a damaged or
// oversized stream is an error naming the file, never a partial result).
#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

#include <zlib.h>

#include "tarmac/core/error.hpp"

namespace tarmac {

inline std::string gzip(std::string_view data, int level = Z_DEFAULT_COMPRESSION) {
  if (data.size() > 0xFFFFFFFFu) throw invalid_argument("gzip: more than 4 GiB at once");
  z_stream z{};
  if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)  // 15 + 16: gzip wrapper
    throw error("gzip: zlib cannot start a stream");
  std::string out(deflateBound(&z, uLong(data.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = uInt(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = uInt(out.size());
  const int status = deflate(&z, Z_FINISH);
  const std::size_t produced = z.total_out;
  deflateEnd(&z);
  if (status != Z_STREAM_END) throw error("gzip: cannot compress " + std::to_string(data.size()) + " bytes");
  out.resize(produced);
  return out;
}

// The decompressed bytes of one or more gzip members; `where` prefixes the errors (a damaged or
// truncated stream, or more than max_size bytes) raised as format_error.
inline std::string gunzip(std::string_view data, std::size_t max_size, const std::string& where) {
  if (data.size() > 0xFFFFFFFFu) throw format_error(where + "more than 4 GiB of compressed data");
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) throw error(where + "zlib cannot start a stream");
  std::string out;
  // The last member's trailer gives its size (mod 4 GiB): reserving it saves the copies of a growing
  // string, which cost more than inflating a stored (level 0) stream. Only a hint, and bounded by
  // deflate's largest ratio (1032:1), so a forged trailer cannot make a small input reserve gigabytes.
  if (data.size() >= 18) {
    const auto* end = reinterpret_cast<const unsigned char*>(data.data() + data.size());
    const std::size_t hint = std::size_t(end[-4]) | std::size_t(end[-3]) << 8 | std::size_t(end[-2]) << 16 | std::size_t(end[-1]) << 24;
    out.reserve(std::min({hint, max_size, data.size() * 1032}));
  }
  char buffer[1 << 16];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = uInt(data.size());
  int status = Z_OK;
  for (;;) {
    z.next_out = reinterpret_cast<Bytef*>(buffer);
    z.avail_out = sizeof buffer;
    status = inflate(&z, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - z.avail_out);
    if (out.size() > max_size) break;
    if (status == Z_STREAM_END && z.avail_in > 0) {  // concatenated members, as gzip allows
      if (inflateReset(&z) != Z_OK) break;
      continue;
    }
    if (status != Z_OK) break;
    if (z.avail_in == 0 && z.avail_out != 0) {  // input used up in the middle of a member
      status = Z_BUF_ERROR;
      break;
    }
  }
  const std::string reason = z.msg ? z.msg : status == Z_BUF_ERROR ? "truncated" : "damaged";
  inflateEnd(&z);
  if (out.size() > max_size) throw format_error(where + "larger than " + std::to_string(max_size >> 20) + " MiB uncompressed");
  if (status != Z_STREAM_END) throw format_error(where + "damaged gzip data (" + reason + ")");
  return out;
}

}  // namespace tarmac
