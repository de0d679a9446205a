#pragma once
// conv2d<Filters, Kernel>: stride 1, SAME zero padding, bias. Weights are [kh][kw][cin][cout].
// Work is cut into blocks of output rows of one image, so batch 1 uses every core as well as
// batch 32. A block is copied once into per-worker scratch with its zero border; the strided
// tile kernel then reads that copy as the im2col matrix directly (for one kernel row, the kw x cin
// patch of an output pixel is contiguous in the padded row), so no im2col matrix is ever built.
// The block passes take the block's destination (forward) and gradient (backward) from the
// caller, so a following maxpool2d + relu can run on each block while it is in cache (fused.hpp).
// Weight gradients are summed per slot, a fixed run of consecutive blocks, and the slots are
// added in slot order: the sums depend neither on which thread ran a block nor on how many
// threads there are, so training is reproducible bit for bit. Up to 64 threads share that pass.
// The algorithm is a compile-time policy (conv_auto by default): 3x3 convolutions with 32 input
// channels or more run by Winograd F(2x2, 3x3) (detail/winograd.hpp): forward, input and weight
// gradients, 2.25x fewer multiplies each. Weights keep the direct layout.
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

#include "tarmac/nn/context.hpp"
#include "tarmac/nn/detail/tile.hpp"
#include "tarmac/nn/detail/winograd.hpp"
#include "tarmac/nn/init.hpp"
#include "tarmac/nn/shape.hpp"

namespace tarmac::nn {

template <class Kernel>
struct conv2d_kernel_must_be_odd_for_same_padding;
template <class Kernel>
struct conv2d_winograd_needs_kernel_3;

// The convolution algorithm of conv2d<Filters, Kernel, Algorithm>, chosen at compile time.
struct conv_direct {};    // the strided tile kernel over the padded input (any odd kernel)
struct conv_winograd {};  // Winograd F(2x2, 3x3), forward and both gradients (kernel 3 only)
struct conv_auto {};      // Winograd where it pays (kernel 3, >= 32 input channels), else direct

namespace detail {

// About 256 output pixels per block, in a multiple of `multiple` rows (a pooling window).
constexpr std::size_t rows_per_block(std::size_t width, std::size_t multiple = 1) {
  const std::size_t rows = std::max<std::size_t>(1, 256 / width);
  return (rows + multiple - 1) / multiple * multiple;
}

// Rows [y0 - pad, y1 + pad) of an H x W x C map with a zero border of pad = (K - 1) / 2:
// (y1 - y0 + K - 1) x PW x C (PW >= W + K - 1; rows past H are zero), where row(y, destination)
// writes row y's W x C values.
template <class T, class Row>
void pad_rows(std::size_t H, std::size_t W, std::size_t C, std::size_t K, std::size_t PW, std::size_t y0,
              std::size_t y1, T* padded, Row&& row) {
  const std::size_t pad = (K - 1) / 2;
  for (std::size_t r = 0; r < y1 - y0 + K - 1; ++r, padded += PW * C) {
    const std::ptrdiff_t y = static_cast<std::ptrdiff_t>(y0 + r) - static_cast<std::ptrdiff_t>(pad);
    if (y < 0 || y >= static_cast<std::ptrdiff_t>(H)) {
      std::fill_n(padded, PW * C, T(0));
      continue;
    }
    std::fill_n(padded, pad * C, T(0));
    row(static_cast<std::size_t>(y), padded + pad * C);
    std::fill_n(padded + (pad + W) * C, (PW - pad - W) * C, T(0));
  }
}

template <class T>
void pad_rows(const T* image, std::size_t H, std::size_t W, std::size_t C, std::size_t K, std::size_t PW,
              std::size_t y0, std::size_t y1, T* padded) {
  pad_rows(H, W, C, K, PW, y0, y1, padded,
           [&](std::size_t y, T* destination) { std::memcpy(destination, image + y * W * C, W * C * sizeof(T)); });
}

}  // namespace detail

template <std::size_t Filters, std::size_t Kernel, class Algorithm = conv_auto>
struct conv2d {
  static_assert(Filters > 0, "conv2d<Filters, Kernel>: Filters must be positive");
  static_assert(std::is_same_v<Algorithm, conv_direct> || std::is_same_v<Algorithm, conv_winograd> ||
                    std::is_same_v<Algorithm, conv_auto>,
                "conv2d<Filters, Kernel, Algorithm>: Algorithm is conv_direct, conv_winograd or conv_auto");

