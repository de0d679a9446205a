// Only the nn part, through tarmac::nn (xtensor, xsimd, BLAS, zlib): a network predicts, and its
// parameters go through a model file and back (nn/io, no OpenCV).
#include <tarmac/nn.hpp>
#include <xtensor/xbuilder.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>

int main() {
  using namespace tarmac::nn;
  using net_type = network<input<4, 4, 4>, flatten, dense<8>, relu, dense<2>>;
  net_type net;
  net.initialise(init_scheme::he, 1);
  const xt::xtensor<float, 4> images = xt::ones<float>({3, 4, 4, 4});
  const auto out = net.predict(images);
  std::printf("predicted %zu x %zu\n", out.shape(0), out.shape(1));

  const std::filesystem::path file = std::filesystem::temp_directory_path() / "tarmac_consumer_nn.json";
  tarmac::text_node meta;
  meta.add("app", "consumer");
  save_parameters(file, net, meta);
  net_type loaded({.init = init_scheme::zeros});
  const std::string app = load_parameters(file, loaded, [](const header_reader& h) { return h.string("app"); });
  std::filesystem::remove(file);
  const bool same = std::equal(net.parameters().begin(), net.parameters().end(), loaded.parameters().begin());
  std::printf("parameters saved and loaded: %s (app: %s)\n", same ? "equal" : "DIFFERENT", app.c_str());
  return out.shape(0) == 3 && out.shape(1) == 2 && same && app == "consumer" ? 0 : 1;
}
