#pragma once
// A network is a type: basic_network<Scalar, input<H, W, C>, layers...> (network<...> for float).
// Shapes, parameter counts and offsets are compile-time constants; only the batch size is a
// run-time value. All parameters live in one aligned buffer (weights of every layer, then biases
// of every layer), gradients in a second one of the same layout. Activations, gradients and
// scratch memory are allocated on the first call for a batch size and reused after it. Every
// conv2d -> maxpool2d -> relu triple runs as one fused pass (layers/fused.hpp).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <xsimd/xsimd.hpp>
#include <xtensor/xtensor.hpp>

#include "tarmac/core/error.hpp"
#include "tarmac/core/thread_pool.hpp"
#include "tarmac/nn/detail/context.hpp"
#include "tarmac/nn/init.hpp"
#include "tarmac/nn/layers/activation.hpp"
#include "tarmac/nn/layers/conv2d.hpp"
#include "tarmac/nn/layers/dense.hpp"
#include "tarmac/nn/layers/fused.hpp"
#include "tarmac/nn/layers/pooling.hpp"
#include "tarmac/nn/loss.hpp"
#include "tarmac/nn/optimiser.hpp"
#include "tarmac/nn/shape.hpp"

namespace tarmac::nn {

template <class Shape>
struct network_output_must_be_flat_with_two_or_more_classes;

struct network_options {
  std::size_t threads = 0;  // 0 = hardware concurrency
  init_scheme init = init_scheme::rtk;
  std::uint64_t seed = 0;
};

struct step_result {
  double loss = 0;
  double accuracy = 0;  // fraction of rows whose arg-max is the label
  std::size_t count = 0;
};

namespace detail {
template <class T, class In, class... Layers>
struct bind_chain {
  using type = std::tuple<>;
  using output = In;
};
template <class T, class In, class L, class... Rest>
struct bind_chain<T, In, L, Rest...> {
  using layer = typename L::template bind<In, T>;
  using next = bind_chain<T, typename layer::out_shape, Rest...>;
  using type = decltype(std::tuple_cat(std::declval<std::tuple<layer>>(), std::declval<typename next::type>()));
  using output = typename next::output;
};
constexpr std::size_t align_up(std::size_t n) { return (n + 15) / 16 * 16; }  // 64-byte offsets for floats
}  // namespace detail

template <class T, class Input, class... Layers>
class basic_network {
  static_assert(std::is_floating_point_v<T>, "basic_network<T, ...>: T must be float or double");
  static_assert(sizeof...(Layers) > 0, "a network needs at least one layer");
  using chain = detail::bind_chain<T, shape<Input::height, Input::width, Input::channels>, Layers...>;
  using bound = typename chain::type;
  template <std::size_t I>
  using layer = std::tuple_element_t<I, bound>;
  static constexpr std::size_t depth = sizeof...(Layers);
  using indices = std::make_index_sequence<depth>;

  template <std::size_t... I>
  static constexpr auto collect(std::index_sequence<I...>, auto field) {
    return std::array{field(std::type_identity<layer<I>>{})...};
  }
  static constexpr auto weight_counts = collect(indices{}, [](auto l) { return decltype(l)::type::weight_count; });
  static constexpr auto bias_counts = collect(indices{}, [](auto l) { return decltype(l)::type::bias_count; });
  static constexpr auto output_sizes = collect(indices{}, [](auto l) { return decltype(l)::type::out_shape::size; });
  static constexpr auto input_sizes = collect(indices{}, [](auto l) { return decltype(l)::type::in_shape::size; });
  static constexpr auto in_place = collect(indices{}, [](auto l) { return std::size_t{decltype(l)::type::in_place}; });
  static constexpr auto shared = collect(indices{}, [](auto l) { return decltype(l)::type::scratch_shared; });
  static constexpr auto kinds = collect(indices{}, [](auto l) { return decltype(l)::type::kind; });

