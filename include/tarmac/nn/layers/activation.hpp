#pragma once
// relu, dropout and flatten: layers without parameters that work in place on the previous
// layer's buffer (flatten only renames the shape: NHWC memory is already (h, w, c)-ordered).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tarmac/nn/context.hpp"
#include "tarmac/nn/layer.hpp"
#include "tarmac/nn/shape.hpp"

namespace tarmac::nn {

namespace detail {
struct in_place_layer : layer_defaults {
  static constexpr bool in_place = true;
};
}  // namespace detail

struct relu {
  template <class In, class T>
  struct bind : detail::in_place_layer {
    using in_shape = In;
    using out_shape = shape<In::height, In::width, In::channels>;
    static constexpr std::string_view kind = "relu";
    static layer_spec spec() { return {std::string(kind), {}, {In::height, In::width, In::channels}}; }

    static void forward(const context<T>& ctx, const T*, const T*, const T* in, T* out, std::size_t n) {
      parallel_ranges(ctx.pool, n * In::size, 1024, [&](std::size_t begin, std::size_t end, std::size_t) {
        for (std::size_t i = begin; i < end; ++i) out[i] = std::max(in[i], T(0));
      });
    }
    // out > 0 exactly where the input was > 0, so the output alone gives the mask.
    static void backward(const context<T>& ctx, const T*, const T*, const T* out, const T* d_out, T* d_in,
                         T*, T*, std::size_t n) {
      parallel_ranges(ctx.pool, n * In::size, 1024, [&](std::size_t begin, std::size_t end, std::size_t) {
        for (std::size_t i = begin; i < end; ++i) d_in[i] = out[i] > T(0) ? d_out[i] : T(0);
      });
    }
  };
};

// dropout<PerMille>: in a training step, each value is zeroed with probability PerMille / 1000
// and the rest scaled by 1 / (1 - p), so inference (where it passes values through) sees the
// same expected activation. Which values drop follows from the step's seed and the value's
// index, so the backward pass draws the same mask without storing it, and repeated
// loss_and_gradient calls of one step (a gradient check) see the same network.
template <std::size_t PerMille>
struct dropout {
  static_assert(PerMille > 0 && PerMille < 1000, "dropout<PerMille>: the rate must be in (0, 1000) thousandths");

  template <class In, class T>
  struct bind : detail::in_place_layer {
    using in_shape = In;
    using out_shape = shape<In::height, In::width, In::channels>;
    static constexpr std::string_view kind = "dropout";
    static constexpr T scale = T(1000) / T(1000 - PerMille);
    static layer_spec spec() { return {std::string(kind), {PerMille}, {In::height, In::width, In::channels}}; }

    static bool kept(std::uint64_t seed, std::size_t i) {
      std::uint64_t z = seed + 0x9E3779B97F4A7C15ull * (i + 1);  // splitmix64
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      z ^= z >> 31;
      return (z >> 11) % 1000000 >= PerMille * 1000;
    }

    static void forward(const context<T>& ctx, const T*, const T*, const T* in, T* out, std::size_t n) {
      parallel_ranges(ctx.pool, n * In::size, 1024, [&](std::size_t begin, std::size_t end, std::size_t) {
        for (std::size_t i = begin; i < end; ++i)
          out[i] = !ctx.training ? in[i] : kept(ctx.step_seed, i) ? in[i] * scale : T(0);
      });
    }
    static void backward(const context<T>& ctx, const T*, const T*, const T*, const T* d_out, T* d_in, T*,
                         T*, std::size_t n) {
      parallel_ranges(ctx.pool, n * In::size, 1024, [&](std::size_t begin, std::size_t end, std::size_t) {
        for (std::size_t i = begin; i < end; ++i) d_in[i] = kept(ctx.step_seed, i) ? d_out[i] * scale : T(0);
      });
    }
  };
};

struct flatten {
  template <class In, class T>
  struct bind : detail::in_place_layer {
    using in_shape = In;
    using out_shape = shape<1, 1, In::size>;
    static constexpr std::string_view kind = "flatten";
    static layer_spec spec() { return {std::string(kind), {}, {1, 1, In::size}}; }
    static void forward(const context<T>&, const T*, const T*, const T*, T*, std::size_t) {}
    static void backward(const context<T>&, const T*, const T*, const T*, const T*, T*, T*, T*, std::size_t) {}
  };
};

}  // namespace tarmac::nn
