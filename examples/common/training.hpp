#pragma once
// The training loop shared by tarmac-train and tarmac-train-cascade: split, balance, load
// (threads, augmentation), train with Adam, validate every epoch, keep the best checkpoint,
// stop early, and report (epoch lines as RTK printed them, CSV log, PNG curves, confusion matrix).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <span>
#include <set>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

#include <tarmac/core/files.hpp>
#include <tarmac/core/progress.hpp>
#include <tarmac/core/stop.hpp>
#include <tarmac/data/dataset.hpp>
#include <tarmac/data/loader.hpp>
#include <tarmac/image/io.hpp>
#include <tarmac/nn.hpp>
#include <tarmac/surface/model_file.hpp>

namespace tarmac::training {

namespace fs = std::filesystem;

struct settings {
  fs::path data, out;
  std::size_t epochs = 60, iterations = 0, batch = 16, threads = 0, patience = 0;
  double learning_rate = 1e-3, validation = 0.2, weight_decay = 1e-4;
  std::uint64_t seed = 1;
  std::string net = "rtk", augment = "strong", balance = "weights", schedule = "cosine", select = "balanced";
  nn::init_scheme init = nn::init_scheme::he;
  image::roi_rule roi;  // the part of each frame the model sees, stored in the model file
  // Transfer learning: start from this model's layers where the networks share them; a new
  // classifier layer (new_head) when the classes differ; the convolutions frozen for the first
  // freeze_epochs epochs.
  fs::path init_from_path;
  std::shared_ptr<const surface::stored_model> init_from;
  bool new_head = false;
  std::size_t freeze_epochs = 0;
  double crop_scale = 0.8;  // strong augmentation's smallest window, per side
  bool tta = false;  // validation and test probabilities averaged with the mirrored frames
  fs::path log, plot;
  bool quiet = false;  // no per-epoch lines (cascade training prints its own)
};

struct epoch_record {
  std::size_t epoch = 0;
  double train_loss = 0, train_accuracy = 0, validation_loss = 0, validation_accuracy = 0,
         validation_balanced_accuracy = 0, seconds = 0;
};

// One held-out image's outcome (cross-validation reports and contact sheets use them).
struct prediction {
  std::size_t sample = 0, predicted = 0;
  float probability = 0;
};

struct result {
  epoch_record best;
  nn::confusion_matrix matrix;  // validation, at the best epoch
  std::size_t epochs_run = 0, skipped = 0;  // skipped: files that could not be used
  bool interrupted = false;
  nn::confusion_matrix test;  // the held-out items, with the best parameters
  std::vector<prediction> test_predictions;
};

inline void print_confusion(const std::vector<class_info>& classes, const nn::confusion_matrix& m) {
  std::size_t width = 9;
  for (const auto& c : classes) width = std::max(width, c.label.size() + 1);
  std::printf("Confusion matrix (rows: true class, columns: predicted)\n%*s", int(width), "");
  for (const auto& c : classes) std::printf(" %*s", int(width), c.label.c_str());
  std::printf("\n");
  for (std::size_t t = 0; t < m.classes(); ++t) {
    std::printf("%*s", int(width), classes[t].label.c_str());
    for (std::size_t p = 0; p < m.classes(); ++p) std::printf(" %*zu", int(width), m(t, p));
    std::printf("\n");
  }
}

inline void write_log(const fs::path& path, const std::vector<epoch_record>& records) {
  std::string csv = "epoch,train_loss,train_accuracy,validation_loss,validation_accuracy,validation_balanced_accuracy,seconds\n";
  char line[160];
  for (const auto& r : records) {
    std::snprintf(line, sizeof line, "%zu,%.6f,%.6f,%.6f,%.6f,%.6f,%.3f\n", r.epoch, r.train_loss, r.train_accuracy,
                  r.validation_loss, r.validation_accuracy, r.validation_balanced_accuracy, r.seconds);
    csv += line;
  }
  write_text_atomically(path, csv);
}

// Loss (left) and accuracy (right) per epoch, training in blue and validation in orange.
inline void write_plot(const fs::path& path, const std::vector<epoch_record>& records) {
  const int panel_w = 480, panel_h = 320, margin = 48;
  cv::Mat image(panel_h + 2 * margin, 2 * (panel_w + 2 * margin), CV_8UC3, cv::Scalar(255, 255, 255));
  auto panel = [&](int x0, const char* title, auto train_value, auto validation_value, double top) {
    const cv::Point origin(x0 + margin, margin + panel_h);
    cv::rectangle(image, {x0 + margin, margin}, {x0 + margin + panel_w, margin + panel_h}, {0, 0, 0}, 1);
    cv::putText(image, title, {x0 + margin, margin - 14}, cv::FONT_HERSHEY_SIMPLEX, 0.6, {0, 0, 0}, 1, cv::LINE_AA);
    char tick[32];
    for (int i = 0; i <= 4; ++i) {
      const int y = origin.y - panel_h * i / 4;
      std::snprintf(tick, sizeof tick, "%.2f", top * i / 4);
      cv::putText(image, tick, {x0 + 4, y + 4}, cv::FONT_HERSHEY_SIMPLEX, 0.35, {80, 80, 80}, 1, cv::LINE_AA);
      cv::line(image, {origin.x, y}, {origin.x + panel_w, y}, {225, 225, 225}, 1);
    }
    std::snprintf(tick, sizeof tick, "epoch %zu", records.empty() ? std::size_t(0) : records.back().epoch);
    cv::putText(image, tick, {origin.x + panel_w - 70, origin.y + 20}, cv::FONT_HERSHEY_SIMPLEX, 0.4, {0, 0, 0}, 1, cv::LINE_AA);
    auto point = [&](std::size_t i, double v) {
      const double x = records.size() > 1 ? double(i) / double(records.size() - 1) : 0.5;
      return cv::Point(origin.x + int(x * panel_w), origin.y - int(std::clamp(v / top, 0.0, 1.0) * panel_h));
    };
    for (std::size_t i = 0; i < records.size(); ++i) {
      const cv::Scalar blue(200, 90, 30), orange(20, 130, 250);
      if (i > 0) {
        cv::line(image, point(i - 1, train_value(records[i - 1])), point(i, train_value(records[i])), blue, 2, cv::LINE_AA);
        cv::line(image, point(i - 1, validation_value(records[i - 1])), point(i, validation_value(records[i])), orange, 2, cv::LINE_AA);
      }
      cv::circle(image, point(i, train_value(records[i])), 3, blue, cv::FILLED, cv::LINE_AA);
      cv::circle(image, point(i, validation_value(records[i])), 3, orange, cv::FILLED, cv::LINE_AA);
    }
    cv::putText(image, "training", {origin.x + 8, margin + 18}, cv::FONT_HERSHEY_SIMPLEX, 0.45, {200, 90, 30}, 1, cv::LINE_AA);
    cv::putText(image, "validation", {origin.x + 8, margin + 36}, cv::FONT_HERSHEY_SIMPLEX, 0.45, {20, 130, 250}, 1, cv::LINE_AA);
  };
  double top_loss = 0.1;
  for (const auto& r : records) top_loss = std::max({top_loss, r.train_loss, r.validation_loss});
  panel(0, "loss", [](const epoch_record& r) { return r.train_loss; },
        [](const epoch_record& r) { return r.validation_loss; }, top_loss * 1.05);
  panel(panel_w + 2 * margin, "accuracy", [](const epoch_record& r) { return r.train_accuracy; },
        [](const epoch_record& r) { return r.validation_accuracy; }, 1.0);
  image::write_image(path, image);
}

// Loss, accuracy and confusion of the current parameters on items (original views, in order);
// on_prediction(sample, predicted, probability) sees each image's outcome.
template <class Net, class OnPrediction>
epoch_record evaluate(Net& net, const std::vector<data::sample>& samples, const std::vector<std::size_t>& items,
                      const data::loader_options& base, bool tta, nn::confusion_matrix& matrix, OnPrediction&& on_prediction) {
  matrix.clear();
  epoch_record r;
  if (items.empty()) return r;
  data::loader_options options = base;
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
      r.validation_loss -= std::log(std::max(double(p(i, b->labels[i])), 1e-12));
      matrix.add(b->labels[i], best);
      on_prediction(b->samples[i], best, float(p(i, best)));
      ++n;
    }
  }
  r.validation_loss /= double(std::max<std::size_t>(n, 1));
  r.validation_accuracy = n ? matrix.accuracy() : 0.0;
  r.validation_balanced_accuracy = n ? matrix.balanced_accuracy() : 0.0;
  return r;
}

