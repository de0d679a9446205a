// tarmac-eval: how well a model does on a labelled folder tree (accuracy, balanced accuracy,
// confusion matrix, per-class precision / recall / F1, images/s), or, with --cv K, stratified
// K-fold cross-validation of a training configuration on one tree.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <tarmac/core/progress.hpp>
#include <tarmac/data/loader.hpp>
#include <tarmac/image/io.hpp>
#include <tarmac/nn/metrics.hpp>
#include <tarmac/surface/cascade.hpp>
#include <tarmac/surface/taxonomy.hpp>
#include <tarmac/surface/classifier.hpp>

#include "../common/cli.hpp"
#include "../common/image_output.hpp"
#include "../common/contact_sheet.hpp"
#include "../common/training_cli.hpp"

namespace {

namespace fs = std::filesystem;
using tarmac::class_info;
using tarmac::nn::confusion_matrix;

std::string percent(double v) {
  if (std::isnan(v)) return "    -";
  char text[16];
  std::snprintf(text, sizeof text, "%5.1f%%", 100 * v);
  return text;
}

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", v);
  return text;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') out += '\\', out += char(c);
    else if (c < 0x20) {
      char escape[8];
      std::snprintf(escape, sizeof escape, "\\u%04x", c);
      out += escape;
    } else out += char(c);
  }
  return out + "\"";
}

template <class T, class F>
std::string json_list(const std::vector<T>& items, F&& each) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + each(items[i]);
  return out + "]";
}

std::vector<std::size_t> range(std::size_t n) {
  std::vector<std::size_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = i;
  return v;
}

// The keys outside checks read, then per-class precision, recall and F1.
std::string metrics_json(const std::vector<class_info>& classes, const confusion_matrix& m) {
  const auto k = range(m.classes());
  return "\"accuracy\": " + json_number(m.accuracy()) + ", \"balanced_accuracy\": " + json_number(m.balanced_accuracy()) +
         ", \"n\": " + std::to_string(m.total()) +
         ", \"classes\": " + json_list(classes, [](const class_info& c) { return json_string(c.id); }) +
         ", \"labels\": " + json_list(classes, [](const class_info& c) { return json_string(c.label); }) +
         ", \"confusion\": " + json_list(k, [&](std::size_t t) {
           return json_list(k, [&](std::size_t p) { return std::to_string(m(t, p)); });
         }) +
         ", \"precision\": " + json_list(k, [&](std::size_t c) { return json_number(m.precision(c)); }) +
         ", \"recall\": " + json_list(k, [&](std::size_t c) { return json_number(m.recall(c)); }) +
         ", \"f1\": " + json_list(k, [&](std::size_t c) { return json_number(m.f1(c)); });
}

void print_per_class(const std::vector<class_info>& classes, const confusion_matrix& m) {
  std::size_t width = 9;
  for (const auto& c : classes) width = std::max(width, c.label.size() + 1);
  std::printf("%*s  precision  recall     F1  support\n", int(width), "");
  for (std::size_t c = 0; c < m.classes(); ++c)
    std::printf("%*s     %s  %s  %s  %7zu\n", int(width), classes[c].label.c_str(), percent(m.precision(c)).c_str(),
                percent(m.recall(c)).c_str(), percent(m.f1(c)).c_str(), m.support(c));
}

struct spread {
  double mean = 0, deviation = 0;  // sample standard deviation over the folds
};

spread over(const std::vector<double>& v) {
  spread s;
  for (double x : v) s.mean += x;
  s.mean /= double(v.size());
  for (double x : v) s.deviation += (x - s.mean) * (x - s.mean);
  s.deviation = v.size() > 1 ? std::sqrt(s.deviation / double(v.size() - 1)) : 0.0;
  return s;
}

// What a perfect model could score when identical files carry different labels: each group
// can only be called one class. Accuracy: the group's most common label; balanced accuracy (a
// sum of right / support over classes): the label with the largest count / support.
struct ceiling {
  std::size_t conflicting = 0;
  double accuracy = 1, balanced_accuracy = 1;
};