  // fused[i]: layers i, i + 1, i + 2 are conv2d, maxpool2d, relu and run as one pass.
  static constexpr auto fused = [] {
    std::array<bool, depth> head{};
    for (std::size_t i = 0; i + 2 < depth; ++i)
      head[i] = kinds[i] == "conv2d" && kinds[i + 1] == "maxpool2d" && kinds[i + 2] == "relu";
    return head;
  }();
  static constexpr bool inside_fused(std::size_t i) { return (i >= 1 && fused[i - 1]) || (i >= 2 && fused[i - 2]); }
  template <std::size_t I>
  using fused_pass = detail::conv_pool_relu<T, layer<I>, layer<I + 1>>;
  template <std::size_t I>
  static constexpr std::size_t worker_scratch() {
    if constexpr (fused[I]) return fused_pass<I>::scratch_per_worker;
    else return layer<I>::scratch_per_worker;
  }
  static constexpr auto per_worker = []<std::size_t... I>(std::index_sequence<I...>) {
    return std::array<std::size_t, depth>{worker_scratch<I>()...};
  }(indices{});
  // The largest layer output ever stored (a fused conv's never is): it sizes the inference
  // buffers and the gradient buffers, whose largest d_in is some stored layer's output too.
  static constexpr std::size_t largest_stored = [] {
    std::size_t largest = 0;
    for (std::size_t i = 0; i < depth; ++i)
      if (!fused[i]) largest = std::max(largest, output_sizes[i]);
    return largest;
  }();

  static constexpr auto offsets(const std::array<std::size_t, depth>& counts, std::size_t start) {
    std::array<std::size_t, depth> out{};
    for (std::size_t i = 0; i < depth; ++i) out[i] = start, start += detail::align_up(counts[i]);
    return std::pair{out, start};
  }
  static constexpr auto weight_layout = offsets(weight_counts, 0);
  static constexpr auto bias_layout = offsets(bias_counts, weight_layout.second);
  static constexpr std::size_t max_of(const std::array<std::size_t, depth>& a) { return *std::max_element(a.begin(), a.end()); }

 public:
  using scalar = T;
  using input_shape = shape<Input::height, Input::width, Input::channels>;
  using output_shape = typename chain::output;
  template <class U>
  using with_scalar = basic_network<U, Input, Layers...>;

  static_assert(detail::shape_check<is_flat<output_shape> && output_shape::size >= 2,
                                    network_output_must_be_flat_with_two_or_more_classes<output_shape>>::value,
                "the last layer must give 1 x 1 x Classes with Classes >= 2: end the network with dense<Classes>");

  static constexpr std::size_t classes = output_shape::size;
  static constexpr std::size_t layer_count = depth;
  static constexpr std::size_t parameter_count = [] {
    std::size_t n = 0;
    for (std::size_t i = 0; i < depth; ++i) n += weight_counts[i] + bias_counts[i];
    return n;
  }();
  // Multiply-adds of one image's forward pass, times 2 (conv and dense layers).
  static constexpr std::size_t forward_flops = [] {
    std::size_t n = 0;
    for (std::size_t i = 0; i < depth; ++i)
      if (weight_counts[i]) n += 2 * weight_counts[i] * (output_sizes[i] / bias_counts[i]);
    return n;
  }();

  explicit basic_network(network_options options = {})
      : pool_(std::make_unique<thread_pool>(options.threads)),
        parameters_(bias_layout.second, T(0)),
        gradients_(bias_layout.second, T(0)) {
    initialise(options.init, options.seed);
    step_seed_ = options.seed;
  }
  basic_network(const basic_network& other)
      : pool_(std::make_unique<thread_pool>(other.pool_->size())), parameters_(other.parameters_),
        gradients_(other.gradients_), step_seed_(other.step_seed_) {}
  basic_network& operator=(const basic_network& other) {
    parameters_ = other.parameters_;
    gradients_ = other.gradients_;
    step_seed_ = other.step_seed_;
    return *this;
  }
  basic_network(basic_network&&) noexcept = default;
  basic_network& operator=(basic_network&&) noexcept = default;

