// The run-time network family (surface::default_networks: RTK and GAP heads, 2 to 6 classes,
// forward passes and model-file loading), instantiated once for this project's tools, tests
// and Python module: each program that loads a model or cascade otherwise compiled all ten
// networks again. Not installed: the headers alone still instantiate it in users' programs.
#include "tarmac/surface/classifier.hpp"

namespace tarmac::surface {

template classifier load_classifier<default_networks>(const std::filesystem::path&, std::shared_ptr<thread_pool>);
template classifier load_classifier<default_networks>(const std::filesystem::path&, std::size_t);

}  // namespace tarmac::surface