ceiling best_possible(const std::vector<tarmac::data::sample>& samples, std::size_t classes,
                      const std::vector<std::vector<std::size_t>>& identical) {
  std::vector<std::size_t> support(classes, 0);
  for (const auto& s : samples) ++support[s.label];
  ceiling c;
  double lost = 0;
  std::vector<double> lost_recall(classes, 0);
  for (const auto& group : identical) {
    std::vector<std::size_t> count(classes, 0);
    for (std::size_t i : group) ++count[samples[i].label];
    if (std::count_if(count.begin(), count.end(), [](std::size_t n) { return n > 0; }) < 2) continue;
    ++c.conflicting;
    lost += double(group.size() - *std::max_element(count.begin(), count.end()));
    std::size_t keep = 0;
    for (std::size_t k = 1; k < classes; ++k)
      if (double(count[k]) / double(support[k]) > double(count[keep]) / double(support[keep])) keep = k;
    for (std::size_t k = 0; k < classes; ++k)
      if (k != keep) lost_recall[k] += double(count[k]) / double(support[k]);
  }
  c.accuracy = 1 - lost / double(samples.size());
  double recall_sum = 0;
  for (std::size_t k = 0; k < classes; ++k) recall_sum += 1 - lost_recall[k];
  c.balanced_accuracy = recall_sum / double(classes);
  return c;
}

struct mistake {
  fs::path path;
  std::size_t truth, predicted;
  float probability;
};

// The frames a model got wrong, with their ROI outlined, as a PNG contact sheet.
void write_confused(const fs::path& out, const std::vector<mistake>& mistakes, const std::vector<class_info>& classes,
                    const tarmac::image::roi_rule& roi, std::size_t n) {
  constexpr std::size_t most = 60;
  std::vector<cv::Mat> tiles;
  for (std::size_t i = 0; i < mistakes.size() && i < most; ++i) {
    const mistake& m = mistakes[i];
    std::string unreadable;
    cv::Mat frame = tarmac::image::read_image(m.path, unreadable);
    if (!frame.empty()) cv::rectangle(frame, roi.rect(frame.size()), {0, 255, 255}, std::max(2, frame.rows / 150));
    char called[160];
    std::snprintf(called, sizeof called, "true %s, called %s (%.2f)", classes[m.truth].label.c_str(),
                  classes[m.predicted].label.c_str(), m.probability);
    tiles.push_back(tarmac::sheet::thumbnail(frame, {called, m.path.parent_path().filename().string() + "/" + m.path.filename().string()}));
  }
  const std::string title = std::to_string(mistakes.size()) + " of " + std::to_string(n) + " frames misclassified" +
                            (mistakes.size() > most ? " (first " + std::to_string(most) + " shown)" : "") +
                            "; yellow: the ROI the model sees";
  tarmac::image::write_image(out, tarmac::sheet::grid(tiles, 4, title));
}

// Text report (or, with json, one JSON object on stdout).
void report(const std::vector<class_info>& classes, const confusion_matrix& m, bool json, const std::string& extra_json) {
  if (json) {
    std::printf("{%s%s}\n", metrics_json(classes, m).c_str(), extra_json.c_str());
    return;
  }
  std::printf("Accuracy %s, balanced accuracy %s (%zu images)\n", percent(m.accuracy()).c_str(),
              percent(m.balanced_accuracy()).c_str(), m.total());
  tarmac::training::print_confusion(classes, m);
  print_per_class(classes, m);
}

// Prints each file that could not be used once; throws when none could, saying whose fault it
// is: a model whose ROI fits none of the frames, or unreadable data.
std::size_t report_failures(const std::vector<tarmac::data::skipped_file>& failures, std::size_t used, const fs::path& data,
                            const std::string& whose_roi, const tarmac::image::roi_rule& roi) {
  for (const auto& f : failures) std::fprintf(stderr, "warning: skipped %s: %s\n", f.path.c_str(), f.reason.c_str());
  if (used > 0) return failures.size();
  if (!failures.empty() && std::all_of(failures.begin(), failures.end(), [](const auto& f) { return f.too_small_for_roi; }))
    throw tarmac::invalid_argument(whose_roi + " (" + roi.to_string() + ") fits none of the " + std::to_string(failures.size()) +
                                   " images of " + data.string() + " (" + failures.front().path.string() + ": " +
                                   failures.front().reason + ")");
  throw tarmac::invalid_argument(data.string() + ": no image could be used" +
                                 (failures.empty() ? "" : " (" + failures.front().path.string() + ": " + failures.front().reason + ")"));
}

