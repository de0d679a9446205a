#pragma once
// conv2d<Filters, Kernel>: stride 1, SAME zero padding, bias. Weights are [kh][kw][cin][cout].
// Work is cut into blocks of output rows of one image, so batch 1 uses every core as well as
// batch 32. A block is copied once into per-worker scratch with its zero border; the strided
// tile kernel then reads that copy as the im2col matrix directly (for one kernel row, the kw x cin
// patch of an output pixel is contiguous in the padded row), so no im2col matrix is ever built.
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <span>
#include <vector>

#include "tarmac/nn/detail/context.hpp"
#include "tarmac/nn/detail/tile.hpp"
#include "tarmac/nn/init.hpp"
#include "tarmac/nn/shape.hpp"

namespace tarmac::nn {

template <class Kernel>
struct conv2d_kernel_must_be_odd_for_same_padding;

namespace detail {

constexpr std::size_t rows_per_block(std::size_t width) { return std::max<std::size_t>(1, 256 / width); }

// Rows [y0 - pad, y1 + pad) of one H x W x C image with a zero border of pad = (K - 1) / 2:
// (y1 - y0 + K - 1) x (W + K - 1) x C.
template <class T>
void pad_rows(const T* image, std::size_t H, std::size_t W, std::size_t C, std::size_t K, std::size_t y0,
              std::size_t y1, T* padded) {
  const std::size_t pad = (K - 1) / 2, PW = W + K - 1;
  for (std::size_t r = 0; r < y1 - y0 + K - 1; ++r, padded += PW * C) {
    const std::ptrdiff_t y = static_cast<std::ptrdiff_t>(y0 + r) - static_cast<std::ptrdiff_t>(pad);
    if (y < 0 || y >= static_cast<std::ptrdiff_t>(H)) {
      std::fill_n(padded, PW * C, T(0));
      continue;
    }
    std::fill_n(padded, pad * C, T(0));
    std::memcpy(padded + pad * C, image + static_cast<std::size_t>(y) * W * C, W * C * sizeof(T));
    std::fill_n(padded + (pad + W) * C, (K - 1 - pad) * C, T(0));
  }
}

// out = conv(in, weights) (+ bias) for n images of H x W x C into H x W x F.
template <class T>
void convolve(const context<T>& ctx, const T* in, std::size_t n, std::size_t H, std::size_t W, std::size_t C,
              std::size_t K, const T* weights, const T* bias, std::size_t F, T* out) {
  const std::size_t rows = rows_per_block(W), blocks = (H + rows - 1) / rows, PW = W + K - 1;
  const tile_strides strides{static_cast<std::ptrdiff_t>(C), 1, static_cast<std::ptrdiff_t>(PW * C),
                             static_cast<std::ptrdiff_t>(F), static_cast<std::ptrdiff_t>(K * C * F),
                             static_cast<std::ptrdiff_t>(F)};
  ctx.pool.run(n * blocks, [&](std::size_t task, std::size_t worker) {
    const std::size_t image = task / blocks, y0 = task % blocks * rows, y1 = std::min(H, y0 + rows);
    T* padded = ctx.worker_scratch(worker);
    pad_rows(in + image * H * W * C, H, W, C, K, y0, y1, padded);
    for (std::size_t y = y0; y < y1; ++y)
      strided_gemm(W, F, K, K * C, padded + (y - y0) * PW * C, weights, out + (image * H + y) * W * F, strides,
                   bias ? tile_start::bias : tile_start::zero, bias);
  });
}

}  // namespace detail

template <std::size_t Filters, std::size_t Kernel>
struct conv2d {
  static_assert(Filters > 0, "conv2d<Filters, Kernel>: Filters must be positive");

