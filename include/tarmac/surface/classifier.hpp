#pragma once
// A trained model behind one run-time type: whichever compiled network a model file holds
// (RTK or GAP head, 2 to 6 classes), with its classes and preprocessing. Tools and the
// cascade load files without knowing their architecture in advance.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <xtensor/xtensor.hpp>

#include "tarmac/core/error.hpp"
#include "tarmac/core/thread_pool.hpp"
#include "tarmac/image/roi.hpp"
#include "tarmac/image/tensor.hpp"
#include "tarmac/nn/network.hpp"
#include "tarmac/surface/model_file.hpp"

namespace tarmac::surface {

// The compiled networks a loader chooses among, in order.
template <class... Nets>
struct network_list {};

using default_networks =
    network_list<nn::rtk_net<2>, nn::rtk_net<3>, nn::rtk_net<4>, nn::rtk_net<5>, nn::rtk_net<6>,
                 nn::gap_net<2>, nn::gap_net<3>, nn::gap_net<4>, nn::gap_net<5>, nn::gap_net<6>>;

// Whole frames as a model's input batch: each frame's ROI, resized to the input size.
inline xt::xtensor<float, 4> preprocess(const std::vector<cv::Mat>& frames, const image::roi_rule& roi, image::input_size input) {
  xt::xtensor<float, 4> batch =
      xt::empty<float>({frames.size(), std::size_t(input.height), std::size_t(input.width), std::size_t(3)});
  for (std::size_t i = 0; i < frames.size(); ++i) {
    cv::Mat region;
    try {
      region = image::crop_roi(frames[i], roi);
    } catch (const invalid_argument& e) {  // which of the caller's images was too small
      throw invalid_argument("image " + std::to_string(i) + ": " + e.what());
    }
    image::to_tensor_into(region, batch, i);
  }
  return batch;
}

class classifier {
 public:
  template <class Net>
  classifier(std::unique_ptr<Net> net, model_metadata meta)
      : model_(std::make_unique<holder<Net>>(std::move(net))), meta_(std::move(meta)) {
    if (meta_.classes.size() != Net::classes)
      throw invalid_argument("classifier: " + std::to_string(meta_.classes.size()) + " class names for a network with " +
                             std::to_string(Net::classes) + " outputs");
  }

  const std::vector<class_info>& classes() const { return meta_.classes; }
  const model_metadata& metadata() const { return meta_; }
  const image::roi_rule& roi() const { return meta_.roi; }
  image::input_size input() const { return model_->input(); }
  const std::string& architecture() const { return model_->architecture(); }
  std::size_t threads() const { return model_->threads(); }

  // Probabilities (N x classes) of preprocessed inputs (N x H x W x 3, see image::to_tensor).
  xt::xtensor<float, 2> predict(const xt::xtensor<float, 4>& inputs) { return model_->predict(inputs); }

  // Probabilities of whole frames: ROI crop and resize as the model was trained.
  xt::xtensor<float, 2> predict(const std::vector<cv::Mat>& frames) {
    if (frames.empty()) throw invalid_argument("classifier::predict: no frames");
    return predict(preprocess(frames, roi(), input()));
  }

 private:
  struct model {
    virtual ~model() = default;
    virtual xt::xtensor<float, 2> predict(const xt::xtensor<float, 4>& inputs) = 0;
    virtual image::input_size input() const = 0;
    virtual const std::string& architecture() const = 0;
    virtual std::size_t threads() const = 0;
  };

  template <class Net>
  struct holder final : model {
    explicit holder(std::unique_ptr<Net> n) : net(std::move(n)) {
      for (const nn::layer_spec& l : Net::architecture()) {  // kinds and arguments: "conv2d<32, 3> maxpool2d<2> ..."
        const std::string full = l.to_string();
        summary += (summary.empty() ? "" : " ") + full.substr(0, full.find(" -> "));
      }
    }
    xt::xtensor<float, 2> predict(const xt::xtensor<float, 4>& inputs) override { return net->predict(inputs); }
    image::input_size input() const override {
      return {int(Net::input_shape::width), int(Net::input_shape::height)};
    }
    const std::string& architecture() const override { return summary; }
    std::size_t threads() const override { return net->threads(); }
    std::unique_ptr<Net> net;
    std::string summary;
  };

  std::unique_ptr<model> model_;
  model_metadata meta_;
};

// Loads a model file into whichever network of Networks it describes, running on `pool` (shared
// with the caller's other networks). A file that is damaged, of another format version, or of an
// architecture none of them has is a format_error saying so.
template <class Networks = default_networks>
classifier load_classifier(const std::filesystem::path& path, std::shared_ptr<thread_pool> pool) {
  const nn::parameter_file file(path);
  return [&]<class... Nets>(network_list<Nets...>) {
    std::unique_ptr<classifier> loaded;
    const auto try_one = [&]<class Net>(std::type_identity<Net>) {
      if (loaded || !file.describes<Net>()) return;
      auto net = std::make_unique<Net>(nn::network_options{.init = nn::init_scheme::zeros, .pool = pool});
      model_metadata meta = detail::read_model(file, *net);
      loaded = std::make_unique<classifier>(std::move(net), std::move(meta));
    };
    (try_one(std::type_identity<Nets>{}), ...);
    if (!loaded) {
      std::string found;
      for (const nn::layer_spec& l : file.architecture()) found += (found.empty() ? "" : ", ") + l.to_string();
      throw format_error(file.where() + "its architecture (" + found +
                         ") is none of the networks this build knows (RTK or GAP head, 2 to 6 classes, 128x128x3 input)");
    }
    return std::move(*loaded);
  }(Networks{});
}

// The same on a pool of its own of `threads` threads (0 = hardware concurrency).
template <class Networks = default_networks>
classifier load_classifier(const std::filesystem::path& path, std::size_t threads = 0) {
  return load_classifier<Networks>(path, std::make_shared<thread_pool>(threads));
}

#ifdef TARMAC_COMPILED_NETWORKS
// This project's programs link these from one object (src/compiled_networks.cpp, CMake target
// tarmac_compiled_networks) instead of compiling the ten networks in each of them.
extern template classifier load_classifier<default_networks>(const std::filesystem::path&, std::shared_ptr<thread_pool>);
extern template classifier load_classifier<default_networks>(const std::filesystem::path&, std::size_t);
#endif

}  // namespace tarmac::surface