int evaluate_model(const tarmac::cli::parser& args, const fs::path& data, bool json, const fs::path& confused,
                   std::size_t threads, std::size_t batch, const std::optional<tarmac::image::roi_rule>& roi) {
  const fs::path model_path = args.text("--model");
  tarmac::surface::classifier model = tarmac::surface::load_classifier(model_path, threads);
  const tarmac::data::folder_dataset dataset(data);
  for (const auto& f : dataset.skipped()) std::fprintf(stderr, "warning: skipped %s: %s\n", f.path.c_str(), f.reason.c_str());
  // Data folders are matched to the model's classes by id; a folder the model does not know is an error.
  std::vector<tarmac::data::sample> samples = dataset.samples();
  std::vector<std::size_t> to_model;
  for (const class_info& c : dataset.classes()) {
    std::size_t m = 0;
    while (m < model.classes().size() && model.classes()[m].id != c.id) ++m;
    if (m == model.classes().size()) {
      std::string known;
      for (const class_info& k : model.classes()) known += (known.empty() ? "" : ", ") + k.id;
      throw tarmac::invalid_argument("class folder '" + c.id + "' of " + data.string() + " is not a class of " +
                                     model_path.string() + " (" + known + ")");
    }
    to_model.push_back(m);
  }
  for (auto& s : samples) s.label = to_model[s.label];

  tarmac::data::loader_options options;
  options.batch_size = batch;
  options.shuffle = false;
  options.roi = roi.value_or(model.roi());
  options.input = model.input();
  tarmac::data::batch_loader loader(samples, range(samples.size()), options);
  confusion_matrix m(model.classes().size());
  std::vector<mistake> mistakes;
  tarmac::progress_bar bar("tarmac-eval", loader.items(), "images");
  const auto start = std::chrono::steady_clock::now();
  while (const tarmac::data::batch* b = loader.next()) {
    const auto p = model.predict(b->images);
    for (std::size_t i = 0; i < b->size; ++i) {
      std::size_t best = 0;
      for (std::size_t k = 1; k < p.shape()[1]; ++k)
        if (p(i, k) > p(i, best)) best = k;
      m.add(b->labels[i], best);
      if (best != b->labels[i]) mistakes.push_back({samples[b->samples[i]].path, b->labels[i], best, p(i, best)});
    }
    bar.advance(b->size);
  }
  bar.finish();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::size_t skipped = report_failures(loader.failures(), m.total(), data, roi ? "the --roi rule" : "the ROI of model " + model_path.string(), options.roi);
  const double rate = double(m.total()) / seconds;
  if (!json) std::printf("%s on %s (%s)\n", model_path.c_str(), data.c_str(), model.architecture().c_str());
  report(model.classes(), m, json, ", \"images_per_second\": " + json_number(rate));
  if (!json) std::printf("%.1f images/s (decode, ROI, resize and network; %zu threads)\n", rate, model.threads());
  if (!json && skipped) std::printf("Skipped %zu images that could not be used (see the warnings)\n", skipped);
  if (!confused.empty()) write_confused(confused, mistakes, model.classes(), options.roi, m.total());
  return 0;
}

