#pragma once
// Pooling layers. maxpool2d<Size>: window Size x Size, stride Size, SAME: the output is ceil(H / Size) x
// ceil(W / Size) and edge windows cover only the pixels that exist. Windows do not overlap, so
// the backward pass writes every input gradient exactly once (no zeroing pass) and finds the
// maximum again from the input alone: the layer after it (ReLU) may overwrite the output.
// pool_row and unpool_row also serve conv2d -> maxpool2d -> relu fused (fused.hpp).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tarmac/nn/context.hpp"
#include "tarmac/nn/layer.hpp"
#include "tarmac/nn/shape.hpp"

namespace tarmac::nn {

template <class Shape>
struct maxpool2d_window_larger_than_input;
template <class Shape>
struct maxpool2d_window_larger_than_16;

template <std::size_t Size>
struct maxpool2d {
  static_assert(Size > 0, "maxpool2d<Size>: Size must be positive");

  template <class In, class T>
  struct bind : layer_defaults {
    static_assert(diagnosed<(Size <= In::height && Size <= In::width), maxpool2d_window_larger_than_input<shape<In::height, In::width, In::channels>>>,
                  "maxpool2d<Size>: the window is larger than the input");
    static_assert(diagnosed<(Size <= 16), maxpool2d_window_larger_than_16<shape<Size, Size, In::channels>>>,
                  "maxpool2d<Size>: Size must be at most 16 (window positions are stored in a byte)");
    static constexpr std::size_t H = In::height, W = In::width, C = In::channels, S = Size;
    static constexpr std::size_t OH = (H + S - 1) / S, OW = (W + S - 1) / S;
    using in_shape = In;
    using out_shape = shape<OH, OW, C>;
    using position = std::uint8_t;  // dy * S + dx of a window's maximum
    static constexpr std::string_view kind = "maxpool2d";
    static constexpr std::size_t scratch_per_worker = (OW * C * sizeof(position) + sizeof(T) - 1) / sizeof(T);

    static layer_spec spec() { return {std::string(kind), {Size}, {OH, OW, C}}; }

    static void forward(const context<T>& ctx, const T*, const T*, const T* in, T* out, std::size_t n) {
      ctx.pool.run(n * OH, [&](std::size_t task, std::size_t) {
        const std::size_t image = task / OH, oy = task % OH;
        pool_row(in + (image * H + oy * S) * W * C, oy, out + (image * OH + oy) * OW * C, nullptr, false);
      });
    }

    static void backward(const context<T>& ctx, const T*, const T* in, const T*, const T* d_out, T* d_in,
                         T*, T*, std::size_t n) {
      ctx.pool.run(n * OH, [&](std::size_t task, std::size_t worker) {
        const std::size_t image = task / OH, oy = task % OH;
        auto* where = reinterpret_cast<position*>(ctx.worker_scratch(worker));
        pool_row(in + (image * H + oy * S) * W * C, oy, nullptr, where, false);
        for (std::size_t y = oy * S; y < std::min(H, oy * S + S); ++y)
          unpool_row(y, where, d_out + (image * OH + oy) * OW * C, nullptr, d_in + (image * H + y) * W * C);
      });
    }

    // Pools one output row oy from its input rows (`rows` points at input row oy * S; row stride
    // W * C) into out (OW x C; when not null), with relu when asked, and the window positions of
    // the maxima into where (when not null). The first maximum in scan order wins.
    static void pool_row(const T* rows, std::size_t oy, T* out, position* where, bool with_relu) {
      if (where)
        pool_row<true>(rows, oy, out, where, with_relu);
      else
        pool_row<false>(rows, oy, out, where, with_relu);
    }

    template <bool Positions>
    static void pool_row(const T* rows, std::size_t oy, T* out, position* where, bool with_relu) {
      const std::size_t window_rows = std::min(H, oy * S + S) - oy * S;
      T best[C], at[C];  // positions as T too, so the loop below is branch-free and vectorises
      for (std::size_t ox = 0; ox < OW; ++ox) {
        const std::size_t window_columns = std::min(W, ox * S + S) - ox * S;
        const T* first = rows + ox * S * C;
        for (std::size_t c = 0; c < C; ++c) best[c] = first[c], at[c] = T(0);
        for (std::size_t dy = 0; dy < window_rows; ++dy)
          for (std::size_t dx = dy == 0 ? 1 : 0; dx < window_columns; ++dx) {
            const T* pixel = first + (dy * W + dx) * C;
            const T here = T(dy * S + dx);
            for (std::size_t c = 0; c < C; ++c) {
              const bool greater = pixel[c] > best[c];
              best[c] = greater ? pixel[c] : best[c];
              if constexpr (Positions) at[c] = greater ? here : at[c];
            }
          }
        if (out)
          for (std::size_t c = 0; c < C; ++c) out[ox * C + c] = with_relu ? std::max(best[c], T(0)) : best[c];
        if constexpr (Positions)
          for (std::size_t c = 0; c < C; ++c) where[ox * C + c] = static_cast<position>(at[c]);
      }
    }

    // Input row y's gradient (W x C) from its output row's gradient d (OW x C): each window's
    // gradient goes to its maximum. With `kept` (the output after a relu), only where it is > 0.
    static void unpool_row(std::size_t y, const position* where, const T* d, const T* kept, T* out) {
      const std::size_t dy = y % S;
      for (std::size_t x = 0; x < W; ++x) {
        const std::size_t ox = x / S;
        const auto here = static_cast<position>(dy * S + x % S);
        const position* at = where + ox * C;
        const T* g = d + ox * C;
        T* o = out + x * C;
        if (kept) {
          const T* k = kept + ox * C;
          for (std::size_t c = 0; c < C; ++c) o[c] = at[c] == here && k[c] > T(0) ? g[c] : T(0);
        } else {
          for (std::size_t c = 0; c < C; ++c) o[c] = at[c] == here ? g[c] : T(0);
        }
      }
    }
  };
};

// global_avg_pool: the mean of each channel over the image, H x W x C -> 1 x 1 x C. A head with
// far fewer parameters than flatten + dense, which generalises better on small data sets.
struct global_avg_pool {
  template <class In, class T>
  struct bind : layer_defaults {
    static constexpr std::size_t P = In::height * In::width, C = In::channels;
    using in_shape = In;
    using out_shape = shape<1, 1, C>;
    static constexpr std::string_view kind = "global_avg_pool";

    static layer_spec spec() { return {std::string(kind), {}, {1, 1, C}}; }

    static void forward(const context<T>& ctx, const T*, const T*, const T* in, T* out, std::size_t n) {
      ctx.pool.run(n, [&](std::size_t image, std::size_t) {
        T* dst = out + image * C;
        std::fill_n(dst, C, T(0));
        for (std::size_t p = 0; p < P; ++p)
          for (std::size_t c = 0; c < C; ++c) dst[c] += in[(image * P + p) * C + c];
        for (std::size_t c = 0; c < C; ++c) dst[c] /= T(P);
      });
    }
    static void backward(const context<T>& ctx, const T*, const T*, const T*, const T* d_out, T* d_in, T*,
                         T*, std::size_t n) {
      ctx.pool.run(n, [&](std::size_t image, std::size_t) {
        for (std::size_t p = 0; p < P; ++p)
          for (std::size_t c = 0; c < C; ++c) d_in[(image * P + p) * C + c] = d_out[image * C + c] / T(P);
      });
    }
  };
};

}  // namespace tarmac::nn