  std::size_t threads() const { return pool_->size(); }

  void initialise(init_scheme scheme, std::uint64_t seed) {
    init_engine engine(seed);
    for_each_layer([&]<std::size_t I>() { layer<I>::init(weights<I>(), biases<I>(), scheme, engine); });
  }

  // The compiled architecture, one entry per layer (kinds, arguments, output shapes).
  static std::vector<layer_spec> architecture() {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return std::vector<layer_spec>{layer<I>::spec()...};
    }(indices{});
  }

  // Weights and biases of layer I (empty spans for layers without parameters).
  template <std::size_t I>
  std::span<T> weights() { return {parameters_.data() + weight_layout.first[I], weight_counts[I]}; }
  template <std::size_t I>
  std::span<T> biases() { return {parameters_.data() + bias_layout.first[I], bias_counts[I]}; }
  template <std::size_t I>
  std::span<const T> weight_gradients() const { return {gradients_.data() + weight_layout.first[I], weight_counts[I]}; }
  template <std::size_t I>
  std::span<const T> bias_gradients() const { return {gradients_.data() + bias_layout.first[I], bias_counts[I]}; }

  // Calls fn(layer index, "weights" | "biases", shape, span) for every parameter tensor in order:
  // the hook model files use. Shapes: conv [kh][kw][cin][cout], dense [in][out], biases [out].
  template <class F>
  void for_each_parameter(F&& fn) {
    for_each_layer([&]<std::size_t I>() {
      if constexpr (weight_counts[I] > 0) {
        fn(I, std::string("weights"), layer<I>::weight_shape(), weights<I>());
        fn(I, std::string("biases"), std::vector<std::size_t>{bias_counts[I]}, biases<I>());
      }
    });
  }

  // The whole parameter buffer (weights, then biases; zero padding between tensors), and the
  // gradients of the last loss_and_gradient or train_step, in the same layout.
  std::span<T> parameters() { return parameters_; }
  std::span<const T> parameters() const { return parameters_; }
  std::span<const T> gradients() const { return gradients_; }

  // Class probabilities (N x classes) of images (N x H x W x C, NHWC). Stores no activations:
  // two buffers of the largest layer output for at most `chunk` images at a time.
  xt::xtensor<T, 2> predict(const xt::xtensor<T, 4>& images) {
    const std::size_t n = check_images(images, "predict");
    xt::xtensor<T, 2> probabilities = xt::empty<T>({n, classes});
    for (std::size_t first = 0; first < n; first += predict_chunk) {
      const std::size_t count = std::min(predict_chunk, n - first);
      const T* logits = infer(images.data() + first * input_shape::size, count);
      softmax(logits, count, classes, probabilities.data() + first * classes);
    }
    return probabilities;
  }

  // Forward and backward on the first labels.size() images: fills gradients(), returns the loss.
  step_result loss_and_gradient(const xt::xtensor<T, 4>& images, std::span<const std::size_t> labels,
                                std::span<const T> class_weights = {}) {
    const std::size_t n = check_batch(images, labels, class_weights, "loss_and_gradient");
    reserve_training(n);
    forward_keep(images.data(), n);
    T* d = grad_a_.data();
    const T* logits = activation_out(depth - 1);
    const loss_result r = softmax_cross_entropy(logits, n, classes, labels, class_weights, d);
    if (!std::isfinite(r.loss))
      throw error("loss_and_gradient: the loss is not finite (" + std::to_string(r.loss) +
                  "): non-finite inputs or diverged parameters (learning rate too high?)");
    backward(images.data(), n);
    return {r.loss, double(r.correct) / double(n), n};
  }

