#pragma once
// Per-sample tensor shapes as types (height x width x channels, NHWC), and the trick that makes a
// bad layer stack fail to compile with its sentence and the offending shape in the first lines:
// static_assert(diagnosed<Ok, maxpool2d_window_larger_than_input<shape<3, 1, 64>>>, "sentence")
// prints the sentence, then that diagnosed<false, ...> (the shape spelled out) evaluates to false.
#include <array>
#include <cstddef>
#include <string>
#include <vector>

namespace tarmac::nn {

template <std::size_t Height, std::size_t Width, std::size_t Channels>
struct shape {
  static constexpr std::size_t height = Height, width = Width, channels = Channels;
  static constexpr std::size_t size = Height * Width * Channels;
};

// The network's input: images of Height x Width x Channels (NHWC, BGR, floats in [0, 1]).
template <std::size_t Height, std::size_t Width, std::size_t Channels>
struct input : shape<Height, Width, Channels> {
  static_assert(Height > 0 && Width > 0 && Channels > 0, "input<H, W, C>: every dimension must be positive");
};

template <class Shape>
inline constexpr bool is_flat = Shape::height == 1 && Shape::width == 1;

template <class S>
inline constexpr bool is_shape = false;
template <std::size_t Height, std::size_t Width, std::size_t Channels>
inline constexpr bool is_shape<shape<Height, Width, Channels>> = true;

// Ok, with Diagnostic (a type named after the problem, never defined) for the compiler to print.
template <bool Ok, class Diagnostic>
inline constexpr bool diagnosed = Ok;

// What a layer is, for model files and messages: its kind, its template arguments, its output shape.
struct layer_spec {
  std::string kind;
  std::vector<std::size_t> arguments;
  std::array<std::size_t, 3> output{};

  friend bool operator==(const layer_spec&, const layer_spec&) = default;

  std::string to_string() const {
    std::string s = kind;
    if (!arguments.empty()) {
      s += '<';
      for (std::size_t i = 0; i < arguments.size(); ++i) s += (i ? ", " : "") + std::to_string(arguments[i]);
      s += '>';
    }
    return s + " -> " + std::to_string(output[0]) + "x" + std::to_string(output[1]) + "x" + std::to_string(output[2]);
  }
};

}  // namespace tarmac::nn
