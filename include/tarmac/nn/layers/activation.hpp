#pragma once
// relu and flatten: layers without parameters that work in place on the previous layer's
// buffer (flatten only renames the shape: NHWC memory is already (h, w, c)-ordered).
#include <algorithm>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "tarmac/nn/detail/context.hpp"
#include "tarmac/nn/init.hpp"
#include "tarmac/nn/shape.hpp"

namespace tarmac::nn {

namespace detail {
struct no_parameters {
  static constexpr std::size_t weight_count = 0, bias_count = 0, scratch_per_worker = 0, scratch_shared = 0;
  static constexpr bool in_place = true;
  template <class T>
  static void init(std::span<T>, std::span<T>, init_scheme, init_engine&) {}
};
}  // namespace detail

struct relu {
  template <class In, class T>
  struct bind : detail::no_parameters {
    using in_shape = In;
    using out_shape = shape<In::height, In::width, In::channels>;
    static constexpr std::string_view kind = "relu";
    static layer_spec spec() { return {std::string(kind), {}, {In::height, In::width, In::channels}}; }

    static void forward(const detail::context<T>& ctx, const T*, const T*, const T* in, T* out, std::size_t n) {
      detail::parallel_ranges(ctx.pool, n * In::size, 1024, [&](std::size_t begin, std::size_t end, std::size_t) {
        for (std::size_t i = begin; i < end; ++i) out[i] = std::max(in[i], T(0));
      });
    }
    // out > 0 exactly where the input was > 0, so the output alone gives the mask.
    static void backward(const detail::context<T>& ctx, const T*, const T*, const T* out, const T* d_out, T* d_in,
                         T*, T*, std::size_t n) {
      detail::parallel_ranges(ctx.pool, n * In::size, 1024, [&](std::size_t begin, std::size_t end, std::size_t) {
        for (std::size_t i = begin; i < end; ++i) d_in[i] = out[i] > T(0) ? d_out[i] : T(0);
      });
    }
  };
};

struct flatten {
  template <class In, class T>
  struct bind : detail::no_parameters {
    using in_shape = In;
    using out_shape = shape<1, 1, In::size>;
    static constexpr std::string_view kind = "flatten";
    static layer_spec spec() { return {std::string(kind), {}, {1, 1, In::size}}; }
    static void forward(const detail::context<T>&, const T*, const T*, const T*, T*, std::size_t) {}
    static void backward(const detail::context<T>&, const T*, const T*, const T*, const T*, T*, T*, T*, std::size_t) {}
  };
};

}  // namespace tarmac::nn