// Images per class in split.train; every class must keep some after the validation split.
inline std::vector<std::size_t> training_counts(const std::vector<class_info>& classes,
                                                const std::vector<data::sample>& samples, const data::split_indices& split) {
  const auto counts = data::class_counts(samples, split.train, classes.size());
  for (std::size_t c = 0; c < classes.size(); ++c)
    if (counts[c] == 0)
      throw invalid_argument("class " + classes[c].id + " has no training images after the validation split (--val)");
  return counts;
}

// The data's classes against an --init-from model's: other classes need a new classifier layer.
inline void check_init_from(const settings& s, const std::vector<class_info>& classes) {
  if (!s.init_from || s.new_head) return;
  const auto ids = [](const std::vector<class_info>& v) {
    std::string out;
    for (const auto& c : v) out += (out.empty() ? "" : ", ") + c.id;
    return "[" + out + "]";
  };
  if (ids(s.init_from->meta.classes) != ids(classes))
    throw invalid_argument("--init-from " + s.init_from_path.string() + " has classes " + ids(s.init_from->meta.classes) +
                           ", the data has " + ids(classes) + ": give --new-head to train a new classifier layer on its features");
}

// Starts net from --init-from's layers; returns the (offset, size) ranges of the copied
// convolutions, which --freeze-epochs holds still.
template <class Net>
std::vector<std::pair<std::size_t, std::size_t>> start_from(const settings& s, const std::vector<class_info>& classes, Net& net) {
  if (!s.init_from) return {};
  check_init_from(s, classes);
  const std::vector<std::size_t> copied =
      surface::transfer_parameters(*s.init_from, net, s.new_head ? Net::layer_count - 1 : std::size_t(-1));
  if (copied.empty())
    throw invalid_argument("--init-from " + s.init_from_path.string() + " shares no layer with --net " + s.net +
                           " (its first layer is " + s.init_from->architecture.front().to_string() + ")");
  if (!s.quiet) {
    std::string layers;
    for (std::size_t l : copied) layers += (layers.empty() ? "" : ", ") + std::to_string(l);
    std::printf("Started from %s: layers %s copied%s\n", s.init_from_path.c_str(), layers.c_str(),
                s.new_head ? ", a new classifier layer" : "");
  }
  std::vector<std::pair<std::size_t, std::size_t>> frozen;
  const auto architecture = Net::architecture();
  net.for_each_parameter([&](std::size_t layer, const std::string&, const std::vector<std::size_t>&, auto values) {
    if (architecture[layer].kind == "conv2d" && std::find(copied.begin(), copied.end(), layer) != copied.end())
      frozen.emplace_back(std::size_t(values.data() - net.parameters().data()), values.size());
  });
  return frozen;
}

