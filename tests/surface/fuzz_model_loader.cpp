// libFuzzer target: the bytes become a model file (gzip-named when they start as gzip does) and
// are loaded into a small network, through the run-time classifier loader, and read as a cascade
// file. A version-2 input (one with a NUL byte) is also loaded with its header's crc32 made to
// match its payload, so that mutated payloads reach the checks behind the checksum.
// Each must succeed or throw tarmac::error; anything else (a crash, a sanitizer report, another
// exception) is a finding.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include <tarmac/nn.hpp>
#include <tarmac/surface/cascade.hpp>
#include <tarmac/surface/model_file.hpp>

namespace {
using fuzz_net = tarmac::nn::network<tarmac::nn::input<4, 4, 1>, tarmac::nn::conv2d<2, 3>, tarmac::nn::flatten,
                                     tarmac::nn::dense<2>>;

void load_every_way(const std::filesystem::path& path, const std::string& bytes) {
  static fuzz_net net({.threads = 1});
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  try {
    tarmac::surface::load_model(path, net);
  } catch (const tarmac::error&) {
  }
  try {
    tarmac::surface::load_classifier<tarmac::surface::network_list<fuzz_net>>(path, 1);
  } catch (const tarmac::error&) {
  }
  try {
    tarmac::surface::read_cascade_file(path);
  } catch (const tarmac::error&) {
  }
  std::filesystem::remove(path);
}

// The bytes with the 8 hexadecimal digits after "crc32" in the header replaced by the payload's
// CRC-32, or empty when there is no such header or payload.
std::string with_matching_crc(const std::string& bytes) {
  namespace detail = tarmac::surface::detail;
  const std::size_t nul = bytes.find('\0');
  if (nul == std::string::npos || bytes.size() < detail::payload_start(nul)) return {};
  const std::size_t key = bytes.rfind("crc32", nul);
  const std::size_t at = key == std::string::npos ? key : bytes.find_first_of("0123456789abcdef", key + 5);
  if (at == std::string::npos || at + 8 > nul) return {};
  std::string fixed = bytes;
  fixed.replace(at, 8, detail::hex32(detail::crc32_of(std::string_view(bytes).substr(detail::payload_start(nul)))));
  return fixed;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const bool gz = bytes.starts_with("\x1f\x8b");
  const auto path = std::filesystem::temp_directory_path() /
                    ("tarmac-fuzz-" + std::to_string(getpid()) + (gz ? ".yml.gz" : ".yml"));
  load_every_way(path, bytes);
  if (const std::string fixed = with_matching_crc(bytes); !fixed.empty()) load_every_way(path, fixed);
  return 0;
}
