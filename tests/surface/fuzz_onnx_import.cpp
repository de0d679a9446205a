// libFuzzer target: the bytes are read as an ONNX file. Reading must succeed or throw
// tarmac::format_error; a file that reads must load into the small network it describes (when
// it describes that one), and write out and read back to the same layers and values. Anything
// else (a crash, a sanitizer report, another exception, a round trip that differs) is a finding.
#include <cstdint>
#include <cstdlib>
#include <string>

#include <tarmac/nn.hpp>

namespace {
using fuzz_net = tarmac::nn::network<tarmac::nn::input<8, 8, 3>, tarmac::nn::conv2d<2, 3>, tarmac::nn::maxpool2d<2>,
                                     tarmac::nn::relu, tarmac::nn::flatten, tarmac::nn::dense<2>>;

bool same(const tarmac::nn::onnx_model& a, const tarmac::nn::onnx_model& b) {
  if (a.input != b.input || a.architecture != b.architecture || a.tensors.size() != b.tensors.size()) return false;
  for (std::size_t i = 0; i < a.tensors.size(); ++i)
    if (a.tensors[i].shape != b.tensors[i].shape || a.tensors[i].data != b.tensors[i].data) return false;
  return true;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  tarmac::nn::onnx_model m;
  try {
    m = tarmac::nn::parse_onnx(bytes, "fuzz: ");
  } catch (const tarmac::format_error&) {
    return 0;
  }
  if (m.input == std::vector<std::size_t>{8, 8, 3} && m.architecture == fuzz_net::architecture()) {
    static fuzz_net net({.threads = 1});
    tarmac::nn::load_onnx_model(m, net);
  }
  if (!same(tarmac::nn::parse_onnx(tarmac::nn::onnx_bytes(m), "round trip: "), m)) std::abort();
  return 0;
}
