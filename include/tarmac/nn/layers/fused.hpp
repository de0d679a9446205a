#pragma once
// conv2d -> maxpool2d -> relu as one pass over blocks of rows; the network runs every such
// triple this way on its own (fusion<conv2d, maxpool2d, relu>, see layer.hpp). Each block of the
// convolution's output is pooled while it is in cache, so the full-resolution map is never
// stored: training keeps the pooled values and the position of each window's maximum (a byte),
// and the backward pass rebuilds the convolution's gradient block by block from them. For the
// RTK network's first block that is a 64 MiB map per batch of 32 that is no longer written, read
// back, pooled, and its gradient written and read.
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "tarmac/nn/context.hpp"
#include "tarmac/nn/layer.hpp"
#include "tarmac/nn/layers/activation.hpp"
#include "tarmac/nn/layers/conv2d.hpp"
#include "tarmac/nn/layers/pooling.hpp"

namespace tarmac::nn {

namespace detail {

// Conv and Pool are the bound layers (conv2d<...>::bind<In, T>, maxpool2d<...>::bind<...>).
template <class T, class Conv, class Pool>
struct conv_pool_relu {
  static_assert(Pool::H == Conv::H && Pool::W == Conv::W && Pool::C == Conv::F, "the pool must take the conv's output");
  using position = typename Pool::position;
  static_assert(sizeof(position) == 1, "saved_per_sample counts window positions of one byte");
  static constexpr std::size_t H = Conv::H, W = Conv::W, F = Conv::F, S = Pool::S, OH = Pool::OH, OW = Pool::OW;
  // Whole windows in every block, and for Winograd whole 2x2 tiles too (an even count of rows).
  static constexpr std::size_t rows = rows_per_block(W, Conv::winograd && S % 2 ? 2 * S : S);
  static constexpr std::size_t scratch_per_worker = Conv::template scratch_for<rows>;
  static constexpr std::size_t scratch_shared = Conv::scratch_shared;
  static constexpr std::size_t saved_per_sample = OH * OW * F;  // the position of each window's maximum

  // pooled: n x OH x OW x F after the relu; where: the same count of window positions, or null
  // when no backward pass follows (inference).
  static void forward(const context<T>& ctx, const T* w, const T* b, const T* in, T* pooled, position* where,
                      std::size_t n) {
    Conv::template forward_blocks<rows>(
        ctx, w, b, in, n, [](std::size_t, std::size_t, T* scratch) { return scratch; },
        [&](std::size_t image, std::size_t y0, std::size_t y1, const T* block) {
          for (std::size_t oy = y0 / S; oy * S < y1; ++oy) {
            const std::size_t offset = (image * OH + oy) * OW * F;
            Pool::pool_row(block + (oy * S - y0) * W * F, oy, pooled + offset, where ? where + offset : nullptr, true);
          }
        });
  }

  // d_pooled: the gradient of the relu's output. d_in may be null (first layer).
  static void backward(const context<T>& ctx, const T* w, const T* in, const T* pooled, const position* where,
                       const T* d_pooled, T* d_in, T* d_w, T* d_b, std::size_t n) {
    Conv::template backward_blocks<rows>(ctx, w, in, n, d_in, d_w, d_b,
                                         [&](std::size_t image, std::size_t y0, std::size_t y1, T* padded) {
      pad_rows(H, W, F, Conv::K, Conv::PW, y0, y1, padded, [&](std::size_t y, T* destination) {
        const std::size_t offset = (image * OH + y / S) * OW * F;
        Pool::unpool_row(y, where + offset, d_pooled + offset, pooled + offset, destination);
      });
    });
  }
};

}  // namespace detail

template <std::size_t Filters, std::size_t Kernel, class Algorithm, std::size_t Size>
struct fusion<conv2d<Filters, Kernel, Algorithm>, maxpool2d<Size>, relu> : std::true_type {
  template <class T, class Conv, class Pool, class>
  using pass = detail::conv_pool_relu<T, Conv, Pool>;
};

}  // namespace tarmac::nn