// The cascade end to end on the RTK layout: every frame of ROOT/training_data_<type>_quality/<quality>/
// is one (type, quality) outcome; the joint confusion matrix has the cascade's outcomes as classes.
int evaluate_cascade(const tarmac::cli::parser& args, const fs::path& root, bool json, std::size_t threads, std::size_t batch,
                     const std::optional<tarmac::image::roi_rule>& roi) {
  const fs::path cascade_path = args.text("--cascade");
  tarmac::surface::cascade cascade = tarmac::surface::load_cascade(cascade_path, threads);
  const auto& types = cascade.type_model().classes();
  const std::vector<class_info> outcomes = cascade.outcomes();
  std::vector<tarmac::data::sample> samples;
  for (std::size_t t = 0; t < types.size(); ++t) {
    const fs::path folder = root / tarmac::surface::quality_root(types[t].id);
    if (!fs::is_directory(folder)) {
      std::fprintf(stderr, "note: %s is missing: no %s frames are evaluated\n", folder.c_str(), types[t].id.c_str());
      continue;
    }
    const tarmac::data::folder_dataset set(folder);
    for (const auto& f : set.skipped()) std::fprintf(stderr, "warning: skipped %s: %s\n", f.path.c_str(), f.reason.c_str());
    const auto* quality = cascade.quality_model(t);
    for (const auto& s : set.samples()) {
      std::optional<std::size_t> q;
      if (quality) {
        const auto& ids = quality->classes();
        q = std::size_t(std::find_if(ids.begin(), ids.end(), [&](const class_info& c) { return c.id == set.classes()[s.label].id; }) - ids.begin());
        if (*q == ids.size())
          throw tarmac::invalid_argument("class folder " + (folder / set.classes()[s.label].id).string() +
                                         " is not a class of the quality model of " + types[t].id);
      }
      samples.push_back({s.path, cascade.outcome(t, q)});
    }
  }
  if (samples.empty()) throw tarmac::invalid_argument(root.string() + " has no training_data_<type>_quality folder of the cascade's types");
  tarmac::data::loader_options options;
  options.batch_size = batch;
  options.shuffle = false;
  options.roi = roi.value_or(cascade.roi());
  options.input = cascade.input();
  tarmac::data::batch_loader loader(samples, range(samples.size()), options);
  confusion_matrix joint(outcomes.size()), type(types.size());
  std::vector<std::size_t> type_of_outcome;  // the type part of each outcome
  for (std::size_t t = 0; t < types.size(); ++t) {
    const auto* quality = cascade.quality_model(t);
    type_of_outcome.insert(type_of_outcome.end(), quality ? quality->classes().size() : 1, t);
  }
  tarmac::progress_bar bar("tarmac-eval", loader.items(), "frames");
  const auto start = std::chrono::steady_clock::now();
  while (const tarmac::data::batch* b = loader.next()) {
    const auto results = cascade.classify(b->images, b->size);
    for (std::size_t i = 0; i < b->size; ++i) {
      joint.add(b->labels[i], cascade.outcome(results[i].type, results[i].quality));
      type.add(type_of_outcome[b->labels[i]], results[i].type);
    }
    bar.advance(b->size);
  }
  bar.finish();
  const double rate = double(joint.total()) / std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::size_t skipped = report_failures(loader.failures(), joint.total(), root, roi ? "the --roi rule" : "the ROI of cascade " + cascade_path.string(), options.roi);
  if (json) {
    report(outcomes, joint, true, ", \"type\": {" + metrics_json(types, type) + "}, \"frames_per_second\": " + json_number(rate));
    return 0;
  }
  std::printf("%s on %s: type and quality both right on %s of %zu frames\n", cascade_path.c_str(), root.c_str(),
              percent(joint.accuracy()).c_str(), joint.total());
  std::printf("Type: ");
  report(types, type, false, "");
  std::printf("Type and quality (rows: true, columns: the cascade's answer): ");
  report(outcomes, joint, false, "");
  std::printf("%.1f frames/s (decode, ROI, resize, type and quality models)\n", rate);
  if (skipped) std::printf("Skipped %zu frames that could not be used (see the warnings)\n", skipped);
  return 0;
}

void print_cv_summary(const std::vector<class_info>& classes, std::size_t folds, const spread& acc, const spread& bal,
                      const std::vector<std::vector<double>>& recall, const ceiling& best, const confusion_matrix& pooled) {
  std::printf("Over %zu folds (mean +- sample standard deviation):\n", folds);
  std::printf("  accuracy          %s +- %.1f%%\n", percent(acc.mean).c_str(), 100 * acc.deviation);
  std::printf("  balanced accuracy %s +- %.1f%%\n", percent(bal.mean).c_str(), 100 * bal.deviation);
  for (std::size_t c = 0; c < classes.size(); ++c) {
    const spread r = over(recall[c]);
    std::printf("  recall %-10s %s +- %.1f%%\n", classes[c].label.c_str(), percent(r.mean).c_str(), 100 * r.deviation);
  }
  if (best.conflicting)
    std::printf("  %zu files are filed under two classes; no model can score more than %s accuracy, %s balanced accuracy\n",
                best.conflicting, percent(best.accuracy).c_str(), percent(best.balanced_accuracy).c_str());
  std::printf("Pooled over the held-out folds: ");
  report(classes, pooled, false, "");
}

