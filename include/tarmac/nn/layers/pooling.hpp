#pragma once
// Pooling layers. maxpool2d<Size>: window Size x Size, stride Size, SAME: the output is ceil(H / Size) x
// ceil(W / Size) and edge windows cover only the pixels that exist. Windows do not overlap, so
// the backward pass writes every input gradient exactly once (no zeroing pass) and finds the
// maximum again from the input alone: the layer after it (ReLU) may overwrite the output.
#include <algorithm>
#include <cstddef>
#include <span>

#include "tarmac/nn/detail/context.hpp"
#include "tarmac/nn/init.hpp"
#include "tarmac/nn/shape.hpp"

namespace tarmac::nn {

template <class Shape>
struct maxpool2d_window_larger_than_input;

template <std::size_t Size>
struct maxpool2d {
  static_assert(Size > 0, "maxpool2d<Size>: Size must be positive");

  template <class In, class T>
  struct bind {
    static_assert(detail::shape_check<(Size <= In::height && Size <= In::width), maxpool2d_window_larger_than_input<shape<In::height, In::width, In::channels>>>::value,
                  "maxpool2d<Size>: the window is larger than the input");
    static constexpr std::size_t H = In::height, W = In::width, C = In::channels, S = Size;
    static constexpr std::size_t OH = (H + S - 1) / S, OW = (W + S - 1) / S;
    using in_shape = In;
    using out_shape = shape<OH, OW, C>;
    static constexpr std::size_t weight_count = 0, bias_count = 0, scratch_per_worker = 0, scratch_shared = 0;
    static constexpr bool in_place = false;

    static layer_spec spec() { return {"maxpool2d", {Size}, {OH, OW, C}}; }
    static void init(std::span<T>, std::span<T>, init_scheme, init_engine&) {}

    static void forward(const detail::context<T>& ctx, const T*, const T*, const T* in, T* out, std::size_t n) {
      ctx.pool.run(n * OH, [&](std::size_t task, std::size_t) {
        const std::size_t image = task / OH, oy = task % OH;
        const T* src = in + image * H * W * C;
        T* dst = out + (image * OH + oy) * OW * C;
        for (std::size_t ox = 0; ox < OW; ++ox, dst += C) {
          std::copy_n(src + (oy * S * W + ox * S) * C, C, dst);
          for_window(oy, ox, [&](std::size_t pixel) {
            for (std::size_t c = 0; c < C; ++c) dst[c] = std::max(dst[c], src[pixel * C + c]);
          });
        }
      });
    }

    static void backward(const detail::context<T>& ctx, const T*, const T* in, const T*, const T* d_out, T* d_in,
                         T*, T*, std::size_t n) {
      ctx.pool.run(n * OH, [&](std::size_t task, std::size_t) {
        const std::size_t image = task / OH, oy = task % OH;
        const T* src = in + image * H * W * C;
        T* grad = d_in + image * H * W * C;
        const T* dy = d_out + (image * OH + oy) * OW * C;
        T best[C];
        std::size_t where[C];
        for (std::size_t ox = 0; ox < OW; ++ox, dy += C) {
          const std::size_t first = oy * S * W + ox * S;
          for (std::size_t c = 0; c < C; ++c) best[c] = src[first * C + c], where[c] = first;
          for_window(oy, ox, [&](std::size_t pixel) {  // first maximum in scan order wins, as in forward
            for (std::size_t c = 0; c < C; ++c)
              if (src[pixel * C + c] > best[c]) best[c] = src[pixel * C + c], where[c] = pixel;
          });
          for (std::size_t c = 0; c < C; ++c) grad[first * C + c] = where[c] == first ? dy[c] : T(0);
          for_window(oy, ox, [&](std::size_t pixel) {
            for (std::size_t c = 0; c < C; ++c) grad[pixel * C + c] = where[c] == pixel ? dy[c] : T(0);
          });
        }
      });
    }

   private:
    // Calls fn(pixel index) for the window's pixels after its first one, in row-major order.
    template <class F>
    static void for_window(std::size_t oy, std::size_t ox, F&& fn) {
      const std::size_t y1 = std::min(H, oy * S + S), x1 = std::min(W, ox * S + S);
      for (std::size_t y = oy * S; y < y1; ++y)
        for (std::size_t x = (y == oy * S ? ox * S + 1 : ox * S); x < x1; ++x) fn(y * W + x);
    }
  };
};

// global_avg_pool: the mean of each channel over the image, H x W x C -> 1 x 1 x C. A head with
// far fewer parameters than flatten + dense, which generalises better on small data sets.
struct global_avg_pool {
  template <class In, class T>
  struct bind {
    static constexpr std::size_t P = In::height * In::width, C = In::channels;
    using in_shape = In;
    using out_shape = shape<1, 1, C>;
    static constexpr std::size_t weight_count = 0, bias_count = 0, scratch_per_worker = 0, scratch_shared = 0;
    static constexpr bool in_place = false;

    static layer_spec spec() { return {"global_avg_pool", {}, {1, 1, C}}; }
    static void init(std::span<T>, std::span<T>, init_scheme, init_engine&) {}

    static void forward(const detail::context<T>& ctx, const T*, const T*, const T* in, T* out, std::size_t n) {
      ctx.pool.run(n, [&](std::size_t image, std::size_t) {
        T* dst = out + image * C;
        std::fill_n(dst, C, T(0));
        for (std::size_t p = 0; p < P; ++p)
          for (std::size_t c = 0; c < C; ++c) dst[c] += in[(image * P + p) * C + c];
        for (std::size_t c = 0; c < C; ++c) dst[c] /= T(P);
      });
    }
    static void backward(const detail::context<T>& ctx, const T*, const T*, const T*, const T* d_out, T* d_in, T*,
                         T*, std::size_t n) {
      ctx.pool.run(n, [&](std::size_t image, std::size_t) {
        for (std::size_t p = 0; p < P; ++p)
          for (std::size_t c = 0; c < C; ++c) d_in[(image * P + p) * C + c] = d_out[image * C + c] / T(P);
      });
    }
  };
};

}  // namespace tarmac::nn
