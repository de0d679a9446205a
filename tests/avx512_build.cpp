// Compiled (not run) for AVX-512 with warnings as errors: an AVX-512 machine's build of the SIMD
// code stays free of warnings (GCC 12's intrinsics once flooded it with -Wmaybe-uninitialized).
#include <tarmac/nms.hpp>
#include <tarmac/nn.hpp>

namespace nms = tarmac::nms;

template <class T>
std::size_t kept(std::span<const nms::box<T>> boxes, std::span<const T> scores, std::span<const int> ids,
                 const nms::params& p) {
  return nms::nms<nms::simd>(boxes, scores, p).size() + nms::batched_nms<nms::simd>(boxes, scores, ids, p).size();
}
template std::size_t kept<float>(std::span<const nms::box<float>>, std::span<const float>, std::span<const int>,
                                 const nms::params&);
template std::size_t kept<double>(std::span<const nms::box<double>>, std::span<const double>, std::span<const int>,
                                  const nms::params&);

// The convolution, pooling and dense layers' SIMD paths, forward and backward.
auto train_once(tarmac::nn::rtk_net<3>& net, const xt::xtensor<float, 4>& images, std::span<const std::size_t> labels,
                tarmac::nn::adam<>& optimiser) {
  return net.train_step(images, labels, optimiser);
}
auto (*const keep_train_once)(tarmac::nn::rtk_net<3>&, const xt::xtensor<float, 4>&, std::span<const std::size_t>,
                              tarmac::nn::adam<>&) = train_once;
