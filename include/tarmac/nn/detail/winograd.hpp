#pragma once
// Winograd F(2x2, 3x3) (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016):
// each 2x2 output tile of a 3x3 convolution is A^T [(G g G^T) . (B^T d B)] A from its 4x4 input
// tile d, 16 multiplies per channel pair instead of 36. The 16 element-wise products of a block's
// tiles are 16 GEMMs (tiles x Cin) x (Cin x Cout) on the tile kernel. F(2x2) rather than F(4x4):
// its transforms have only 0, +-1 and +-1/2 as coefficients, so it adds little rounding error to
// the direct convolution's (F(4x4)'s reach 8 and its error is reported an order of magnitude
// larger; not measured here), and its tiles are the 2x2 pooling windows. Matrices are row-major.
#include <cstddef>
#include <type_traits>

#include <xsimd/xsimd.hpp>

#include "tarmac/nn/detail/tile.hpp"

namespace tarmac::nn::detail {

constexpr std::size_t winograd_positions = 16;  // the 4x4 transformed tile
// Scratch layout [position][tile][channel]: each position's run is `skew` values longer than its
// tiles', so the 16 runs a transform reads or writes at once do not all fall in one cache set.
constexpr std::size_t winograd_skew = 16;
constexpr std::size_t winograd_run(std::size_t tiles, std::size_t channels) { return tiles * channels + winograd_skew; }
constexpr std::size_t winograd_values(std::size_t tiles, std::size_t channels) {
  return winograd_positions * winograd_run(tiles, channels);
}

// The transforms run over channels, contiguous in NHWC: SIMD vectors, then scalars for the tail.
template <class V, class T>
V load_lanes(const T* p) {
  if constexpr (std::is_same_v<V, T>) return *p;
  else return V::load_unaligned(p);
}
template <class V, class T>
void store_lanes(T* p, const V& v) {
  if constexpr (std::is_same_v<V, T>) *p = v;
  else v.store_unaligned(p);
}
template <class T, std::size_t N, class Body>
void over_channels(Body&& body) {
  using vec = xsimd::batch<T>;
  constexpr std::size_t vectors = N / vec::size * vec::size;
  for (std::size_t c = 0; c < vectors; c += vec::size) body(vec{}, c);
  if constexpr (vectors < N)
    for (std::size_t c = vectors; c < N; ++c) body(T{}, c);
}

// u[p][e] = (G g G^T)[p] for each of the n kernels g[ky][kx][e] (e: their n = Cin * Cout entries).
template <class T>
void winograd_weights(const T* g, std::size_t n, T* u) {
  const T half(0.5);
  for (std::size_t e = 0; e < n; ++e) {
    T t[4][3];  // G g
    for (std::size_t x = 0; x < 3; ++x) {
      const T g0 = g[x * n + e], g1 = g[(3 + x) * n + e], g2 = g[(6 + x) * n + e];
      t[0][x] = g0, t[1][x] = half * (g0 + g1 + g2), t[2][x] = half * (g0 - g1 + g2), t[3][x] = g2;
    }
    for (std::size_t i = 0; i < 4; ++i) {
      u[(i * 4 + 0) * n + e] = t[i][0];
      u[(i * 4 + 1) * n + e] = half * (t[i][0] + t[i][1] + t[i][2]);
      u[(i * 4 + 2) * n + e] = half * (t[i][0] - t[i][1] + t[i][2]);
      u[(i * 4 + 3) * n + e] = t[i][2];
    }
  }
}

// dw[ky][kx][e] = (G^T du G)[ky][kx] for each of the n transformed kernel gradients du[p][e]: the
// weight gradient from the gradient of the transformed weights.
template <class T>
void winograd_weight_gradients(const T* du, std::size_t n, T* dw) {
  const T half(0.5);
  for (std::size_t e = 0; e < n; ++e) {
    T t[3][4];  // G^T du
    for (std::size_t j = 0; j < 4; ++j) {
      const T x0 = du[j * n + e], x1 = du[(4 + j) * n + e], x2 = du[(8 + j) * n + e], x3 = du[(12 + j) * n + e];
      t[0][j] = x0 + half * (x1 + x2), t[1][j] = half * (x1 - x2), t[2][j] = half * (x1 + x2) + x3;
    }
    for (std::size_t k = 0; k < 3; ++k) {
      dw[(k * 3 + 0) * n + e] = t[k][0] + half * (t[k][1] + t[k][2]);
      dw[(k * 3 + 1) * n + e] = half * (t[k][1] - t[k][2]);
      dw[(k * 3 + 2) * n + e] = half * (t[k][1] + t[k][2]) + t[k][3];
    }
  }
}

// The block's input tiles (TR x TC tiles of 4x4) of padded: (2 * TR + 2) rows of PW >= 2 * TC + 2
// pixels of Cin channels, zero border included, to v[p][tile][c] = (B^T d B)[p] with
// B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1].
template <class T, std::size_t Cin>
void winograd_input(std::size_t TR, std::size_t TC, std::size_t PW, const T* padded, T* v) {
  const std::size_t tiles = TR * TC, run = winograd_run(tiles, Cin);
  for (std::size_t tile = 0; tile < tiles; ++tile) {
    const T* d = padded + (2 * (tile / TC) * PW + 2 * (tile % TC)) * Cin;
    T* vt = v + tile * Cin;
    over_channels<T, Cin>([&]<class V>(V, std::size_t c) {
      V t[4][4];  // B^T d
      for (std::size_t j = 0; j < 4; ++j) {
        const V d0 = load_lanes<V>(d + j * Cin + c), d1 = load_lanes<V>(d + (PW + j) * Cin + c),
                d2 = load_lanes<V>(d + (2 * PW + j) * Cin + c), d3 = load_lanes<V>(d + (3 * PW + j) * Cin + c);
        t[0][j] = d0 - d2, t[1][j] = d1 + d2, t[2][j] = d2 - d1, t[3][j] = d1 - d3;
      }
      for (std::size_t i = 0; i < 4; ++i) {
        store_lanes(vt + (i * 4 + 0) * run + c, V(t[i][0] - t[i][2]));
        store_lanes(vt + (i * 4 + 1) * run + c, V(t[i][1] + t[i][2]));
        store_lanes(vt + (i * 4 + 2) * run + c, V(t[i][2] - t[i][1]));
        store_lanes(vt + (i * 4 + 3) * run + c, V(t[i][1] - t[i][3]));
      }
    });
  }
}

// One block of a 3x3 SAME convolution: padded as for winograd_input; u: the transformed weights
// (16 x Cin x Cout); v, m: scratch of winograd_values(TR * TC, Cin) and (TR * TC, Cout). Writes
// rows [0, rows) x columns [0, W) of out (row stride W * Cout), plus bias when not null.
template <class T, std::size_t Cin, std::size_t Cout>
void winograd_block(std::size_t TR, std::size_t TC, std::size_t PW, const T* padded, const T* u, const T* bias,
                    T* v, T* m, std::size_t rows, std::size_t W, T* out) {
  const std::size_t tiles = TR * TC, v_run = winograd_run(tiles, Cin), m_run = winograd_run(tiles, Cout);
  winograd_input<T, Cin>(TR, TC, PW, padded, v);
  constexpr tile_strides strides{Cin, 1, 0, Cout, 0, Cout};
  for (std::size_t p = 0; p < winograd_positions; ++p)
    strided_gemm(tiles, Cout, 1, Cin, v + p * v_run, u + p * Cin * Cout, m + p * m_run, strides, tile_start::zero);
  // y = A^T m A (+ bias), A^T = [1 1 1 0; 0 1 -1 -1]; edge tiles keep only the pixels that exist.
  for (std::size_t tile = 0; tile < tiles; ++tile) {
    const std::size_t y0 = 2 * (tile / TC), x0 = 2 * (tile % TC);
    const T* mt = m + tile * Cout;
    const bool whole = y0 + 2 <= rows && x0 + 2 <= W;
    T edge[2][2][Cout];  // an edge tile's four pixels, of which only those inside are kept
    over_channels<T, Cout>([&]<class V>(V, std::size_t f) {
      V s[2][4];  // A^T m
      for (std::size_t j = 0; j < 4; ++j) {
        const V m0 = load_lanes<V>(mt + j * m_run + f), m1 = load_lanes<V>(mt + (4 + j) * m_run + f),
                m2 = load_lanes<V>(mt + (8 + j) * m_run + f), m3 = load_lanes<V>(mt + (12 + j) * m_run + f);
        s[0][j] = m0 + m1 + m2, s[1][j] = m1 - m2 - m3;
      }
      const V b = bias ? load_lanes<V>(bias + f) : V(T(0));
      for (std::size_t i = 0; i < 2; ++i) {
        const V left = s[i][0] + s[i][1] + s[i][2] + b, right = s[i][1] - s[i][2] - s[i][3] + b;
        store_lanes(whole ? out + ((y0 + i) * W + x0) * Cout + f : &edge[i][0][f], left);
        store_lanes(whole ? out + ((y0 + i) * W + x0 + 1) * Cout + f : &edge[i][1][f], right);
      }
    });
    if (!whole)
      for (std::size_t i = 0; i < 2 && y0 + i < rows; ++i)
        for (std::size_t j = 0; j < 2 && x0 + j < W; ++j)
          for (std::size_t f = 0; f < Cout; ++f) out[((y0 + i) * W + x0 + j) * Cout + f] = edge[i][j][f];
  }
}

// One block's share of the gradient of the transformed weights: du[p] (Cin x Cout) += v[p]^T z[p]
// over the block's tiles, with v the input tiles of padded (as winograd_input) and z[p] = (A dy A^T)[p]
// for each 2x2 tile of dy, the output's gradient (row stride PW * Cout, zero past the map's edges).
// v, z: scratch as for winograd_block.
template <class T, std::size_t Cin, std::size_t Cout>
void winograd_weight_block(std::size_t TR, std::size_t TC, std::size_t PW, const T* padded, const T* dy, T* v, T* z,
                           T* du) {
  const std::size_t tiles = TR * TC, v_run = winograd_run(tiles, Cin), z_run = winograd_run(tiles, Cout);
  winograd_input<T, Cin>(TR, TC, PW, padded, v);
  // A = [1 0; 1 1; 1 -1; 0 -1]
  for (std::size_t tile = 0; tile < tiles; ++tile) {
    const T* d = dy + (2 * (tile / TC) * PW + 2 * (tile % TC)) * Cout;
    T* zt = z + tile * Cout;
    over_channels<T, Cout>([&]<class V>(V, std::size_t f) {
      V r[4][2];  // A dy
      for (std::size_t j = 0; j < 2; ++j) {
        const V y0 = load_lanes<V>(d + j * Cout + f), y1 = load_lanes<V>(d + (PW + j) * Cout + f);
        r[0][j] = y0, r[1][j] = y0 + y1, r[2][j] = y0 - y1, r[3][j] = -y1;
      }
      for (std::size_t i = 0; i < 4; ++i) {
        store_lanes(zt + (i * 4 + 0) * z_run + f, r[i][0]);
        store_lanes(zt + (i * 4 + 1) * z_run + f, V(r[i][0] + r[i][1]));
        store_lanes(zt + (i * 4 + 2) * z_run + f, V(r[i][0] - r[i][1]));
        store_lanes(zt + (i * 4 + 3) * z_run + f, V(-r[i][1]));
      }
    });
  }
  constexpr tile_strides strides{1, Cin, 0, Cout, 0, Cout};
  for (std::size_t p = 0; p < winograd_positions; ++p)
    strided_gemm(Cin, Cout, 1, tiles, v + p * v_run, z + p * z_run, du + p * Cin * Cout, strides,
                 tile_start::accumulate);
}

}  // namespace tarmac::nn::detail
