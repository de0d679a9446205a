// Only the nn part, through tarmac::nn (xtensor, xsimd, BLAS).
#include <tarmac/nn.hpp>
#include <xtensor/xbuilder.hpp>

#include <cstdio>

int main() {
  using namespace tarmac::nn;
  network<input<4, 4, 4>, flatten, dense<8>, relu, dense<2>> net;
  net.initialise(init_scheme::he, 1);
  const xt::xtensor<float, 4> images = xt::ones<float>({3, 4, 4, 4});
  const auto out = net.predict(images);
  std::printf("predicted %zu x %zu\n", out.shape(0), out.shape(1));
  return out.shape(0) == 3 && out.shape(1) == 2 ? 0 : 1;
}
