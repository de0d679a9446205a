#pragma once
// Row-major GEMM on top of OpenBLAS, single-threaded per call: tarmac parallelises over its own
// tasks (images, row blocks, column slices) and calls this from several threads at once, so
// OpenBLAS's own threads are turned off once (nn/blas.hpp: explicit, and a program may opt out).
// Measured against alternatives in bench/RESULTS.md.
#include <cstddef>

#include "tarmac/nn/blas.hpp"

extern "C" {
void sgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k, const float* alpha,
            const float* a, const int* lda, const float* b, const int* ldb, const float* beta, float* c,
            const int* ldc);
void dgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k, const double* alpha,
            const double* a, const int* lda, const double* b, const int* ldb, const double* beta, double* c,
            const int* ldc);
}

namespace tarmac::nn::detail {

enum class op { none, transpose };

// C(m x n) = alpha * op(A) * op(B) + beta * C, all row-major with leading dimensions lda, ldb, ldc.
template <class T>
void gemm(op ta, op tb, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a, std::size_t lda,
          const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc) {
  apply_blas_threads_once();
  if (m == 0 || n == 0) return;
  // Row-major C = A B is column-major C' = B' A': swap the operands.
  const char tra = ta == op::transpose ? 'T' : 'N', trb = tb == op::transpose ? 'T' : 'N';
  const int M = static_cast<int>(n), N = static_cast<int>(m), K = static_cast<int>(k);
  const int LDA = static_cast<int>(ldb), LDB = static_cast<int>(lda), LDC = static_cast<int>(ldc);
  if constexpr (sizeof(T) == sizeof(float))
    sgemm_(&trb, &tra, &M, &N, &K, &alpha, b, &LDA, a, &LDB, &beta, c, &LDC);
  else
    dgemm_(&trb, &tra, &M, &N, &K, &alpha, b, &LDA, a, &LDB, &beta, c, &LDC);
}

}  // namespace tarmac::nn::detail