  template <class In, class T>
  struct bind {
    static_assert(detail::shape_check<Kernel % 2 == 1, conv2d_kernel_must_be_odd_for_same_padding<shape<Kernel, Kernel, 1>>>::value,
                  "conv2d<Filters, Kernel>: Kernel must be odd (SAME padding pads (Kernel - 1) / 2 on each side)");
    using in_shape = In;
    using out_shape = shape<In::height, In::width, Filters>;
    static constexpr std::size_t H = In::height, W = In::width, C = In::channels, F = Filters, K = Kernel;
    static constexpr std::size_t patch = K * K * C;
    static constexpr std::size_t weight_count = patch * F, bias_count = F;
    static constexpr bool in_place = false;
    static constexpr std::size_t PW = W + K - 1;
    // a padded block of the input (or of d_out, F channels) and this worker's weight and bias gradients
    static constexpr std::size_t padded_size = (detail::rows_per_block(W) + K - 1) * PW * std::max(C, F);
    static constexpr std::size_t scratch_per_worker = padded_size + weight_count + bias_count;
    static constexpr std::size_t scratch_shared = weight_count;  // flipped weights for the input gradient

    static layer_spec spec() { return {"conv2d", {Filters, Kernel}, {H, W, F}}; }
    static std::vector<std::size_t> weight_shape() { return {K, K, C, F}; }

    static void init(std::span<T> w, std::span<T> b, init_scheme scheme, init_engine& engine) {
      initialise(w, b, patch, scheme, engine);
    }

    static void forward(const detail::context<T>& ctx, const T* w, const T* b, const T* in, T* out, std::size_t n) {
      detail::convolve(ctx, in, n, H, W, C, K, w, b, F, out);
    }

    // d_in may be null (first layer: no input gradient needed).
    static void backward(const detail::context<T>& ctx, const T* w, const T* in, const T*, const T* d_out, T* d_in,
                         T* d_w, T* d_b, std::size_t n) {
      const std::size_t workers = ctx.pool.size();
      for (std::size_t t = 0; t < workers; ++t) std::fill_n(ctx.worker_scratch(t) + padded_size, weight_count + bias_count, T(0));
      constexpr std::size_t rows = detail::rows_per_block(W), blocks = (H + rows - 1) / rows;
      constexpr detail::tile_strides weight_strides{1, C, PW * C, F, W * F, F};
      ctx.pool.run(n * blocks, [&](std::size_t task, std::size_t worker) {
        const std::size_t image = task / blocks, y0 = task % blocks * rows, y1 = std::min(H, y0 + rows);
        T* padded = ctx.worker_scratch(worker);
        T* dw = padded + padded_size;
        T* db = dw + weight_count;
        const T* dy = d_out + (image * H + y0) * W * F;
        detail::pad_rows(in + image * H * W * C, H, W, C, K, y0, y1, padded);
        // dW[ky] (K*C x F) += sum over the block's pixels of padded patch row (ky) x d_out
        for (std::size_t ky = 0; ky < K; ++ky)
          detail::strided_gemm(K * C, F, y1 - y0, W, padded + ky * PW * C, dy, dw + ky * K * C * F, weight_strides,
                               detail::tile_start::accumulate);
        for (std::size_t p = 0; p < (y1 - y0) * W; ++p)
          for (std::size_t f = 0; f < F; ++f) db[f] += dy[p * F + f];
      });
      std::fill_n(d_w, weight_count, T(0));
      std::fill_n(d_b, bias_count, T(0));
      for (std::size_t t = 0; t < workers; ++t) {
        const T* dw = ctx.worker_scratch(t) + padded_size;
        for (std::size_t i = 0; i < weight_count; ++i) d_w[i] += dw[i];
        for (std::size_t f = 0; f < F; ++f) d_b[f] += dw[weight_count + f];
      }
      if (!d_in) return;
      // d_in = conv(d_out, w') with w'[ky][kx][f][c] = w[K-1-ky][K-1-kx][c][f] (SAME padding is symmetric).
      T* flipped = ctx.shared;
      for (std::size_t ky = 0; ky < K; ++ky)
        for (std::size_t kx = 0; kx < K; ++kx)
          for (std::size_t c = 0; c < C; ++c)
            for (std::size_t f = 0; f < F; ++f)
              flipped[((ky * K + kx) * F + f) * C + c] = w[(((K - 1 - ky) * K + (K - 1 - kx)) * C + c) * F + f];
      detail::convolve<T>(ctx, d_out, n, H, W, F, K, flipped, nullptr, C, d_in);
    }
  };
};

}  // namespace tarmac::nn
