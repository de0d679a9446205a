#pragma once
// A network is a type: basic_network<Scalar, input<H, W, C>, layers...> (network<...> for float).
// Every layer is checked against the layer protocol (layer.hpp). Shapes, parameter counts and
// offsets are compile-time constants; only the batch size is a run-time value. All parameters
// live in one aligned buffer (weights of every layer, then biases of every layer), gradients in a
// second one of the same layout. Activations, gradients and scratch memory are allocated on the
// first call for a batch size and reused after it. Layers that fuse (fusion<A, B, C>, such as
// conv2d -> maxpool2d -> relu in layers/fused.hpp) run as one pass.
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
#include "tarmac/nn/context.hpp"
#include "tarmac/nn/init.hpp"
#include "tarmac/nn/layer.hpp"
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
  std::size_t threads = 0;  // 0 = hardware concurrency; with `pool`, 0 or the pool's size
  init_scheme init = init_scheme::rtk;
  std::uint64_t seed = 0;
  // A pool shared with other networks (a cascade's four); null: the network makes its own of
  // `threads` threads. Networks hold it by shared ownership, so it lives as long as the last of
  // them. It runs one pass at a time: a pass called from another thread waits for the running one.
  std::shared_ptr<thread_pool> pool = nullptr;
};

struct step_result {
  double loss = 0;
  double accuracy = 0;  // fraction of rows whose arg-max is the label
  std::size_t count = 0;
};

namespace detail {
// The layers bound one after another, each checked against the protocol at its position.
template <class T, std::size_t Position, class In, class... Layers>
struct bind_chain {
  using type = std::tuple<>;
  using output = In;
};
template <class T, std::size_t Position, class In, class L, class... Rest>
struct bind_chain<T, Position, In, L, Rest...> {
  using layer = typename check_layer<Position, L, In, T>::type;
  using next = bind_chain<T, Position + 1, typename layer::out_shape, Rest...>;
  using type = decltype(std::tuple_cat(std::declval<std::tuple<layer>>(), std::declval<typename next::type>()));
  using output = typename next::output;
};
}  // namespace detail

template <class T, class Input, class... Layers>
class basic_network {
  static_assert(std::is_floating_point_v<T>, "basic_network<T, ...>: T must be float or double");
  static_assert(sizeof...(Layers) > 0, "a network needs at least one layer");
  using chain = detail::bind_chain<T, 0, shape<Input::height, Input::width, Input::channels>, Layers...>;
  // at<I>: layer I bound to its input; unbound<I>: layer I as the network was written.
  template <std::size_t I>
  using at = std::tuple_element_t<I, typename chain::type>;
  template <std::size_t I>
  using unbound = std::tuple_element_t<I, std::tuple<Layers...>>;
  static constexpr std::size_t depth = sizeof...(Layers);
  using indices = std::make_index_sequence<depth>;

  template <std::size_t... I>
  static constexpr auto collect(std::index_sequence<I...>, auto field) {
    return std::array{field(std::type_identity<at<I>>{})...};
  }
  static constexpr auto weight_counts = collect(indices{}, [](auto l) { return decltype(l)::type::weight_count; });
  static constexpr auto bias_counts = collect(indices{}, [](auto l) { return decltype(l)::type::bias_count; });
  static constexpr auto output_sizes = collect(indices{}, [](auto l) { return decltype(l)::type::out_shape::size; });
  static constexpr auto input_sizes = [] {
    std::array<std::size_t, depth> in{Input::size};
    for (std::size_t i = 1; i < depth; ++i) in[i] = output_sizes[i - 1];
    return in;
  }();
  static constexpr auto in_place = collect(indices{}, [](auto l) { return std::size_t{decltype(l)::type::in_place}; });

