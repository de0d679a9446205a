#pragma once
// dense<Outputs>: fully connected, weights [in][out], bias. Threads split the output columns in
// the forward pass (each reads only its slice of the weights) and the weight rows in the backward
// pass, so no two threads write the same gradient. The GEMMs' slices have a fixed width:
// OpenBLAS's rounding depends on a GEMM's shape, and results must not depend on the thread count.
#include <algorithm>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tarmac/nn/context.hpp"
#include "tarmac/nn/detail/gemm.hpp"
#include "tarmac/nn/init.hpp"
#include "tarmac/nn/shape.hpp"

namespace tarmac::nn {

template <class Shape>
struct dense_input_not_flat_put_flatten_before_it;

template <std::size_t Outputs>
struct dense {
  static_assert(Outputs > 0, "dense<Outputs>: Outputs must be positive");

  template <class In, class T>
  struct bind {
    static_assert(diagnosed<is_flat<In>, dense_input_not_flat_put_flatten_before_it<shape<In::height, In::width, In::channels>>>,
                  "dense<Outputs> needs a flat input (1 x 1 x N): put flatten or global_avg_pool before it");
    static constexpr std::size_t I = In::size, O = Outputs;
    using in_shape = In;
    using out_shape = shape<1, 1, O>;
    static constexpr std::size_t weight_count = I * O, bias_count = O, scratch_per_worker = 0, scratch_shared = 0;
    static constexpr bool in_place = false;
    static constexpr std::size_t few_rows = 4;
    static constexpr std::size_t columns_per_task = 64, rows_per_task = 512;  // multiples of 16 floats

    static constexpr std::string_view kind = "dense";
    static layer_spec spec() { return {std::string(kind), {Outputs}, {1, 1, O}}; }
    static std::vector<std::size_t> weight_shape() { return {I, O}; }
    static void init(std::span<T> w, std::span<T> b, init_scheme scheme, init_engine& engine) {
      initialise(w, b, I, scheme, engine);
    }

    static void forward(const context<T>& ctx, const T* w, const T* b, const T* in, T* out, std::size_t n) {
      if (n > few_rows) {
        parallel_chunks(ctx.pool, O, columns_per_task, [&](std::size_t o0, std::size_t o1, std::size_t) {
          for (std::size_t r = 0; r < n; ++r) std::copy(b + o0, b + o1, out + r * O + o0);
          detail::gemm<T>(detail::op::none, detail::op::none, n, o1 - o0, I, T(1), in, I, w + o0, O, T(1), out + o0, O);
        });
        return;
      }
      // A few rows (batch-1 latency) are bound by reading the weights once: stream them row by
      // row (a GEMM would pack them first and read them twice), one slice of columns per thread.
      // Each output sums its terms in row order, however the columns are split.
      parallel_ranges(ctx.pool, O, 16, [&](std::size_t o0, std::size_t o1, std::size_t) {
        for (std::size_t r = 0; r < n; ++r) std::copy(b + o0, b + o1, out + r * O + o0);
        for (std::size_t i = 0; i < I; ++i) {
          const T* wi = w + i * O;
          for (std::size_t r = 0; r < n; ++r) {
            const T x = in[r * I + i];
            T* y = out + r * O;
            for (std::size_t o = o0; o < o1; ++o) y[o] += x * wi[o];
          }
        }
      });
    }

    static void backward(const context<T>& ctx, const T* w, const T* in, const T*, const T* d_out, T* d_in,
                         T* d_w, T* d_b, std::size_t n) {
      parallel_chunks(ctx.pool, I, rows_per_task, [&](std::size_t i0, std::size_t i1, std::size_t) {
        // d_w rows [i0, i1) = in[:, i0:i1]^T d_out;  d_in[:, i0:i1] = d_out w[i0:i1, :]^T
        detail::gemm<T>(detail::op::transpose, detail::op::none, i1 - i0, O, n, T(1), in + i0, I, d_out, O, T(0),
                        d_w + i0 * O, O);
        if (d_in)
          detail::gemm<T>(detail::op::none, detail::op::transpose, n, i1 - i0, O, T(1), d_out, O, w + i0 * O, O, T(0),
                          d_in + i0, I);
      });
      std::fill_n(d_b, O, T(0));
      for (std::size_t r = 0; r < n; ++r)
        for (std::size_t o = 0; o < O; ++o) d_b[o] += d_out[r * O + o];
    }
  };
};

}  // namespace tarmac::nn