  template <class In, class T>
  struct bind {
    static_assert(diagnosed<Kernel % 2 == 1, conv2d_kernel_must_be_odd_for_same_padding<shape<Kernel, Kernel, 1>>>,
                  "conv2d<Filters, Kernel>: Kernel must be odd (SAME padding pads (Kernel - 1) / 2 on each side)");
    using in_shape = In;
    using out_shape = shape<In::height, In::width, Filters>;
    static constexpr std::string_view kind = "conv2d";
    static constexpr std::size_t H = In::height, W = In::width, C = In::channels, F = Filters, K = Kernel;
    static constexpr std::size_t patch = K * K * C;
    static constexpr std::size_t weight_count = patch * F, bias_count = F;
    static constexpr bool in_place = false;
    static constexpr bool winograd =
        std::is_same_v<Algorithm, conv_winograd> || (std::is_same_v<Algorithm, conv_auto> && K == 3 && C >= 32);
    static_assert(diagnosed<!std::is_same_v<Algorithm, conv_winograd> || K == 3,
                            conv2d_winograd_needs_kernel_3<shape<Kernel, Kernel, 1>>>,
                  "conv2d<Filters, Kernel, conv_winograd>: Winograd F(2x2, 3x3) needs Kernel 3");
    // Winograd reads whole 2x2 tiles: an even padded width, and blocks padded to even rows.
    static constexpr std::size_t PW = winograd ? (W + 1) / 2 * 2 + 2 : W + K - 1, pad = (K - 1) / 2;
    static constexpr std::size_t rows = detail::rows_per_block(W, winograd ? 2 : 1);
    static constexpr std::size_t tile_columns = (W + 1) / 2;
    template <std::size_t Rows>
    static constexpr std::size_t tile_rows = (Rows + 1) / 2;
    // The rows a block of rows [y0, y1) pads: Winograd's last tile may reach one row past H.
    static constexpr std::size_t padded_end(std::size_t y0, std::size_t y1) {
      return winograd ? y0 + (y1 - y0 + 1) / 2 * 2 : y1;
    }
    // Per worker, for blocks of Rows rows: a padded block of the input, and a padded block of the
    // output's gradient (or the block's output rows); for Winograd then the transformed tiles of
    // the block's input and of their products.
    template <std::size_t Rows>
    static constexpr std::size_t padded_rows = winograd ? 2 * tile_rows<Rows> + 2 : Rows + K - 1;
    template <std::size_t Rows>
    static constexpr std::size_t transform_area =
        winograd ? detail::winograd_values(tile_rows<Rows> * tile_columns, std::max(C, F)) : 0;
    template <std::size_t Rows>
    static constexpr std::size_t scratch_for = padded_rows<Rows> * PW * (C + F) + 2 * transform_area<Rows>;
    static constexpr std::size_t scratch_per_worker = scratch_for<rows>;
    // Shared: each slot's weight and bias gradients (64-byte aligned, so slots share no cache
    // line; for Winograd those of the transformed weights, 16 x C x F, turned into the weights'
    // once all slots are summed), then the flipped weights of the input gradient, then for
    // Winograd the transformed weights (forward: of w; backward: of the flipped weights).
    static constexpr std::size_t transformed_count = winograd ? detail::winograd_positions * C * F : 0;
    static constexpr std::size_t slot_weights = winograd ? transformed_count : weight_count;
    static constexpr std::size_t gradient_slots = 64, slot_size = detail::align_up(slot_weights + bias_count);
    static constexpr std::size_t scratch_shared = gradient_slots * slot_size + weight_count + transformed_count;

    static T* transformed(const context<T>& ctx) { return ctx.shared + gradient_slots * slot_size + weight_count; }