  // One optimisation step on a batch: loss and accuracy are those before the update. On a
  // non-finite loss nothing is updated and tarmac::error is thrown.
  template <class Optimiser>
    requires optimiser_for<Optimiser, T>
  step_result train_step(const xt::xtensor<T, 4>& images, std::span<const std::size_t> labels, Optimiser& optimiser,
                         std::span<const T> class_weights = {}) {
    const step_result r = loss_and_gradient(images, labels, class_weights);
    optimiser.step(std::span<T>(parameters_), std::span<const T>(gradients_), bias_layout.first[0], *pool_);
    step_seed_ = step_seed_ * 6364136223846793005ull + 1442695040888963407ull;  // the next step's dropout draws
    return r;
  }

  // Loss and accuracy without gradients (validation), in chunks of at most 32 images.
  step_result evaluate(const xt::xtensor<T, 4>& images, std::span<const std::size_t> labels,
                       std::span<const T> class_weights = {}) {
    const std::size_t n = check_batch(images, labels, class_weights, "evaluate");
    double weighted_loss = 0, total_weight = 0;
    std::size_t correct = 0;
    for (std::size_t first = 0; first < n; first += predict_chunk) {
      const std::size_t count = std::min(predict_chunk, n - first);
      const auto chunk_labels = labels.subspan(first, count);
      double weight = 0;
      for (std::size_t y : chunk_labels) weight += class_weights.empty() ? 1.0 : double(class_weights[y]);
      const T* logits = infer(images.data() + first * input_shape::size, count);
      // a chunk whose rows all weigh 0 adds nothing to the loss but still counts for accuracy
      const loss_result r = softmax_cross_entropy<T>(logits, count, classes, chunk_labels,
                                                     weight > 0 ? class_weights : std::span<const T>(), nullptr);
      weighted_loss += weight > 0 ? r.loss * weight : 0.0;
      total_weight += weight;
      correct += r.correct;
    }
    return {weighted_loss / total_weight, double(correct) / double(n), n};
  }

 private:
  static constexpr std::size_t predict_chunk = 32;
  using buffer = std::vector<T, xsimd::aligned_allocator<T, 64>>;

  template <class F>
  static void for_each_layer(F&& fn) {
    [&]<std::size_t... I>(std::index_sequence<I...>) { (fn.template operator()<I>(), ...); }(indices{});
  }

  detail::context<T> context(bool training = false) {
    const std::size_t stride = detail::align_up(max_of(per_worker));
    const std::size_t need = stride * pool_->size() + max_of(shared);
    if (scratch_.size() < need) scratch_.assign(need, T(0));
    return {*pool_, scratch_.data(), stride, scratch_.data() + stride * pool_->size(), training, step_seed_};
  }

  std::size_t check_images(const xt::xtensor<T, 4>& images, const char* who) const {
    const auto& s = images.shape();
    if (s[1] != input_shape::height || s[2] != input_shape::width || s[3] != input_shape::channels)
      throw invalid_argument(std::string(who) + ": images are " + std::to_string(s[1]) + "x" + std::to_string(s[2]) +
                             "x" + std::to_string(s[3]) + " but the network takes " +
                             std::to_string(input_shape::height) + "x" + std::to_string(input_shape::width) + "x" +
                             std::to_string(input_shape::channels) + " (N x H x W x C)");
    return s[0];
  }