  // fused[i]: layers i, i + 1, i + 2 run as one pass (fusion<...>), leftmost triples first.
  template <std::size_t I>
  static constexpr bool fuses_at() {
    if constexpr (I + 2 < depth) return fuses_with<unbound<I>, unbound<I + 1>, unbound<I + 2>>;
    else return false;
  }
  static constexpr auto fused = []<std::size_t... I>(std::index_sequence<I...>) {
    std::array<bool, depth> head{fuses_at<I>()...};
    for (std::size_t i = 0; i < depth; ++i) head[i] = head[i] && !(i >= 1 && head[i - 1]) && !(i >= 2 && head[i - 2]);
    return head;
  }(indices{});
  // Run by their triple's first layer: the second and third layers of a fused triple.
  static constexpr bool inside_fused(std::size_t i) { return (i >= 1 && fused[i - 1]) || (i >= 2 && fused[i - 2]); }
  // Outputs never stored: the first and second layers' of a fused triple.
  static constexpr bool unstored(std::size_t i) { return fused[i] || (i >= 1 && fused[i - 1]); }
  // Layers that write over their input's buffer (a fused triple's output has its own).
  static constexpr bool aliased(std::size_t i) { return in_place[i] && i > 0 && !unstored(i) && !(i >= 2 && fused[i - 2]); }
  template <std::size_t I>
  using pass_at = typename fusion<unbound<I>, unbound<I + 1>, unbound<I + 2>>::template pass<T, at<I>, at<I + 1>, at<I + 2>>;
  template <std::size_t I>
  static constexpr auto scratch_of() {
    if constexpr (fused[I]) {
      static_assert(fused_pass<pass_at<I>, T>,
                    "a fusion's pass must have the members of nn::fused_pass (see tarmac/nn/layer.hpp)");
      static_assert(weight_counts[I + 1] + bias_counts[I + 1] + weight_counts[I + 2] + bias_counts[I + 2] == 0,
                    "only the first layer of a fused triple may have parameters");
      return std::array{pass_at<I>::scratch_per_worker, pass_at<I>::scratch_shared, pass_at<I>::saved_per_sample};
    } else {
      return std::array<std::size_t, 3>{at<I>::scratch_per_worker, at<I>::scratch_shared, 0};
    }
  }
  // Per layer: scratch per worker, shared scratch, bytes per sample a fused pass keeps.
  static constexpr auto scratch = []<std::size_t... I>(std::index_sequence<I...>) {
    return std::array{scratch_of<I>()...};
  }(indices{});
  static constexpr auto scratch_column(std::size_t column) {
    std::array<std::size_t, depth> out{};
    for (std::size_t i = 0; i < depth; ++i) out[i] = scratch[i][column];
    return out;
  }
  static constexpr auto per_worker = scratch_column(0), shared = scratch_column(1), saved_per_sample = scratch_column(2);
  // The largest layer output ever stored: it sizes the inference buffers and the gradient
  // buffers, whose largest d_in is some stored layer's output too.
  static constexpr std::size_t largest_stored = [] {
    std::size_t largest = 0;
    for (std::size_t i = 0; i < depth; ++i)
      if (!unstored(i)) largest = std::max(largest, output_sizes[i]);
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

  static_assert(diagnosed<is_flat<output_shape> && output_shape::size >= 2,
                          network_output_must_be_flat_with_two_or_more_classes<output_shape>>,
                "the last layer must give 1 x 1 x Classes with Classes >= 2: end the network with dense<Classes>");

  static constexpr std::size_t classes = output_shape::size;
  static constexpr std::size_t layer_count = depth;
  static constexpr std::size_t parameter_count = [] {
    std::size_t n = 0;
    for (std::size_t i = 0; i < depth; ++i) n += weight_counts[i] + bias_counts[i];
    return n;
  }();
  // Multiply-adds of one image's forward pass, times 2, of the layers with weights and biases
  // (conv2d, dense: each weight is used once per output value of its bias).
  static constexpr std::size_t forward_flops = [] {
    std::size_t n = 0;
    for (std::size_t i = 0; i < depth; ++i)
      if (weight_counts[i] && bias_counts[i]) n += 2 * weight_counts[i] * (output_sizes[i] / bias_counts[i]);
    return n;
  }();

  explicit basic_network(network_options options = {})
      : pool_(pool_for(options)), own_pool_(!options.pool), parameters_(bias_layout.second, T(0)),
        gradients_(bias_layout.second, T(0)) {
    initialise(options.init, options.seed);
    step_seed_ = options.seed;
  }
  // A copy of a network with its own pool gets its own pool; a copy of one sharing a pool shares it.
  basic_network(const basic_network& other)
      : pool_(other.own_pool_ ? std::make_shared<thread_pool>(other.pool_->size()) : other.pool_),
        own_pool_(other.own_pool_), parameters_(other.parameters_), gradients_(other.gradients_),
        step_seed_(other.step_seed_) {}
  basic_network& operator=(const basic_network& other) {
    parameters_ = other.parameters_;
    gradients_ = other.gradients_;
    step_seed_ = other.step_seed_;
    return *this;
  }
  basic_network(basic_network&&) noexcept = default;
  basic_network& operator=(basic_network&&) noexcept = default;

  std::size_t threads() const { return pool_->size(); }
  // The pool this network runs on: give it to other networks to share it (network_options::pool).
  const std::shared_ptr<thread_pool>& pool() const { return pool_; }

  void initialise(init_scheme scheme, std::uint64_t seed) {
    init_engine engine(seed);
    for_each_layer([&]<std::size_t I>() { at<I>::init(weights<I>(), biases<I>(), scheme, engine); });
  }

  // The compiled architecture, one entry per layer (kinds, arguments, output shapes).
  static std::vector<layer_spec> architecture() {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return std::vector<layer_spec>{at<I>::spec()...};
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
        fn(I, std::string("weights"), at<I>::weight_shape(), weights<I>());
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

  // Forward and backward on the first labels.size() images: fills gradients(), returns the loss
  // (softmax cross-entropy, rows weighted by class_weights when given, or `loss`) and accuracy.
  step_result loss_and_gradient(const xt::xtensor<T, 4>& images, std::span<const std::size_t> labels,
                                std::span<const T> class_weights = {}) {
    return loss_and_gradient(images, labels, cross_entropy<T>{class_weights});
  }
  template <class Loss>
    requires loss_for<Loss, T>
  step_result loss_and_gradient(const xt::xtensor<T, 4>& images, std::span<const std::size_t> labels, const Loss& loss) {
    const std::size_t n = check_batch(images, labels, loss, "loss_and_gradient");
    reserve_training(n);
    forward_keep(images.data(), n);
    const T* logits = activation_out(depth - 1);
    const loss_value v = loss.evaluate(std::span<const T>(logits, n * classes), labels, classes,
                                       std::span<T>(grad_a_.data(), n * classes));
    if (!std::isfinite(v.mean))
      throw error("loss_and_gradient: the loss is not finite (" + std::to_string(v.mean) +
                  "): non-finite inputs or diverged parameters (learning rate too high?)");
    backward(images.data(), n);
    return {v.mean, double(correct(logits, labels)) / double(n), n};
  }

  // One optimisation step on a batch: loss and accuracy are those before the update. On a
  // non-finite loss nothing is updated and tarmac::error is thrown.
  template <class Optimiser>
    requires optimiser_for<Optimiser, T>
  step_result train_step(const xt::xtensor<T, 4>& images, std::span<const std::size_t> labels, Optimiser& optimiser,
                         std::span<const T> class_weights = {}) {
    return train_step(images, labels, cross_entropy<T>{class_weights}, optimiser);
  }
  template <class Loss, class Optimiser>
    requires loss_for<Loss, T> && optimiser_for<Optimiser, T>
  step_result train_step(const xt::xtensor<T, 4>& images, std::span<const std::size_t> labels, const Loss& loss,
                         Optimiser& optimiser) {
    const step_result r = loss_and_gradient(images, labels, loss);
    optimiser.step(std::span<T>(parameters_), std::span<const T>(gradients_), bias_layout.first[0], *pool_);
    step_seed_ = step_seed_ * 6364136223846793005ull + 1442695040888963407ull;  // the next step's dropout draws
    return r;
  }

  // Loss and accuracy without gradients (validation), in chunks of at most 32 images.
  step_result evaluate(const xt::xtensor<T, 4>& images, std::span<const std::size_t> labels,
                       std::span<const T> class_weights = {}) {
    return evaluate(images, labels, cross_entropy<T>{class_weights});
  }
  template <class Loss>
    requires loss_for<Loss, T>
  step_result evaluate(const xt::xtensor<T, 4>& images, std::span<const std::size_t> labels, const Loss& loss) {
    const std::size_t n = check_batch(images, labels, loss, "evaluate");
    double weighted_loss = 0, total_weight = 0;
    std::size_t right = 0;
    for (std::size_t first = 0; first < n; first += predict_chunk) {
      const std::size_t count = std::min(predict_chunk, n - first);
      const auto chunk_labels = labels.subspan(first, count);
      const T* logits = infer(images.data() + first * input_shape::size, count);
      // a chunk whose rows all weigh 0 adds nothing to the loss but still counts for accuracy
      const loss_value v = loss.evaluate(std::span<const T>(logits, count * classes), chunk_labels, classes, {});
      weighted_loss += v.weight > 0 ? v.mean * v.weight : 0.0;
      total_weight += v.weight;
      right += correct(logits, chunk_labels);
    }
    return {weighted_loss / total_weight, double(right) / double(n), n};
  }

 private:
  static constexpr std::size_t predict_chunk = 32;
  using buffer = std::vector<T, xsimd::aligned_allocator<T, 64>>;

  template <class F>
  static void for_each_layer(F&& fn) {
    [&]<std::size_t... I>(std::index_sequence<I...>) { (fn.template operator()<I>(), ...); }(indices{});
  }

  static std::shared_ptr<thread_pool> pool_for(const network_options& options) {
    if (!options.pool) return std::make_shared<thread_pool>(options.threads);
    if (options.threads && options.threads != options.pool->size())
      throw invalid_argument("network_options: threads = " + std::to_string(options.threads) + " but the shared pool has " +
                             std::to_string(options.pool->size()) + " threads (give one or the other)");
    return options.pool;
  }

  nn::context<T> context(bool training = false) {
    const std::size_t stride = detail::align_up(max_of(per_worker));
    const std::size_t need = stride * pool_->size() + max_of(shared);
    if (scratch_.size() < need) scratch_.assign(need, T(0));
    return {*pool_, scratch_.data(), stride, scratch_.data() + stride * pool_->size(), training, step_seed_};
  }

  // Rows whose largest logit (the first one on ties) is the label.
  static std::size_t correct(const T* logits, std::span<const std::size_t> labels) {
    std::size_t right = 0;
    for (std::size_t r = 0; r < labels.size(); ++r) {
      const T* z = logits + r * classes;
      right += static_cast<std::size_t>(std::max_element(z, z + classes) - z) == labels[r];
    }
    return right;
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

  template <class Loss>
  std::size_t check_batch(const xt::xtensor<T, 4>& images, std::span<const std::size_t> labels, const Loss& loss,
                          const char* who) const {
    const std::size_t rows = check_images(images, who), n = labels.size();
    if (n == 0) throw invalid_argument(std::string(who) + ": empty batch (no labels)");
    if (n > rows)
      throw invalid_argument(std::string(who) + ": " + std::to_string(n) + " labels for " + std::to_string(rows) + " images");
    for (std::size_t i = 0; i < n; ++i)
      if (labels[i] >= classes)
        throw invalid_argument(std::string(who) + ": label " + std::to_string(labels[i]) + " at row " + std::to_string(i) +
                               " is not a class id (the network has " + std::to_string(classes) + " classes)");
    loss.check(labels, classes, who);
    return n;
  }

  // Inference through two ping-pong buffers; returns the logits.
  const T* infer(const T* images, std::size_t n) {
    const std::size_t largest = largest_stored * predict_chunk;
    if (ping_.size() < largest) ping_.assign(largest, T(0)), pong_.assign(largest, T(0));
    const nn::context<T> ctx = context();
    const T* in = images;
    T* spare[2] = {ping_.data(), pong_.data()};
    std::size_t next = 0;
    for_each_layer([&]<std::size_t I>() {
      if constexpr (inside_fused(I)) return;
      T* out;
      if (aliased(I)) {
        out = const_cast<T*>(in);  // our own buffer: the previous layer's output
      } else {
        out = spare[next];
        next ^= 1;
        if (in_place[I] && !fused[I]) std::copy_n(in, n * input_sizes[I], out);  // never write into the caller's images
      }
      if constexpr (fused[I]) pass_at<I>::forward(ctx, weights_ptr<I>(), biases_ptr<I>(), in, out, nullptr, n);
      else at<I>::forward(ctx, weights_ptr<I>(), biases_ptr<I>(), in, out, n);
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
    std::size_t total = 0, saved = 0;
    for (std::size_t i = 0; i < depth; ++i) {
      activation_offsets_[i] = aliased(i) ? activation_offsets_[i - 1] : total;
      if (!aliased(i) && !unstored(i)) total += detail::align_up(n * output_sizes[i]);
      saved_offsets_[i] = saved;
      saved += n * saved_per_sample[i];
    }
    activations_.assign(total, T(0));
    saved_.assign(saved, 0);
    grad_a_.assign(largest_stored * n, T(0));
    grad_b_.assign(grad_a_.size(), T(0));
    reserved_ = n;
  }
  T* activation_out(std::size_t i) { return activations_.data() + activation_offsets_[i]; }
  std::uint8_t* saved_of(std::size_t i) { return saved_.data() + saved_offsets_[i]; }
  // Where layer I's output is stored: a fused triple's is its third layer's.
  template <std::size_t I>
  T* stored_out() { return activation_out(fused[I] ? I + 2 : I); }

  void forward_keep(const T* images, std::size_t n) {
    const nn::context<T> ctx = context(true);
    const T* in = images;
    for_each_layer([&]<std::size_t I>() {
      if constexpr (inside_fused(I)) return;
      T* out = stored_out<I>();
      if constexpr (fused[I]) {
        pass_at<I>::forward(ctx, weights_ptr<I>(), biases_ptr<I>(), in, out, saved_of(I), n);
      } else {
        if (I == 0 && in_place[I]) std::copy_n(in, n * input_sizes[I], out);
        at<I>::forward(ctx, weights_ptr<I>(), biases_ptr<I>(), in_place[I] ? out : in, out, n);
      }
      in = out;
    });
  }

  void backward(const T* images, std::size_t n) {
    const nn::context<T> ctx = context(true);
    T* d = grad_a_.data();
    T* other = grad_b_.data();
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (backward_layer<depth - 1 - I>(ctx, images, n, d, other), ...);
    }(indices{});
  }

  template <std::size_t I>
  void backward_layer(const nn::context<T>& ctx, const T* images, std::size_t n, T*& d, T*& other) {
    if constexpr ((I == 0 && weight_counts[I] == 0) || inside_fused(I)) {
      return;  // nothing to learn and no input gradient wanted, or done by the fused pass
    } else {
      T* d_w = gradients_.data() + weight_layout.first[I];
      T* d_b = gradients_.data() + bias_layout.first[I];
      const T* in = I == 0 ? (in_place[I] && !fused[I] ? activation_out(0) : images) : activation_out(I - 1);
      const bool writes_other = !in_place[I] || fused[I];
      T* d_in = I == 0 ? nullptr : (writes_other ? other : d);
      if constexpr (fused[I]) pass_at<I>::backward(ctx, weights_ptr<I>(), in, stored_out<I>(), saved_of(I), d, d_in, d_w, d_b, n);
      else at<I>::backward(ctx, weights_ptr<I>(), in, stored_out<I>(), d, d_in, d_w, d_b, n);
      if (writes_other) std::swap(d, other);
    }
  }

  std::shared_ptr<thread_pool> pool_;
  bool own_pool_ = true;
  buffer parameters_, gradients_;
  buffer activations_, grad_a_, grad_b_, ping_, pong_, scratch_;
  std::vector<std::uint8_t> saved_;
  std::array<std::size_t, depth> activation_offsets_{}, saved_offsets_{};
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
