#pragma once
// The layer protocol: what a type must provide to be stacked in a network. The network checks
// every layer against it at compile time, one requirement at a time, and a layer that misses one
// fails with that requirement's sentence and layer_at_position<Position, Layer> (positions count
// from 0, as weights<I>() does).
//
// A layer is a type L (conv2d<32, 3>, relu, your own) with a member template L::bind<In, T>: the
// layer bound to its input shape In (an nn::shape) and scalar T (float or double). The bound layer
// B = L::bind<In, T> provides, all static:
//
//   using out_shape = nn::shape<H, W, C>;       its output per sample
//   std::size_t weight_count, bias_count;       its parameters (constants; a layer with biases has weights)
//   std::size_t scratch_per_worker;             scratch values each worker may use: ctx.worker_scratch(worker)
//   std::size_t scratch_shared;                 scratch values for the whole pass: ctx.shared
//   bool in_place;                              forward may be given in == out (out_shape::size == In::size);
//                                               backward's `in` then holds the output: work from `out`
//   layer_spec spec();                          kind, arguments and output shape (model files, messages)
//   std::vector<std::size_t> weight_shape();    the weights' shape in model files (when weight_count > 0)
//   void init(std::span<T> w, std::span<T> b, init_scheme, init_engine&);
//   void forward(const context<T>& ctx, const T* w, const T* b, const T* in, T* out, std::size_t n);
//   void backward(const context<T>& ctx, const T* w, const T* in, const T* out, const T* d_out,
//                 T* d_in, T* d_w, T* d_b, std::size_t n);
//
// Tensors hold n samples one after another, each NHWC. forward writes out from in. backward
// gets the output's gradient d_out and writes the input's gradient d_in (null for the network's
// first layer: nothing needs it) and this batch's parameter gradients d_w, d_b (overwritten,
// not added to). Both may call ctx.pool.run (not from inside one of its tasks); for training to
// stay reproducible, their results may depend neither on which worker ran a task nor on the
// thread count (see parallel_chunks in context.hpp). layer_defaults gives the defaults of a layer
// without parameters or scratch: derive from it and write out_shape, spec, forward and backward.
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>

#include "tarmac/nn/context.hpp"
#include "tarmac/nn/init.hpp"
#include "tarmac/nn/shape.hpp"