    static layer_spec spec() { return {std::string(kind), {Filters, Kernel}, {H, W, F}}; }
    static std::vector<std::size_t> weight_shape() { return {K, K, C, F}; }

    static void init(std::span<T> w, std::span<T> b, init_scheme scheme, init_engine& engine) {
      initialise(w, b, patch, scheme, engine);
    }

    static void forward(const context<T>& ctx, const T* w, const T* b, const T* in, T* out, std::size_t n) {
      forward_blocks<rows>(
          ctx, w, b, in, n, [&](std::size_t image, std::size_t y0, T*) { return out + (image * H + y0) * W * F; },
          [](std::size_t, std::size_t, std::size_t, const T*) {});
    }

    // d_in may be null (first layer: no input gradient needed).
    static void backward(const context<T>& ctx, const T* w, const T* in, const T*, const T* d_out, T* d_in,
                         T* d_w, T* d_b, std::size_t n) {
      backward_blocks<rows>(ctx, w, in, n, d_in, d_w, d_b, [&](std::size_t image, std::size_t y0, std::size_t y1, T* padded) {
        detail::pad_rows(d_out + image * H * W * F, H, W, F, K, PW, y0, y1, padded);
      });
    }

    // The forward pass in blocks of Rows output rows: target(image, y0, scratch) says where the
    // block's rows go (row stride W * F; scratch has room for Rows rows), then
    // done(image, y0, y1, rows) runs on them.
    template <std::size_t Rows, class Target, class Done>
    static void forward_blocks(const context<T>& ctx, const T* w, const T* b, const T* in, std::size_t n,
                               Target&& target, Done&& done) {
      static_assert(!winograd || Rows % 2 == 0, "Winograd blocks are whole 2x2 tiles: an even count of rows");
      constexpr std::size_t blocks = (H + Rows - 1) / Rows;
      constexpr std::size_t padded_in = padded_rows<Rows> * PW * C;
      if constexpr (winograd) detail::winograd_weights(w, C * F, transformed(ctx));  // once per pass
      ctx.pool.run(n * blocks, [&](std::size_t task, std::size_t worker) {
        const std::size_t image = task / blocks, y0 = task % blocks * Rows, y1 = std::min(H, y0 + Rows);
        T* padded = ctx.worker_scratch(worker);
        T* out = target(image, y0, padded + padded_in);
        detail::pad_rows(in + image * H * W * C, H, W, C, K, PW, y0, padded_end(y0, y1), padded);
        if constexpr (winograd) {
          T* v = padded + padded_in + padded_rows<Rows> * PW * F;
          detail::winograd_block<T, C, F>((y1 - y0 + 1) / 2, tile_columns, PW, padded, transformed(ctx), b, v,
                                          v + transform_area<Rows>, y1 - y0,
                                          W, out);
        } else {
          constexpr detail::tile_strides strides{C, 1, PW * C, F, K * C * F, F};
          for (std::size_t y = y0; y < y1; ++y)
            detail::strided_gemm(W, F, K, K * C, padded + (y - y0) * PW * C, w, out + (y - y0) * W * F, strides,
                                 b ? detail::tile_start::bias : detail::tile_start::zero, b);
        }
        done(image, y0, y1, static_cast<const T*>(out));
      });
    }

