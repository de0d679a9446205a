#pragma once
// The trainer: trains a compiled network (nn/network.hpp) on a folder-per-class data set's
// samples with Adam, one epoch at a time: balance the classes, load and augment the images on
// worker threads, step, score the epoch on the validation items, keep the best parameters, stop
// early or on request. It writes nothing: callbacks see every step, epoch and better checkpoint
// (to print, log or save a model file), and the result says how the run went.
//
//   train::trainer trainer(net, options);
//   trainer.on.epoch = [](const train::epoch_record& r) { ... };
//   trainer.on.checkpoint = [&](const train::epoch_record&, Net& best) { surface::save_model(path, best, meta); };
//   train::result r = trainer.fit(dataset.samples(), split);  // net now holds the best epoch's parameters
#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "tarmac/core/error.hpp"
#include "tarmac/core/stop.hpp"
#include "tarmac/data/dataset.hpp"
#include "tarmac/data/loader.hpp"
#include "tarmac/image/tensor.hpp"
#include "tarmac/nn/metrics.hpp"
#include "tarmac/nn/optimiser.hpp"
#include "tarmac/train/options.hpp"
#include "tarmac/train/records.hpp"
#include "tarmac/train/rules.hpp"

namespace tarmac::train {

// What a run tells its caller, as it happens. Each may be left empty.
template <class Net>
struct callbacks {
  std::function<void(std::size_t epoch, std::size_t images)> epoch_begin;  // before an epoch's first step
  std::function<void(const step_report&)> step;  // after every training step
  std::function<void(const data::skipped_file&)> skipped;  // a file that cannot be used, once, when first met
  std::function<void(const epoch_record&)> epoch;  // after every finished, scored epoch
  // After epoch, when that epoch is better than every one before it (train::better): the
  // network holds its parameters now. Save it here; do not change it.
  std::function<void(const epoch_record&, Net&)> checkpoint;
};

// The (offset, size) of each weight and bias tensor of the given layers in net's parameter
// buffer, layer by layer (for_each_parameter's order): e.g. options::frozen for layers copied
// from another model.
template <class Net>
std::vector<parameter_range> layer_ranges(Net& net, const std::vector<std::size_t>& layers) {
  std::vector<parameter_range> out;
  const auto* first = net.parameters().data();
  net.for_each_parameter([&](std::size_t layer, const std::string&, const std::vector<std::size_t>&, auto values) {
    if (std::find(layers.begin(), layers.end(), layer) != layers.end())
      out.push_back({std::size_t(values.data() - first), values.size()});
  });
  return out;
}

namespace detail {

// What every loader of a run shares: batch size, seed, region of interest, the network's input size.
template <class Net>
data::loader_options loader_options(const options& o) {
  data::loader_options l;
  l.batch_size = o.batch;
  l.threads = o.loader_threads;
  l.seed = o.seed;
  l.roi = o.roi;
  l.input = {int(Net::input_shape::width), int(Net::input_shape::height)};
  return l;
}

// Scores net on items (original views, in order); tta averages each image with its mirror.
template <class Net>
evaluation evaluate(Net& net, const std::vector<data::sample>& samples, const std::vector<std::size_t>& items,
                    data::loader_options options, bool tta) {
  evaluation e;
  e.matrix = nn::confusion_matrix(Net::classes);
  if (items.empty()) return e;
  options.shuffle = false;
  options.view_mode = data::views::original;
  options.augment = {};
  data::batch_loader loader(samples, items, options);
  std::size_t n = 0;
  while (const data::batch* b = loader.next()) {
    auto p = net.predict(b->images);
    if (tta) p = (p + net.predict(image::mirrored(b->images, b->images.shape()[0]))) / 2.0f;
    for (std::size_t i = 0; i < b->size; ++i) {
      std::size_t best = 0;
      for (std::size_t k = 1; k < Net::classes; ++k)
        if (p(i, k) > p(i, best)) best = k;
      e.loss -= std::log(std::max(double(p(i, b->labels[i])), 1e-12));
      e.matrix.add(b->labels[i], best);
      e.predictions.push_back({b->samples[i], best, float(p(i, best))});
      ++n;
    }
  }
  e.loss /= double(std::max<std::size_t>(n, 1));
  e.accuracy = n ? e.matrix.accuracy() : 0.0;
  e.balanced_accuracy = n ? e.matrix.balanced_accuracy() : 0.0;
  return e;
}

inline void save_ranges(std::span<const float> p, const std::vector<parameter_range>& ranges, std::vector<float>& out) {
  out.clear();
  for (const auto& [at, n] : ranges) out.insert(out.end(), p.begin() + std::ptrdiff_t(at), p.begin() + std::ptrdiff_t(at + n));
}

inline void restore_ranges(std::span<float> p, const std::vector<parameter_range>& ranges, const std::vector<float>& saved) {
  std::size_t from = 0;
  for (const auto& [at, n] : ranges) std::copy_n(saved.begin() + std::ptrdiff_t(from), n, p.begin() + std::ptrdiff_t(at)), from += n;
}

}  // namespace detail

// Scores net on items of samples as the trainer validates: o's batch, region of interest and tta.
template <class Net>
evaluation evaluate(Net& net, const std::vector<data::sample>& samples, const std::vector<std::size_t>& items, const options& o) {
  return detail::evaluate(net, samples, items, detail::loader_options<Net>(o), o.tta);
}

template <class Net>
class trainer {
  static_assert(std::is_same_v<typename Net::scalar, float>, "trainer: the loader makes float images: train a float network");
  static_assert(Net::input_shape::channels == 3, "trainer: the loader makes 3-channel (BGR) images: give the network input<H, W, 3>");

