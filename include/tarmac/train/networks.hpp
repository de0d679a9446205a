#pragma once
// Choosing a compiled network at run time: networks are types with the class count in them
// (nn/network.hpp), so a program that trains on whatever folder it is given instantiates one
// network per class count it supports and picks one by the data.
#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "tarmac/core/error.hpp"
#include "tarmac/nn/io.hpp"
#include "tarmac/nn/network.hpp"

namespace tarmac::train {

// The library's network families (nn::rtk_net, nn::gap_net, nn::rtk_dropout_net).
enum class network_family { rtk, gap, rtk_dropout };

inline constexpr std::size_t min_classes = 2, max_classes = 6;

namespace detail {
template <template <std::size_t, class> class Family, std::size_t K, class R, class F>
R with_classes(std::size_t classes, F& fn) {
  if constexpr (K < max_classes) {
    if (classes != K) return with_classes<Family, K + 1, R>(classes, fn);
  }
  return fn.template operator()<Family<K, float>>();
}
}  // namespace detail

// Calls fn.template operator()<Family<classes, float>>() (e.g. a lambda []<class Net>() {...})
// and returns what it returns; invalid_argument for a class count outside [min_classes,
// max_classes]. Every count instantiates fn once.
template <template <std::size_t, class> class Family, class F>
decltype(auto) with_classes(std::size_t classes, F&& fn) {
  if (classes < min_classes || classes > max_classes)
    throw invalid_argument(std::to_string(classes) + " classes: the networks are compiled for " + std::to_string(min_classes) +
                           " to " + std::to_string(max_classes));
  using result = decltype(fn.template operator()<Family<min_classes, float>>());
  return detail::with_classes<Family, min_classes, result>(classes, fn);
}

// with_classes for the family named at run time.
template <class F>
decltype(auto) with_network(network_family family, std::size_t classes, F&& fn) {
  if (family == network_family::gap) return with_classes<nn::gap_net>(classes, std::forward<F>(fn));
  if (family == network_family::rtk_dropout) return with_classes<nn::rtk_dropout_net>(classes, std::forward<F>(fn));
  return with_classes<nn::rtk_net>(classes, std::forward<F>(fn));
}

// The library's compiled network with this input and architecture (an imported model's, say):
// calls fn.template operator()<Net>() for it and returns what it returns. invalid_argument
// naming the first difference from the family with the most layers in common when none has it.
template <class F>
decltype(auto) with_architecture(const std::vector<std::size_t>& input, const std::vector<nn::layer_spec>& architecture, F&& fn) {
  const std::size_t classes = architecture.empty() ? 0 : architecture.back().output[2];
  if (classes < min_classes || classes > max_classes)
    throw invalid_argument("a network with " + std::to_string(classes) + " outputs: the networks are compiled for " +
                           std::to_string(min_classes) + " to " + std::to_string(max_classes) + " classes");
  std::string closest;
  std::size_t longest = 0;
  for (const auto& [family, name] : {std::pair{network_family::rtk, "rtk_net"}, {network_family::gap, "gap_net"},
                                     {network_family::rtk_dropout, "rtk_dropout_net"}}) {
    const auto [shared, difference] = with_network(family, classes, [&]<class Net>() {
      const auto compiled = Net::architecture();
      std::size_t same = 0;
      for (std::size_t i = 0; i < std::min(compiled.size(), architecture.size()); ++i) same += compiled[i] == architecture[i];
      return std::pair{same, nn::detail::difference_from<Net>(input, architecture)};
    });
    if (!difference) return with_network(family, classes, std::forward<F>(fn));
    if (closest.empty() || shared > longest)
      closest = std::string(name) + "<" + std::to_string(classes) + ">: " + *difference, longest = shared;
  }
  throw invalid_argument("no compiled network has this architecture (closest, " + closest + ")");
}

}  // namespace tarmac::train
