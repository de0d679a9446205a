#pragma once
// The one arithmetic kernel of the convolutions: C[R x N] (+)= A[R x k] B[k x N], summed over
// `segments` pieces, with every operand addressed by strides. Strides let one kernel read an
// image in place as its own im2col matrix (rows of A are overlapping windows of a padded image),
// so convolutions never materialise im2col. R x 2 SIMD vectors of accumulators stay in
// registers (6 x 2 = 12 of AVX2's 16), each step loads 2 vectors of B and broadcasts R values of A.
#include <cstddef>

#include <xsimd/xsimd.hpp>

namespace tarmac::nn::detail {

struct tile_strides {
  std::ptrdiff_t a_row, a_k, a_segment;  // A[r][kk] of segment s: a + r*a_row + kk*a_k + s*a_segment
  std::ptrdiff_t b_k, b_segment;         // B[kk][n] of segment s: b + kk*b_k + s*b_segment + n
  std::ptrdiff_t c_row;
};

enum class tile_start { zero, bias, accumulate };  // initial C: 0, the bias row, or C's contents

constexpr std::size_t tile_rows = 6;

template <class T, std::size_t R, std::size_t V>
inline void tile(std::size_t segments, std::size_t k, const T* a, const T* b, T* c, const tile_strides& s,
                 tile_start start, const T* bias) {
  using vec = xsimd::batch<T>;
  constexpr std::size_t L = vec::size;
  vec acc[R][V];
  for (std::size_t r = 0; r < R; ++r)
    for (std::size_t v = 0; v < V; ++v)
      acc[r][v] = start == tile_start::zero ? vec(T(0))
                  : start == tile_start::bias ? vec::load_unaligned(bias + v * L)
                                              : vec::load_unaligned(c + r * s.c_row + v * L);
  for (std::size_t seg = 0; seg < segments; ++seg) {
    const T* as = a + seg * s.a_segment;
    const T* bs = b + seg * s.b_segment;
    for (std::size_t kk = 0; kk < k; ++kk, as += s.a_k, bs += s.b_k) {
      vec bv[V];
      for (std::size_t v = 0; v < V; ++v) bv[v] = vec::load_unaligned(bs + v * L);
      for (std::size_t r = 0; r < R; ++r) {
        const vec av(as[r * s.a_row]);
        for (std::size_t v = 0; v < V; ++v) acc[r][v] = xsimd::fma(av, bv[v], acc[r][v]);
      }
    }
  }
  for (std::size_t r = 0; r < R; ++r)
    for (std::size_t v = 0; v < V; ++v) acc[r][v].store_unaligned(c + r * s.c_row + v * L);
}

// Columns narrower than a vector (e.g. 3 output channels), one scalar at a time.
template <class T>
inline void tile_scalar(std::size_t rows, std::size_t columns, std::size_t segments, std::size_t k, const T* a,
                        const T* b, T* c, const tile_strides& s, tile_start start, const T* bias) {
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t n = 0; n < columns; ++n) {
      T sum = start == tile_start::zero ? T(0) : start == tile_start::bias ? bias[n] : c[r * s.c_row + n];
      for (std::size_t seg = 0; seg < segments; ++seg)
        for (std::size_t kk = 0; kk < k; ++kk)
          sum += a[r * s.a_row + kk * s.a_k + seg * s.a_segment] * b[kk * s.b_k + seg * s.b_segment + n];
      c[r * s.c_row + n] = sum;
    }
}

template <class T, std::size_t V>
inline void tile_rows_dispatch(std::size_t rows, std::size_t segments, std::size_t k, const T* a, const T* b, T* c,
                               const tile_strides& s, tile_start start, const T* bias) {
  switch (rows) {
    case 6: return tile<T, 6, V>(segments, k, a, b, c, s, start, bias);
    case 5: return tile<T, 5, V>(segments, k, a, b, c, s, start, bias);
    case 4: return tile<T, 4, V>(segments, k, a, b, c, s, start, bias);
    case 3: return tile<T, 3, V>(segments, k, a, b, c, s, start, bias);
    case 2: return tile<T, 2, V>(segments, k, a, b, c, s, start, bias);
    default: return tile<T, 1, V>(segments, k, a, b, c, s, start, bias);
  }
}

// C[rows x columns] for any rows and columns: tiles of 6 rows by 2 vectors, then narrower ones.
template <class T>
void strided_gemm(std::size_t rows, std::size_t columns, std::size_t segments, std::size_t k, const T* a, const T* b,
                  T* c, const tile_strides& s, tile_start start, const T* bias = nullptr) {
  // Said to the compiler: GCC 12 clones this for callers' null bias (Winograd's GEMMs) without
  // their tile_start, then warns (-Warray-bounds, an error under AVX-512's -Werror check) about a
  // bias load on a path no caller takes.
  if (start == tile_start::bias && bias == nullptr) __builtin_unreachable();
  constexpr std::size_t L = xsimd::batch<T>::size;
  for (std::size_t r0 = 0; r0 < rows; r0 += tile_rows) {
    const std::size_t r = rows - r0 < tile_rows ? rows - r0 : tile_rows;
    const T* ar = a + r0 * s.a_row;
    T* cr = c + r0 * s.c_row;
    std::size_t n = 0;
    for (; n + 2 * L <= columns; n += 2 * L)
      tile_rows_dispatch<T, 2>(r, segments, k, ar, b + n, cr + n, s, start, bias + (bias ? n : 0));
    for (; n + L <= columns; n += L)
      tile_rows_dispatch<T, 1>(r, segments, k, ar, b + n, cr + n, s, start, bias + (bias ? n : 0));
    if (n < columns) tile_scalar(r, columns - n, segments, k, ar, b + n, cr + n, s, start, bias + (bias ? n : 0));
  }
}

}  // namespace tarmac::nn::detail