 public:
  // net is trained in place and must outlive the trainer.
  trainer(Net& net, options o) : net_(net), options_(std::move(o)) {
    const options& s = options_;
    if (s.batch == 0 || s.loader_threads == 0) throw invalid_argument("trainer: batch and loader_threads must be positive");
    if (s.epochs == 0 && s.iterations == 0) throw invalid_argument("trainer: epochs (or iterations) must be positive");
    for (const parameter_range& r : s.frozen)
      if (r.offset + r.size > net.parameters().size())
        throw invalid_argument("trainer: frozen range [" + std::to_string(r.offset) + ", " + std::to_string(r.offset + r.size) +
                               ") is outside the network's " + std::to_string(net.parameters().size()) + " parameters");
    nn::adam<float>({.learning_rate = s.learning_rate, .weight_decay = s.weight_decay});  // checks the rate and decay now
  }

  callbacks<Net> on;

  // Trains on split.train, scores every epoch on split.validation (without validation items
  // every epoch is the better one: the last is kept), and leaves net holding the best epoch's
  // parameters, which it then scores on test. An epoch cut short by a stop request is neither
  // scored nor reported: it would stand for an epoch that did not happen (a run of
  // options::iterations steps ending inside an epoch is its planned end, and is scored). When
  // no epoch finished (stopped, or no image could be used) epochs_run is 0 and net is as the
  // last step left it.
  result fit(const std::vector<data::sample>& samples, const data::split_indices& split, const std::vector<std::size_t>& test = {}) {
    const options& s = options_;
    const std::vector<std::size_t> counts = check(samples, split, test);
    data::loader_options options = detail::loader_options<Net>(s);
    std::optional<data::frame_cache> cache;  // every epoch and the validation reuse the decoded frames
    if (s.cache_budget) options.cache = &cache.emplace(samples.size(), options.roi, options.input, s.cache_budget);
    options.view_mode = s.augmentation.views;
    options.augment = s.augmentation.augment;
    const std::vector<float> weights = loss_weights(s.balance, counts);
    nn::adam<float> optimiser({.learning_rate = s.learning_rate, .weight_decay = s.weight_decay});
    result out;
    out.validation = out.test = nn::confusion_matrix(Net::classes);
    std::vector<float> best_parameters, frozen_values;
    std::size_t since_best = 0;
    std::set<std::filesystem::path> reported;
    const std::size_t epochs = s.iterations ? std::size_t(-1) : s.epochs;
    using clock = std::chrono::steady_clock;
    const auto since = [](clock::time_point t) { return std::chrono::duration<double>(clock::now() - t).count(); };
    for (std::size_t epoch = 1; epoch <= epochs && !stop_requested(); ++epoch) {
      const auto start = clock::now();
      optimiser.settings().learning_rate = learning_rate(s, epoch);
      data::batch_loader loader(samples, epoch_items(s.balance, samples, split.train, counts, s.seed, epoch), options, epoch);
      if (on.epoch_begin) on.epoch_begin(epoch, loader.items());
      epoch_record r;
      r.epoch = epoch;
      std::size_t seen = 0;
      for (;;) {
        auto phase = clock::now();
        const data::batch* b = loader.next();
        r.times.wait += since(phase);
        if (!b || stop_requested() || (s.iterations && out.steps == s.iterations)) break;
        phase = clock::now();
        const bool freeze = epoch <= s.freeze_epochs && !s.frozen.empty();
        if (freeze) detail::save_ranges(net_.parameters(), s.frozen, frozen_values);
        const auto step = net_.train_step(b->images, b->labels, optimiser, weights);
        if (freeze) detail::restore_ranges(net_.parameters(), s.frozen, frozen_values);
        r.train_loss += step.loss * double(b->size);
        r.train_accuracy += step.accuracy * double(b->size);
        seen += b->size;
        ++out.steps;
        r.times.step += since(phase);
        if (on.step)
          on.step({epoch, out.steps, b->size, seen, loader.items(), step.loss, step.accuracy, optimiser.settings().learning_rate});
      }
      for (const data::skipped_file& f : loader.failures())
        if (reported.insert(f.path).second) {
          out.skipped.push_back(f);
          if (on.skipped) on.skipped(f);
        }
      if (seen == 0 || stop_requested()) break;
      r.train_loss /= double(seen);
      r.train_accuracy /= double(seen);
      r.images = seen;
      const data::load_times loading = loader.times();
      r.times.decode = loading.decode, r.times.augment = loading.augment;
      const auto validating = clock::now();
      evaluation v = detail::evaluate(net_, samples, split.validation, options, s.tta);
      r.times.validation = since(validating);
      r.validation_loss = v.loss;
      r.validation_accuracy = v.accuracy;
      r.validation_balanced_accuracy = v.balanced_accuracy;
      r.seconds = since(start);
      out.history.push_back(r);
      out.epochs_run = epoch;
      const auto reporting = clock::now();
      if (on.epoch) on.epoch(r);
      const bool improved = out.best.epoch == 0 || split.validation.empty() || better(s.selection, r, out.best);
      if (improved) {
        best_parameters.assign(net_.parameters().begin(), net_.parameters().end());
        out.best = r;
        out.validation = std::move(v.matrix);
        since_best = 0;
        if (on.checkpoint) on.checkpoint(r, net_);
      }
      out.history.back().times.callbacks = since(reporting);
      if (improved) out.best.times.callbacks = out.history.back().times.callbacks;
      if (!improved && s.patience && ++since_best >= s.patience) {
        out.stopped_early = true;
        break;
      }
      if (s.iterations && out.steps == s.iterations) break;
    }
    out.interrupted = stop_requested();
    if (cache) out.cache = cache->stats();
    if (out.best.epoch == 0) return out;
    std::copy(best_parameters.begin(), best_parameters.end(), net_.parameters().begin());
    if (!test.empty()) {
      evaluation t = detail::evaluate(net_, samples, test, options, s.tta);
      out.test = std::move(t.matrix);
      out.test_predictions = std::move(t.predictions);
    }
    return out;
  }

 private:
  // Every item is a sample whose label the network has; returns the training images per class,
  // each class having some.
  std::vector<std::size_t> check(const std::vector<data::sample>& samples, const data::split_indices& split,
                                 const std::vector<std::size_t>& test) const {
    for (const auto* items : {&split.train, &split.validation, &test})
      for (std::size_t i : *items) {
        if (i >= samples.size())
          throw invalid_argument("trainer: item " + std::to_string(i) + " is not one of the " + std::to_string(samples.size()) + " samples");
        if (samples[i].label >= Net::classes)
          throw invalid_argument("trainer: " + samples[i].path.string() + " has label " + std::to_string(samples[i].label) +
                                 ", the network has " + std::to_string(Net::classes) + " classes");
      }
    const auto counts = data::class_counts(samples, split.train, Net::classes);
    for (std::size_t c = 0; c < counts.size(); ++c)
      if (counts[c] == 0) throw invalid_argument("trainer: class " + std::to_string(c) + " has no training images");
    return counts;
  }

  Net& net_;
  options options_;
};

}  // namespace tarmac::train