inline void save_ranges(std::span<const float> p, const std::vector<std::pair<std::size_t, std::size_t>>& ranges, std::vector<float>& out) {
  out.clear();
  for (const auto& [at, n] : ranges) out.insert(out.end(), p.begin() + std::ptrdiff_t(at), p.begin() + std::ptrdiff_t(at + n));
}

inline void restore_ranges(std::span<float> p, const std::vector<std::pair<std::size_t, std::size_t>>& ranges, const std::vector<float>& saved) {
  std::size_t from = 0;
  for (const auto& [at, n] : ranges) std::copy_n(saved.begin() + std::ptrdiff_t(from), n, p.begin() + std::ptrdiff_t(at)), from += n;
}

// Trains on split.train, picks the best epoch on split.validation, writes it to s.out (unless
// empty) and, when test items are given, evaluates the best parameters on them.
template <class Net>
result train(const settings& s, const std::vector<class_info>& classes, const std::vector<data::sample>& samples,
             const data::split_indices& split, const std::vector<std::size_t>& test = {}) {
  const std::size_t k = classes.size();
  if (k != Net::classes) throw invalid_argument("training: the network has " + std::to_string(Net::classes) + " outputs for " + std::to_string(k) + " classes");
  const auto counts = training_counts(classes, samples, split);

  data::loader_options options;
  options.batch_size = s.batch;
  options.seed = s.seed;
  options.roi = s.roi;
  data::frame_cache cache(samples.size(), options.roi);  // every epoch and the validation reuse the decoded ROIs
  options.cache = &cache;
  if (s.augment == "rtk") options.view_mode = data::views::rtk_three;
  else if (s.augment == "strong") options.augment = image::augmenter::strong(s.crop_scale);
  else if (s.augment != "none") throw invalid_argument("--augment must be rtk, strong or none, got '" + s.augment + "'");
  std::vector<float> loss_weights;
  if (s.balance == "weights")
    for (double w : data::class_weights(counts)) loss_weights.push_back(float(w * double(k)));
  if (s.schedule != "constant" && s.schedule != "cosine")
    throw invalid_argument("--schedule must be constant or cosine, got '" + s.schedule + "'");
  if (s.balance != "weights" && s.balance != "replicate" && s.balance != "sample" && s.balance != "none")
    throw invalid_argument("--balance must be replicate, weights, sample or none, got '" + s.balance + "'");

  Net net({.threads = s.threads, .init = s.init, .seed = s.seed});
  const std::vector<std::pair<std::size_t, std::size_t>> frozen = start_from(s, classes, net);
  std::vector<float> frozen_values;
  nn::adam<float> optimiser({.learning_rate = s.learning_rate, .weight_decay = s.weight_decay});
  surface::model_metadata meta{classes, options.roi,
                               "tarmac-train --net " + s.net + " --augment " + s.augment + " --balance " + s.balance +
                                   " --lr " + std::to_string(s.learning_rate) + " --schedule " + s.schedule +
                                   " --batch " + std::to_string(s.batch) + " --roi " + s.roi.to_string() +
                                   " --seed " + std::to_string(s.seed)};
  result out;
  out.matrix = out.test = nn::confusion_matrix(k);
  nn::confusion_matrix matrix(k);
  std::vector<float> best_parameters;
  std::vector<epoch_record> records;
  std::size_t steps = 0, since_best = 0;
  const std::size_t epochs = s.iterations ? std::size_t(-1) : s.epochs;
  bool saved = false;
  std::set<fs::path> reported;  // each unreadable file is reported once, not once per epoch
  for (std::size_t epoch = 1; epoch <= epochs && !stop_requested(); ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    if (s.schedule == "cosine" && !s.iterations)  // from the base rate down to 1% of it over --epochs
      optimiser.settings().learning_rate =
          s.learning_rate * (0.01 + 0.99 * 0.5 * (1 + std::cos(M_PI * double(epoch - 1) / double(std::max<std::size_t>(1, s.epochs - 1)))));
    std::vector<std::size_t> items = split.train;
    if (s.balance == "replicate") items = data::replicate(samples, split.train, data::replication_factors(counts));
    if (s.balance == "sample")
      items = data::weighted_draw(samples, split.train, data::class_weights(counts), split.train.size(), s.seed + epoch);
    data::batch_loader loader(samples, items, options, epoch);
    progress_bar bar("epoch " + std::to_string(epoch), loader.items(), "images");
    epoch_record r;
    r.epoch = epoch;
    std::size_t seen = 0;
    while (const data::batch* b = loader.next()) {
      if (stop_requested() || (s.iterations && steps == s.iterations)) break;
      const bool freeze = epoch <= s.freeze_epochs && !frozen.empty();
      if (freeze) save_ranges(net.parameters(), frozen, frozen_values);
      const nn::step_result step = net.train_step(b->images, b->labels, optimiser, loss_weights);
      if (freeze) restore_ranges(net.parameters(), frozen, frozen_values);
      r.train_loss += step.loss * double(b->size);
      r.train_accuracy += step.accuracy * double(b->size);
      seen += b->size;
      ++steps;
      bar.advance(b->size);
    }
    bar.finish();
    for (const auto& f : loader.failures())
      if (reported.insert(f.path).second) std::fprintf(stderr, "warning: skipped %s: %s\n", f.path.c_str(), f.reason.c_str());
    // An epoch cut short by a stop is neither scored, logged nor saved: it would stand for an
    // epoch that did not happen. (--iterations ending inside an epoch is the run's planned end.)
    if (seen == 0 || stop_requested()) break;
    r.train_loss /= double(seen);
    r.train_accuracy /= double(seen);
    const epoch_record v = evaluate(net, samples, split.validation, options, s.tta, matrix, [](auto...) {});
    r.validation_loss = v.validation_loss;
    r.validation_accuracy = v.validation_accuracy;
    r.validation_balanced_accuracy = v.validation_balanced_accuracy;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    records.push_back(r);
    out.epochs_run = epoch;
    if (!s.quiet) {
      std::printf("Training Epoch %zu --- Training Accuracy: %5.1f%%", epoch, 100 * r.train_accuracy);
      if (split.validation.empty()) std::printf(" (no validation split)\n");
      else std::printf(", Validation Accuracy: %5.1f%%,  Validation Loss: %.3f\n", 100 * r.validation_accuracy, r.validation_loss);
    }
    std::fflush(stdout);
    // The checkpoint criterion: balanced accuracy by default, as plain accuracy rewards the majority class.
    const auto score = [&](const epoch_record& e) {
      return s.select == "balanced" ? e.validation_balanced_accuracy : e.validation_accuracy;
    };
    const bool better = !saved || split.validation.empty() || score(r) > score(out.best) ||
                        (score(r) == score(out.best) && r.validation_loss < out.best.validation_loss);
    if (better) {
      if (!s.out.empty()) surface::save_model(s.out, net, meta);  // temp + rename: never half-written
      best_parameters.assign(net.parameters().begin(), net.parameters().end());
      saved = true;
      out.best = r;
      out.matrix = matrix;
      since_best = 0;
    } else if (s.patience && ++since_best >= s.patience) {
      if (!s.quiet) std::printf("Early stop: validation %s has not improved for %zu epochs\n",
                                s.select == "balanced" ? "balanced accuracy" : "accuracy", s.patience);
      break;
    }
    if (!s.log.empty()) write_log(s.log, records);
    if (!s.plot.empty()) write_plot(s.plot, records);
    if (s.iterations && steps == s.iterations) break;
  }
  out.interrupted = stop_requested();
  out.skipped = reported.size();
  if (!saved)
    throw error(out.interrupted ? "stopped before the first epoch finished: no model was written"
                                : "no image could be used for training: no model was written");
  if (!test.empty()) {
    std::copy(best_parameters.begin(), best_parameters.end(), net.parameters().begin());
    evaluate(net, samples, test, options, s.tta, out.test, [&](std::size_t sample, std::size_t predicted, float p) {
      out.test_predictions.push_back({sample, predicted, p});
    });
  }
  return out;
}

}  // namespace tarmac::training