int cross_validate(const tarmac::cli::parser& args, tarmac::training::settings s, const fs::path& data, bool json,
                   const fs::path& confused) {
  const auto folds = std::size_t(args.integer("--cv", 2, 100));
  s.data = data;
  s.quiet = true;
  const tarmac::training::labelled_data labelled = tarmac::training::open_dataset(data);
  const auto& classes = labelled.set.classes();
  const auto& samples = labelled.set.samples();
  // Identical files stay in one fold; those filed under two classes bound what any model can score.
  const auto& identical = labelled.identical;
  const auto parts = tarmac::data::stratified_folds(samples, classes, folds, s.seed, identical);
  const ceiling best = best_possible(samples, classes.size(), identical);
  if (!json) {
    std::printf("%zu-fold cross-validation on %s (%zu images); net %s, augment %s, balance %s, lr %g %s, weight decay %g, "
                "batch %zu, %s, validation %g, select %s, seed %llu\n",
                folds, data.c_str(), samples.size(), s.net.c_str(), s.augment.c_str(), s.balance.c_str(), s.learning_rate,
                s.schedule.c_str(), s.weight_decay, s.batch, s.iterations ? (std::to_string(s.iterations) + " steps").c_str()
                                                                         : (std::to_string(s.epochs) + " epochs").c_str(),
                s.validation, s.select.c_str(), static_cast<unsigned long long>(s.seed));
    std::fflush(stdout);
  }
  confusion_matrix pooled(classes.size());
  std::vector<double> accuracy, balanced;
  std::vector<std::vector<double>> recall(classes.size());
  std::vector<mistake> mistakes;
  std::string fold_json;
  for (std::size_t f = 0; f < folds; ++f) {
    std::vector<std::size_t> rest;
    for (std::size_t g = 0; g < folds; ++g)
      if (g != f) rest.insert(rest.end(), parts[g].begin(), parts[g].end());
    const auto split = tarmac::data::stratified_split(samples, classes.size(), s.validation, s.seed + f, rest, identical);
    const auto start = std::chrono::steady_clock::now();
    const tarmac::training::result r = tarmac::training::train_classifier(s, classes, samples, split, parts[f]);
    if (r.interrupted) throw tarmac::error("stopped during fold " + std::to_string(f + 1) + ": no figures are reported");
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const confusion_matrix& m = r.test;
    pooled += m;
    accuracy.push_back(m.accuracy());
    balanced.push_back(m.balanced_accuracy());
    for (std::size_t c = 0; c < classes.size(); ++c) recall[c].push_back(m.recall(c));
    for (const auto& p : r.test_predictions)
      if (p.predicted != samples[p.sample].label)
        mistakes.push_back({samples[p.sample].path, samples[p.sample].label, p.predicted, p.probability});
    fold_json += std::string(f ? ", " : "") + "{" + metrics_json(classes, m) + ", \"best_epoch\": " +
                 std::to_string(r.best.epoch) + ", \"seconds\": " + json_number(seconds) + "}";
    if (!json) {
      std::printf("Fold %zu/%zu: accuracy %s, balanced accuracy %s, recall", f + 1, folds, percent(m.accuracy()).c_str(),
                  percent(m.balanced_accuracy()).c_str());
      for (std::size_t c = 0; c < classes.size(); ++c)
        std::printf("%s %s %s", c ? "," : "", classes[c].label.c_str(), percent(m.recall(c)).c_str());
      std::printf(" (%zu test images, best epoch %zu of %zu, %.0f s)\n", m.total(), r.best.epoch, r.epochs_run, seconds);
      std::fflush(stdout);
    }
  }
  const spread acc = over(accuracy), bal = over(balanced);
  const std::string ceiling_json = ", \"conflicting_duplicates\": " + std::to_string(best.conflicting) +
                                   ", \"best_possible_accuracy\": " + json_number(best.accuracy) +
                                   ", \"best_possible_balanced_accuracy\": " + json_number(best.balanced_accuracy);
  if (json) {
    report(classes, pooled, true,
           ", \"accuracy_mean\": " + json_number(acc.mean) + ", \"accuracy_std\": " + json_number(acc.deviation) +
               ", \"balanced_accuracy_mean\": " + json_number(bal.mean) +
               ", \"balanced_accuracy_std\": " + json_number(bal.deviation) + ceiling_json + ", \"folds\": [" + fold_json + "]");
  } else {
    print_cv_summary(classes, folds, acc, bal, recall, best, pooled);
  }
  // The sheet last: the figures above are printed even if it cannot be written.
  if (!confused.empty()) write_confused(confused, mistakes, classes, s.roi, pooled.total());
  return 0;
}


}  // namespace

