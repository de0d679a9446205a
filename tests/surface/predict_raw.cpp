// Test helper: loads a model file (rtk_net<3> or gap_net<3>, among the default networks) and prints the class probabilities of raw images (N x 128 x 128 x 3
// float32, NHWC, as check_torch_conversion.py writes them), one row a line; with a third argument,
// loads it as rtk_net<3> and saves it there (check_model_python.py reads it back).
#include <cstdio>
#include <fstream>

#include <tarmac/nn.hpp>
#include <tarmac/surface/classifier.hpp>
#include <tarmac/surface/model_file.hpp>

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) {
    std::fprintf(stderr, "usage: predict_raw MODEL IMAGES.f32 [SAVE_AS]\n");
    return 2;
  }
  try {
    namespace nn = tarmac::nn;
    if (argc == 4) {
      nn::rtk_net<3> net({.threads = 2});
      tarmac::surface::save_model(argv[3], net, tarmac::surface::load_model(argv[1], net));
    }
    auto model = tarmac::surface::load_classifier(argv[1], 2);  // the default networks: compiled once, in the project's library
    std::ifstream in(argv[2], std::ios::binary | std::ios::ate);
    const std::size_t n = static_cast<std::size_t>(in.tellg()) / (128 * 128 * 3 * sizeof(float));
    xt::xtensor<float, 4> images = xt::empty<float>({n, std::size_t{128}, std::size_t{128}, std::size_t{3}});
    in.seekg(0);
    in.read(reinterpret_cast<char*>(images.data()), static_cast<std::streamsize>(images.size() * sizeof(float)));
    const auto p = model.predict(images);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t k = 0; k < p.shape()[1]; ++k) std::printf("%.9g%c", p(i, k), k + 1 < p.shape()[1] ? ' ' : '\n');
  } catch (const tarmac::error& e) {
    std::fprintf(stderr, "predict_raw: error: %s\n", e.what());
    return 2;
  }
}
