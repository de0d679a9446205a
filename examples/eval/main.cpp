// tarmac-eval: how well a model does on a labelled folder tree (accuracy, balanced accuracy,
// confusion matrix, per-class precision / recall / F1, images/s), or, with --cv K, stratified
// K-fold cross-validation of a training configuration on one tree. The work is tarmac::eval's.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <tarmac/core/progress.hpp>
#include <tarmac/core/thread_pool.hpp>
#include <tarmac/eval.hpp>
#include <tarmac/image/io.hpp>
#include <tarmac/surface/cascade.hpp>
#include <tarmac/surface/classifier.hpp>

#include "../common/cli.hpp"
#include "../common/image_output.hpp"
#include "../common/training_cli.hpp"

namespace {

namespace fs = std::filesystem;
namespace eval = tarmac::eval;

void warn(const std::vector<tarmac::data::skipped_file>& files) {
  for (const auto& f : files) std::fprintf(stderr, "warning: skipped %s: %s\n", f.path.c_str(), f.reason.c_str());
}

// An evaluation behind a progress bar; then the files it could not use, as warnings.
template <class Evaluate>
auto with_progress(eval::evaluate_options options, std::size_t total, const char* unit, Evaluate&& evaluate) {
  tarmac::progress_bar bar("tarmac-eval", total, unit);
  options.on_progress = [&](std::size_t n) { bar.advance(n); };
  auto r = evaluate(options);
  bar.finish();
  warn(r.skipped);
  return r;
}

int evaluate_model(const fs::path& model_path, const fs::path& data, bool json, const fs::path& confused, std::size_t threads,
                   const eval::evaluate_options& options) {
  tarmac::surface::classifier model = tarmac::surface::load_classifier(model_path, threads);
  const tarmac::data::folder_dataset dataset(data);
  warn(dataset.skipped());
  const std::vector<tarmac::data::sample> samples = eval::relabel(dataset, model.classes(), model_path.string());
  const eval::report r = with_progress(options, samples.size(), "images", [&](const auto& o) { return eval::evaluate(model, samples, o); });
  if (json) {
    std::puts(to_json(r).dump().c_str());
  } else {
    std::printf("%s on %s (%s)\n%s", model_path.c_str(), data.c_str(), model.architecture().c_str(), to_text(r).c_str());
    std::printf("%.1f images/s (decode, ROI, resize and network; %zu threads)\n", r.per_second(), model.threads());
    if (!r.skipped.empty()) std::printf("Skipped %zu images that could not be used (see the warnings)\n", r.skipped.size());
  }
  if (!confused.empty())
    tarmac::image::write_image(confused, eval::mistakes_sheet(r.predictions, samples, r.classes, options.roi.value_or(model.roi())));
  return 0;
}

int evaluate_cascade(const fs::path& cascade_path, const fs::path& root, bool json, std::size_t threads,
                     const eval::evaluate_options& options) {
  tarmac::surface::cascade cascade = tarmac::surface::load_cascade(cascade_path, threads);
  const eval::cascade_data data = eval::cascade_samples(cascade, root);
  for (const auto& m : data.missing)
    std::fprintf(stderr, "note: %s is missing: no %s frames are evaluated\n", m.folder.c_str(), m.type.c_str());
  warn(data.skipped);
  const eval::cascade_report r =
      with_progress(options, data.samples.size(), "frames", [&](const auto& o) { return eval::evaluate_cascade(cascade, data.samples, o); });
  if (json) {
    std::puts(to_json(r).dump().c_str());
  } else {
    std::printf("%s on %s: type and quality both right on %s of %zu frames\n%s", cascade_path.c_str(), root.c_str(),
                eval::percent(r.outcomes.accuracy()).c_str(), r.outcomes.total(), to_text(r).c_str());
    std::printf("%.1f frames/s (decode, ROI, resize, type and quality models)\n", r.per_second());
    if (!r.skipped.empty()) std::printf("Skipped %zu frames that could not be used (see the warnings)\n", r.skipped.size());
  }
  return 0;
}

// Cross-validation of the training flags: each fold is trained by tarmac-train's trainer on the split its plan gives.
int cross_validate(std::size_t folds, tarmac::training::settings s, const fs::path& data, bool json, const fs::path& confused) {
  s.data = data;
  s.quiet = true;
  const tarmac::train::labelled_set labelled = tarmac::training::open_dataset(data);
  const auto& classes = labelled.set.classes();
  const auto& samples = labelled.set.samples();
  const auto plans = eval::plan_folds(samples, classes, labelled.identical, {folds, s.validation, s.seed});
  if (!json)
    std::printf("%zu-fold cross-validation on %s (%zu images); net %s, augment %s, balance %s, lr %g %s, weight decay %g, "
                "batch %zu, %s, validation %g, select %s, seed %llu\n",
                folds, data.c_str(), samples.size(), s.net.c_str(), s.augment.c_str(), s.balance.c_str(), s.learning_rate,
                s.schedule.c_str(), s.weight_decay, s.batch,
                (s.iterations ? std::to_string(s.iterations) + " steps" : std::to_string(s.epochs) + " epochs").c_str(),
                s.validation, s.select.c_str(), static_cast<unsigned long long>(s.seed));
  std::fflush(stdout);
  const auto train = [&](const eval::fold_plan& plan) {
    const tarmac::train::result r = tarmac::training::train_classifier(s, classes, samples, plan.split, plan.test);
    if (r.interrupted) throw tarmac::error("stopped during fold " + std::to_string(plan.index + 1) + ": no figures are reported");
    eval::fold_outcome out{{}, r.best.epoch, r.epochs_run};
    for (const auto& p : r.test_predictions) out.predictions.push_back({p.sample, samples[p.sample].label, p.predicted, p.probability});
    return out;
  };
  const eval::cross_validation_report report =
      eval::cross_validate(samples, classes, labelled.identical, plans, train, [&](const eval::fold_report& f) {
        if (json) return;
        std::fputs(fold_text(f, classes, folds).c_str(), stdout);
        std::fflush(stdout);
      });
  std::fputs(json ? (to_json(report).dump() + "\n").c_str() : to_text(report).c_str(), stdout);
  // The sheet last: the figures above are printed even if it cannot be written.
  std::vector<eval::prediction> all;
  for (const eval::fold_report& f : report.folds) all.insert(all.end(), f.predictions.begin(), f.predictions.end());
  if (!confused.empty()) tarmac::image::write_image(confused, eval::mistakes_sheet(all, samples, classes, s.roi));
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
    const auto threads = std::size_t(args.integer("--threads", 0, long(tarmac::thread_pool::max_threads)));
    eval::evaluate_options options;
    options.batch_size = std::size_t(args.integer("--batch", 1, 4096));
    const tarmac::training::settings training = tarmac::training::read_options(args);
    // --roi overrides the rule a model file stores; without it each model's own rule applies.
    if (!args.text("--roi").empty()) options.roi = tarmac::image::roi_rule::parse(args.text("--roi"));
    if (const auto folds = std::size_t(args.integer("--cv", 0, 100))) {
      if (!args.text("--model").empty() || !args.text("--cascade").empty())
        throw tarmac::invalid_argument("--cv trains its own models: leave out --model and --cascade");
      if (folds < 2) throw tarmac::invalid_argument("--cv needs at least 2 folds");
      return cross_validate(folds, training, data, json, confused);
    }
    if (!args.text("--cascade").empty()) {
      if (!args.text("--model").empty()) throw tarmac::invalid_argument("give --model or --cascade, not both");
      if (!confused.empty()) throw tarmac::invalid_argument("--confused works with --model and --cv, not with --cascade");
      return evaluate_cascade(args.text("--cascade"), data, json, threads, options);
    }
    if (args.text("--model").empty()) throw tarmac::invalid_argument("--model, --cascade or --cv is required (see --help)");
    return evaluate_model(args.text("--model"), data, json, confused, threads, options);
  });
}