  std::size_t check_batch(const xt::xtensor<T, 4>& images, std::span<const std::size_t> labels,
                          std::span<const T> class_weights, const char* who) const {
    const std::size_t rows = check_images(images, who), n = labels.size();
    if (n == 0) throw invalid_argument(std::string(who) + ": empty batch (no labels)");
    if (n > rows)
      throw invalid_argument(std::string(who) + ": " + std::to_string(n) + " labels for " + std::to_string(rows) + " images");
    for (std::size_t i = 0; i < n; ++i)
      if (labels[i] >= classes)
        throw invalid_argument(std::string(who) + ": label " + std::to_string(labels[i]) + " at row " + std::to_string(i) +
                               " is not a class id (the network has " + std::to_string(classes) + " classes)");
    if (!class_weights.empty()) {
      if (class_weights.size() != classes)
        throw invalid_argument(std::string(who) + ": " + std::to_string(class_weights.size()) + " class weights for " +
                               std::to_string(classes) + " classes");
      for (std::size_t k = 0; k < classes; ++k)
        if (!(class_weights[k] >= 0) || !std::isfinite(class_weights[k]))
          throw invalid_argument(std::string(who) + ": class weight " + std::to_string(k) + " must be finite and >= 0");
      double sum = 0;
      for (std::size_t i = 0; i < n; ++i) sum += class_weights[labels[i]];
      if (!(sum > 0)) throw invalid_argument(std::string(who) + ": every row of the batch has class weight 0");
    }
    return n;
  }

  // Inference through two ping-pong buffers; returns the logits.
  const T* infer(const T* images, std::size_t n) {
    const std::size_t largest = largest_stored * predict_chunk;
    if (ping_.size() < largest) ping_.assign(largest, T(0)), pong_.assign(largest, T(0));
    const detail::context<T> ctx = context();
    const T* in = images;
    T* spare[2] = {ping_.data(), pong_.data()};
    std::size_t next = 0;
    for_each_layer([&]<std::size_t I>() {
      if constexpr (fused[I]) {
        T* out = spare[next];
        next ^= 1;
        fused_pass<I>::forward(ctx, weights_ptr<I>(), biases_ptr<I>(), in, out, nullptr, n);
        in = out;
        return;
      } else if constexpr (inside_fused(I)) {
        return;
      }
      T* out;
      if (in_place[I] && I > 0) {
        out = const_cast<T*>(in);  // our own buffer: the previous layer's output
      } else {
        out = spare[next];
        next ^= 1;
        if (in_place[I]) std::copy_n(in, n * input_sizes[I], out);  // never write into the caller's images
      }
      layer<I>::forward(ctx, weights_ptr<I>(), biases_ptr<I>(), in, out, n);
      in = out;
    });
    return in;
  }

  template <std::size_t I>
  const T* weights_ptr() const { return parameters_.data() + weight_layout.first[I]; }
  template <std::size_t I>
  const T* biases_ptr() const { return parameters_.data() + bias_layout.first[I]; }

  void reserve_training(std::size_t n) {
    if (n <= reserved_) return;
    std::size_t total = 0, positions = 0;
    for (std::size_t i = 0; i < depth; ++i) {
      activation_offsets_[i] = (in_place[i] && i > 0) ? activation_offsets_[i - 1] : total;
      // a fused conv's own output is never stored; its pool keeps the window positions
      if (!(in_place[i] && i > 0) && !fused[i]) total += detail::align_up(n * output_sizes[i]);
      position_offsets_[i] = positions;
      if (fused[i]) positions += n * output_sizes[i + 1];
    }
    activations_.assign(total, T(0));
    positions_.assign(positions, 0);
    grad_a_.assign(largest_stored * n, T(0));
    grad_b_.assign(grad_a_.size(), T(0));
    reserved_ = n;
  }
  T* activation_out(std::size_t i) { return activations_.data() + activation_offsets_[i]; }
  std::uint8_t* positions_of(std::size_t i) { return positions_.data() + position_offsets_[i]; }

  void forward_keep(const T* images, std::size_t n) {
    const detail::context<T> ctx = context(true);
    const T* in = images;
    for_each_layer([&]<std::size_t I>() {
      if constexpr (fused[I]) {
        T* out = activation_out(I + 1);
        fused_pass<I>::forward(ctx, weights_ptr<I>(), biases_ptr<I>(), in, out, positions_of(I), n);
        in = out;
        return;
      } else if constexpr (inside_fused(I)) {
        return;  // the relu works in place: its output is the pool's
      }
      T* out = activation_out(I);
      if (I == 0 && in_place[I]) std::copy_n(in, n * input_sizes[I], out);
      layer<I>::forward(ctx, weights_ptr<I>(), biases_ptr<I>(), in_place[I] ? out : in, out, n);
      in = out;
    });
  }

