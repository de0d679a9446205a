#pragma once
// BLAS threading, a process-wide setting. tarmac calls GEMM from its own worker threads (one
// product per task: images, row blocks, column slices), so by default it turns OpenBLAS's own
// threads off, once, when a network first multiplies: OpenBLAS threads inside tarmac's threads
// would oversubscribe the cores. OpenBLAS has only this one global setting, so a program that
// also calls OpenBLAS itself and wants its threads chooses here, before the first network runs.
#include <atomic>
#include <mutex>

extern "C" {
void openblas_set_num_threads(int threads);
int openblas_get_num_threads(void);
}

namespace tarmac::nn {

enum class blas_threads {
  one,        // the default: OpenBLAS set to one thread (for the whole process) at the first GEMM
  unchanged,  // tarmac leaves OpenBLAS's thread count as the program or OPENBLAS_NUM_THREADS set it
};

namespace detail {
inline std::atomic<blas_threads>& blas_threads_choice() {
  static std::atomic<blas_threads> choice{blas_threads::one};
  return choice;
}
}  // namespace detail

// Chooses what tarmac does to OpenBLAS's threads; blas_threads::one applies at once.
inline void set_blas_threads(blas_threads choice) {
  detail::blas_threads_choice() = choice;
  if (choice == blas_threads::one) openblas_set_num_threads(1);
}

// OpenBLAS's thread count now (what tarmac's choice, the program or the environment left).
inline int blas_thread_count() { return openblas_get_num_threads(); }

namespace detail {
// Called before each GEMM: applies the default once, unless the program chose first.
inline void apply_blas_threads_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (blas_threads_choice() == blas_threads::one) openblas_set_num_threads(1);
  });
}
}  // namespace detail

}  // namespace tarmac::nn
