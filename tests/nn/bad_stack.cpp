// Compiled by test_nn_bad_stack_*: each TARMAC_BAD_STACK value is a wrong layer stack that must
// fail to compile with a diagnostic naming the problem and the shape.
#include <tarmac/nn/network.hpp>

using namespace tarmac::nn;

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
#endif

int main() { return static_cast<int>(net::parameter_count); }