namespace tarmac::nn {

struct layer_defaults {
  static constexpr std::size_t weight_count = 0, bias_count = 0, scratch_per_worker = 0, scratch_shared = 0;
  static constexpr bool in_place = false;
  template <class T>
  static void init(std::span<T>, std::span<T>, init_scheme, init_engine&) {}
};

// Each requirement of the protocol on its own, so that a failed check can say which one.
namespace requirement {
template <class L, class In, class T>
concept binds = requires { typename L::template bind<In, T>; };
template <class B>
concept output_shape = requires { typename B::out_shape; } && is_shape<typename B::out_shape>;
template <class B>
concept sizes = requires {
  std::integral_constant<std::size_t, B::weight_count>{};
  std::integral_constant<std::size_t, B::bias_count>{};
  std::integral_constant<std::size_t, B::scratch_per_worker>{};
  std::integral_constant<std::size_t, B::scratch_shared>{};
  std::bool_constant<B::in_place>{};
};
template <class B>
concept biases_with_weights = B::weight_count > 0 || B::bias_count == 0;
template <class B, class In>
concept in_place_keeps_size = !B::in_place || B::out_shape::size == In::size;
template <class B>
concept spec = requires {
  { B::spec() } -> std::same_as<layer_spec>;
};
template <class B>
concept weight_shape = B::weight_count == 0 || requires {
  { B::weight_shape() } -> std::same_as<std::vector<std::size_t>>;
};
template <class B, class T>
concept init = requires(std::span<T> p, init_scheme scheme, init_engine& engine) { B::init(p, p, scheme, engine); };
template <class B, class T>
concept forward = requires(const context<T>& ctx, const T* in, T* out, std::size_t n) {
  B::forward(ctx, in, in, in, out, n);
};
template <class B, class T>
concept backward = requires(const context<T>& ctx, const T* in, T* out, std::size_t n) {
  B::backward(ctx, in, in, in, in, out, out, out, n);
};
}  // namespace requirement

// B is a layer bound to input shape In and scalar T.
template <class B, class In, class T>
concept bound_layer = requirement::output_shape<B> && requirement::sizes<B> && requirement::biases_with_weights<B> &&
                      requirement::in_place_keeps_size<B, In> && requirement::spec<B> && requirement::weight_shape<B> &&
                      requirement::init<B, T> && requirement::forward<B, T> && requirement::backward<B, T>;

// L is a layer that takes input shape In with scalar T.
template <class L, class In, class T = float>
concept layer = requirement::binds<L, In, T> && bound_layer<typename L::template bind<In, T>, In, T>;

// Fusion: three consecutive layers A, B, C that run faster as one pass (conv2d -> maxpool2d ->
// relu, layers/fused.hpp). Specialise fusion<A, B, C> as std::true_type with a member
//   template <class T, class BoundA, class BoundB, class BoundC> using pass = ...;
// whose pass satisfies fused_pass. Only A may have parameters. The network runs every such
// triple as one pass, leftmost first; the triple's output is C's.
template <class A, class B, class C>
struct fusion : std::false_type {};

template <class A, class B, class C>
inline constexpr bool fuses_with = fusion<A, B, C>::value;

// A fused pass: scratch like a layer's, and saved_per_sample bytes per sample that its forward
// pass keeps for its backward pass (null in inference). w, b, d_w and d_b are the first layer's.
//   void forward(const context<T>&, const T* w, const T* b, const T* in, T* out, std::uint8_t* saved, std::size_t n);
//   void backward(const context<T>&, const T* w, const T* in, const T* out, const std::uint8_t* saved,
//                 const T* d_out, T* d_in, T* d_w, T* d_b, std::size_t n);
template <class P, class T>
concept fused_pass = requires(const context<T>& ctx, const T* in, T* out, std::uint8_t* saved, std::size_t n) {
  std::integral_constant<std::size_t, P::scratch_per_worker>{};
  std::integral_constant<std::size_t, P::scratch_shared>{};
  std::integral_constant<std::size_t, P::saved_per_sample>{};
  P::forward(ctx, in, in, in, out, saved, n);
  P::backward(ctx, in, in, in, static_cast<const std::uint8_t*>(saved), in, out, out, out, n);
};

// Named in the error of a layer that does not satisfy the protocol.
template <std::size_t Position, class Layer>
struct layer_at_position;

namespace detail {

// Stands in for a layer that failed its checks, so that one failed check is the only error.
template <class In>
struct stand_in_layer : layer_defaults {
  using out_shape = shape<In::height, In::width, In::channels>;
  static constexpr bool in_place = true;
  static layer_spec spec() { return {}; }
  template <class T>
  static void forward(const context<T>&, const T*, const T*, const T*, T*, std::size_t) {}
  template <class T>
  static void backward(const context<T>&, const T*, const T*, const T*, const T*, T*, T*, T*, std::size_t) {}
};

template <bool Binds, class L, class In, class T>
struct bound_or_stand_in {
  using type = stand_in_layer<In>;
};
template <class L, class In, class T>
struct bound_or_stand_in<true, L, In, T> {
  using type = typename L::template bind<In, T>;
};

// The protocol's requirements in order; each is checked only when the ones before it hold.
template <std::size_t Position, class L, class In, class T>
struct check_layer {
  using where = layer_at_position<Position, L>;
  static constexpr bool binds = requirement::binds<L, In, T>;
  static_assert(diagnosed<binds, where>,
                "this is not a layer: a layer type has a member template bind<In, T> (see tarmac/nn/layer.hpp)");
  using B = typename bound_or_stand_in<binds, L, In, T>::type;

  static constexpr bool shaped = !binds || requirement::output_shape<B>;
  static_assert(diagnosed<shaped, where>, "a layer's bind<In, T> must name its output shape: using out_shape = nn::shape<H, W, C>");
  static constexpr bool sized = !binds || !shaped || requirement::sizes<B>;
  static_assert(diagnosed<sized, where>,
                "a layer's bind<In, T> must define the constants weight_count, bias_count, scratch_per_worker, "
                "scratch_shared (std::size_t) and in_place (bool): derive from nn::layer_defaults for zeros and false");
  static constexpr bool counted = sized && shaped && binds;
  static_assert(diagnosed<!counted || requirement::biases_with_weights<B>, where>,
                "a layer with biases must have weights (model files store them as a pair)");
  static_assert(diagnosed<!counted || requirement::in_place_keeps_size<B, In>, where>,
                "an in_place layer must output as many values as it takes (out_shape::size == In::size)");
  static_assert(diagnosed<!binds || requirement::spec<B>, where>,
                "a layer's bind<In, T> must have static nn::layer_spec spec() (its kind, arguments and output shape)");
  static_assert(diagnosed<!counted || requirement::weight_shape<B>, where>,
                "a layer with weights must have static std::vector<std::size_t> weight_shape() (for model files)");
  static_assert(diagnosed<!binds || requirement::init<B, T>, where>,
                "a layer's bind<In, T> must have static void init(std::span<T> w, std::span<T> b, nn::init_scheme, "
                "nn::init_engine&)");
  static_assert(diagnosed<!binds || requirement::forward<B, T>, where>,
                "a layer's bind<In, T> must have static void forward(const nn::context<T>&, const T* w, const T* b, "
                "const T* in, T* out, std::size_t n)");
  static_assert(diagnosed<!binds || requirement::backward<B, T>, where>,
                "a layer's bind<In, T> must have static void backward(const nn::context<T>&, const T* w, const T* in, "
                "const T* out, const T* d_out, T* d_in, T* d_w, T* d_b, std::size_t n)");

  static constexpr bool value = binds && bound_layer<B, In, T>;
  using type = std::conditional_t<value, B, stand_in_layer<In>>;
};

}  // namespace detail

}  // namespace tarmac::nn