    // The backward pass in blocks of Rows output rows: fill(image, y0, y1, padded) writes the
    // output's gradient for rows [y0 - pad, y1 + pad) with a zero border, as pad_rows lays it out.
    // Each block adds its weight and bias gradients to its slot's and writes its rows of d_in
    // (when not null).
    template <std::size_t Rows, class Fill>
    static void backward_blocks(const context<T>& ctx, const T* w, const T* in, std::size_t n, T* d_in, T* d_w,
                                T* d_b, Fill&& fill) {
      static_assert(!winograd || Rows % 2 == 0, "Winograd blocks are whole 2x2 tiles: an even count of rows");
      constexpr std::size_t padded_in = padded_rows<Rows> * PW * C;
      constexpr std::size_t blocks = (H + Rows - 1) / Rows;
      const std::size_t tasks = n * blocks, slots = std::min(tasks, gradient_slots);
      // d_in = conv(d_out, w') with w'[ky][kx][f][c] = w[K-1-ky][K-1-kx][c][f] (SAME padding is symmetric).
      T* sums = ctx.shared;  // slot s: weights (or transformed weights) then biases at sums + s * slot_size
      T* flipped = sums + gradient_slots * slot_size;
      if (d_in)
        for (std::size_t ky = 0; ky < K; ++ky)
          for (std::size_t kx = 0; kx < K; ++kx)
            for (std::size_t c = 0; c < C; ++c)
              for (std::size_t f = 0; f < F; ++f)
                flipped[((ky * K + kx) * F + f) * C + c] = w[(((K - 1 - ky) * K + (K - 1 - kx)) * C + c) * F + f];
      if constexpr (winograd)
        if (d_in) detail::winograd_weights(flipped, F * C, transformed(ctx));
      ctx.pool.run(slots, [&](std::size_t slot, std::size_t worker) {
        T* dw = sums + slot * slot_size;
        T* db = dw + slot_weights;
        std::fill_n(dw, slot_weights + bias_count, T(0));
        T* padded = ctx.worker_scratch(worker);
        T* grad = padded + padded_in;
        for (std::size_t task = tasks * slot / slots; task < tasks * (slot + 1) / slots; ++task) {
          const std::size_t image = task / blocks, y0 = task % blocks * Rows, y1 = std::min(H, y0 + Rows);
          fill(image, y0, padded_end(y0, y1), grad);
          detail::pad_rows(in + image * H * W * C, H, W, C, K, PW, y0, padded_end(y0, y1), padded);
          const T* dy = grad + pad * PW * F + pad * F;  // the block's own rows, without the border
          if constexpr (winograd) {
            T* v = grad + padded_rows<Rows> * PW * F;
            detail::winograd_weight_block<T, C, F>((y1 - y0 + 1) / 2, tile_columns, PW, padded, dy, v,
                                                   v + transform_area<Rows>,
                                                   dw);
          } else {
            // dW[ky] (K*C x F) += sum over the block's pixels of padded patch row (ky) x d_out
            constexpr detail::tile_strides weight_strides{1, C, PW * C, F, PW * F, F};
            for (std::size_t ky = 0; ky < K; ++ky)
              detail::strided_gemm(K * C, F, y1 - y0, W, padded + ky * PW * C, dy, dw + ky * K * C * F, weight_strides,
                                   detail::tile_start::accumulate);
          }
          for (std::size_t y = 0; y < y1 - y0; ++y)
            for (std::size_t x = 0; x < W; ++x)
              for (std::size_t f = 0; f < F; ++f) db[f] += dy[(y * PW + x) * F + f];
          if (!d_in) continue;
          if constexpr (winograd) {
            T* v = grad + padded_rows<Rows> * PW * F;
            detail::winograd_block<T, F, C>((y1 - y0 + 1) / 2, tile_columns, PW, grad, transformed(ctx), nullptr, v,
                                            v + transform_area<Rows>,
                                            y1 - y0, W, d_in + (image * H + y0) * W * C);
          } else {
            constexpr detail::tile_strides input_strides{F, 1, PW * F, C, K * F * C, C};
            for (std::size_t y = y0; y < y1; ++y)
              detail::strided_gemm(W, C, K, K * F, grad + (y - y0) * PW * F, flipped, d_in + (image * H + y) * W * C,
                                   input_strides, detail::tile_start::zero);
          }
        }
      });
      // Slot 0 += slot 1, 2, ... in order, element by element (the threads split the elements).
      parallel_ranges(ctx.pool, slot_weights + bias_count, 16, [&](std::size_t begin, std::size_t end, std::size_t) {
        for (std::size_t s = 1; s < slots; ++s) {
          const T* from = sums + s * slot_size;
          for (std::size_t i = begin; i < end; ++i) sums[i] += from[i];
        }
      });
      if constexpr (winograd)
        detail::winograd_weight_gradients(sums, C * F, d_w);
      else
        std::copy_n(sums, weight_count, d_w);
      std::copy_n(sums + slot_weights, bias_count, d_b);
    }
  };
};

}  // namespace tarmac::nn