  void backward(const T* images, std::size_t n) {
    const detail::context<T> ctx = context(true);
    T* d = grad_a_.data();
    T* other = grad_b_.data();
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (backward_layer<depth - 1 - I>(ctx, images, n, d, other), ...);
    }(indices{});
  }

  template <std::size_t I>
  void backward_layer(const detail::context<T>& ctx, const T* images, std::size_t n, T*& d, T*& other) {
    if constexpr ((I == 0 && weight_counts[I] == 0) || inside_fused(I)) {
      return;  // nothing to learn and no input gradient wanted, or done by the fused pass
    } else if constexpr (fused[I]) {
      fused_pass<I>::backward(ctx, weights_ptr<I>(), I == 0 ? images : activation_out(I - 1), activation_out(I + 1),
                              positions_of(I), d, I == 0 ? nullptr : other, gradients_.data() + weight_layout.first[I],
                              gradients_.data() + bias_layout.first[I], n);
      std::swap(d, other);
    } else {
      const T* in = I == 0 ? (in_place[I] ? activation_out(0) : images) : activation_out(I - 1);
      T* d_in = I == 0 ? nullptr : (in_place[I] ? d : other);
      layer<I>::backward(ctx, weights_ptr<I>(), in, activation_out(I), d, d_in,
                         gradients_.data() + weight_layout.first[I], gradients_.data() + bias_layout.first[I], n);
      if (!in_place[I]) std::swap(d, other);
    }
  }

  std::unique_ptr<thread_pool> pool_;
  buffer parameters_, gradients_;
  buffer activations_, grad_a_, grad_b_, ping_, pong_, scratch_;
  std::vector<std::uint8_t> positions_;
  std::array<std::size_t, depth> activation_offsets_{}, position_offsets_{};
  std::size_t reserved_ = 0;
  std::uint64_t step_seed_ = 0;
};

template <class Input, class... Layers>
using network = basic_network<float, Input, Layers...>;

// The RTK network (Rateke, Justen, von Wangenheim 2019): 16 x 16 x 64 = 16384 features into dense 128.
template <std::size_t Classes, class T = float>
using rtk_net = basic_network<T, input<128, 128, 3>,
                              conv2d<32, 3>, maxpool2d<2>, relu, conv2d<32, 3>, maxpool2d<2>, relu,
                              conv2d<64, 3>, maxpool2d<2>, relu, flatten, dense<128>, relu, dense<Classes>>;

// The RTK convolutions with a global-average-pooling head instead of the 16384-wide dense
// layer: 28,640 + 65*Classes parameters instead of 2.1 million, for small data sets.
template <std::size_t Classes, class T = float>
using gap_net = basic_network<T, input<128, 128, 3>,
                              conv2d<32, 3>, maxpool2d<2>, relu, conv2d<32, 3>, maxpool2d<2>, relu,
                              conv2d<64, 3>, maxpool2d<2>, relu, global_avg_pool, dense<Classes>>;

// The RTK network with dropout before each dense layer (half of the flattened features, a
// quarter of the hidden ones), for small data sets.
template <std::size_t Classes, class T = float>
using rtk_dropout_net = basic_network<T, input<128, 128, 3>,
                                      conv2d<32, 3>, maxpool2d<2>, relu, conv2d<32, 3>, maxpool2d<2>, relu,
                                      conv2d<64, 3>, maxpool2d<2>, relu, flatten, dropout<500>, dense<128>, relu,
                                      dropout<250>, dense<Classes>>;

}  // namespace tarmac::nn
