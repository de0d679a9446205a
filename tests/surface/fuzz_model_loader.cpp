// libFuzzer target: the bytes become a model file (gzip-named when the first byte is odd) and are
// loaded into a small network, through the run-time classifier loader, and read as a cascade file.
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
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static fuzz_net net({.threads = 1});
  const bool gz = size > 0 && (data[0] & 1);
  const auto path = std::filesystem::temp_directory_path() /
                    ("tarmac-fuzz-" + std::to_string(getpid()) + (gz ? ".yml.gz" : ".yml"));
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
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
  return 0;
}
