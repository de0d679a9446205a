// nn/blas.hpp: what tarmac does to OpenBLAS's process-wide thread count. Its own executable: the
// default is applied once per process, at the first GEMM.
#include <doctest/doctest.h>

#include <vector>

#include <tarmac/nn/blas.hpp>
#include <tarmac/nn/detail/gemm.hpp>

namespace nn = tarmac::nn;

namespace {
void multiply() {
  const std::vector<float> a{1, 2, 3, 4}, b{5, 6, 7, 8};
  std::vector<float> c(4, 0.0f);
  nn::detail::gemm(nn::detail::op::none, nn::detail::op::none, 2, 2, 2, 1.0f, a.data(), 2, b.data(), 2, 0.0f, c.data(), 2);
  CHECK(c == std::vector<float>{19, 22, 43, 50});
}
}  // namespace

TEST_CASE("OpenBLAS runs one thread from tarmac's first GEMM on, unless the program chose otherwise") {
  openblas_set_num_threads(2);
  REQUIRE(nn::blas_thread_count() == 2);
  multiply();
  CHECK(nn::blas_thread_count() == 1);  // the default, applied at the first product

  // Later products do not undo a program's own setting once the default has been applied ...
  openblas_set_num_threads(2);
  multiply();
  CHECK(nn::blas_thread_count() == 2);
  // ... and a program can ask for either explicitly.
  nn::set_blas_threads(nn::blas_threads::one);
  CHECK(nn::blas_thread_count() == 1);
  nn::set_blas_threads(nn::blas_threads::unchanged);
  openblas_set_num_threads(2);
  multiply();
  CHECK(nn::blas_thread_count() == 2);
}
