// Compiled by test_nn_bad_stack_*: each TARMAC_BAD_STACK value is a wrong layer stack that must
// fail to compile with its static_assert's sentence and the named problem in the first lines.
#include <tarmac/nn/network.hpp>

using namespace tarmac::nn;

// Layers that break the protocol (tarmac/nn/layer.hpp) in one way each.
struct not_a_layer {};
struct no_backward {
  template <class In, class T>
  struct bind : layer_defaults {
    using out_shape = In;
    static layer_spec spec() { return {}; }
    static void forward(const context<T>&, const T*, const T*, const T*, T*, std::size_t) {}
  };
};
struct biases_only {
  template <class In, class T>
  struct bind : no_backward::bind<In, T> {
    static constexpr std::size_t bias_count = 4;
    static void backward(const context<T>&, const T*, const T*, const T*, const T*, T*, T*, T*, std::size_t) {}
  };
};

#if TARMAC_BAD_STACK == 1
using net = network<input<3, 1, 8>, maxpool2d<2>, flatten, dense<2>>;  // window wider than the input
#elif TARMAC_BAD_STACK == 2
using net = network<input<4, 4, 3>, conv2d<8, 3>, dense<2>>;  // dense on an image
#elif TARMAC_BAD_STACK == 3
using net = network<input<4, 4, 3>, conv2d<8, 3>, flatten, dense<1>>;  // one class
#elif TARMAC_BAD_STACK == 4
using net = network<input<4, 4, 3>, conv2d<8, 2>, flatten, dense<2>>;  // even kernel
#elif TARMAC_BAD_STACK == 5
using net = network<input<20, 20, 3>, maxpool2d<17>, flatten, dense<2>>;  // positions would not fit a byte
#elif TARMAC_BAD_STACK == 6
using net = network<input<4, 4, 3>, conv2d<8, 3>, not_a_layer, flatten, dense<2>>;  // no bind<In, T>
#elif TARMAC_BAD_STACK == 7
using net = network<input<4, 4, 3>, conv2d<8, 3>, relu, no_backward, flatten, dense<2>>;  // no backward pass
#elif TARMAC_BAD_STACK == 8
using net = network<input<4, 4, 3>, biases_only, flatten, dense<2>>;  // biases without weights
#endif

int main() { return static_cast<int>(net::parameter_count); }