int main(int argc, char** argv) {
  return tarmac::cli::run("tarmac-eval", [&] {
    tarmac::cli::parser args("tarmac-eval",
                             "Evaluates --model on DIR/<class>/*.jpg|png (class folders named as the model's classes):\n"
                             "accuracy, balanced accuracy (mean per-class recall), confusion matrix, per-class\n"
                             "precision / recall / F1 and images/s. --json prints one JSON object instead.\n"
                             "--cv K instead cross-validates a training configuration (the training flags below,\n"
                             "as tarmac-train takes them) with stratified K folds: each fold is held out once and\n"
                             "scored by a model trained on the others; prints each fold, mean +- spread, and the\n"
                             "confusion matrix pooled over the held-out folds.");
    args.option("--model", "MODEL", "model file to evaluate", "");
    args.option("--cascade", "YML", "evaluate a cascade (cascade.yml) on --data in the RTK layout instead", "");
    args.option("--data", "DIR", "folder with one sub-folder of images per class", "");
    args.flag("--json", "print one JSON object (accuracy, balanced_accuracy, n, classes, confusion, ...)");
    args.option("--confused", "PNG", "write a contact sheet of the misclassified frames", "");
    args.option("--cv", "K", "cross-validate the training flags with K stratified folds (0 = evaluate --model)", "0");
    tarmac::training::add_options(args);
    if (!args.parse(argc, argv)) return 0;
    const bool json = args.enabled("--json");
    const fs::path data = args.text("--data"), confused = args.text("--confused");
    if (data.empty()) throw tarmac::invalid_argument("--data is required (see --help)");
    if (!confused.empty()) tarmac::cli::check_image_output(confused, "--confused");
    // Every flag is checked before a model is loaded or trained.
    const auto threads = std::size_t(args.integer("--threads", 0, 1024));
    const auto batch = std::size_t(args.integer("--batch", 1, 4096));
    const tarmac::training::settings training = tarmac::training::read_options(args);
    // --roi overrides the rule a model file stores; without it each model's own rule applies.
    const std::optional<tarmac::image::roi_rule> roi =
        args.text("--roi").empty() ? std::nullopt : std::optional(tarmac::image::roi_rule::parse(args.text("--roi")));
    const bool cv = args.integer("--cv", 0, 100) != 0;
    if (cv) {
      if (!args.text("--model").empty() || !args.text("--cascade").empty())
        throw tarmac::invalid_argument("--cv trains its own models: leave out --model and --cascade");
      if (args.integer("--cv", 0, 100) < 2) throw tarmac::invalid_argument("--cv needs at least 2 folds");
      return cross_validate(args, training, data, json, confused);
    }
    if (!args.text("--cascade").empty()) {
      if (!args.text("--model").empty()) throw tarmac::invalid_argument("give --model or --cascade, not both");
      if (!confused.empty()) throw tarmac::invalid_argument("--confused works with --model and --cv, not with --cascade");
      return evaluate_cascade(args, data, json, threads, batch, roi);
    }
    if (args.text("--model").empty()) throw tarmac::invalid_argument("--model, --cascade or --cv is required (see --help)");
    return evaluate_model(args, data, json, confused, threads, batch, roi);
  });
}
