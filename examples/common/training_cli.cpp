#include "training_cli.hpp"

#include <algorithm>
#include <cstdio>
#include <string>

#include <tarmac/nn.hpp>
#include <tarmac/surface/model_file.hpp>

namespace tarmac::training {

namespace {

// Network type by --net and class count (compile-time shapes: one instantiation per pair).
template <template <std::size_t, class> class Net, std::size_t K = 2>
result train_with(const settings& s, const std::vector<class_info>& classes, const std::vector<data::sample>& samples,
                  const data::split_indices& split, const std::vector<std::size_t>& test) {
  if constexpr (K > 6) {
    throw invalid_argument(s.data.string() + " has " + std::to_string(classes.size()) +
                           " class folders; the trainers train 2 to 6 classes");
  } else {
    if (classes.size() == K) return train<Net<K, float>>(s, classes, samples, split, test);
    return train_with<Net, K + 1>(s, classes, samples, split, test);
  }
}

}  // namespace

// The defaults are the configuration that cross-validated best on the real RTK sample
// (bench/RESULTS.md): strong augmentation, class-weighted loss, AdamW 1e-3 on a cosine schedule.
void add_options(cli::parser& args) {
  args.option("--recipe", "NAME", "rtk: the RTK tutorial's settings (overrides --net/--augment/--balance/--init/--lr/--batch)", "");
  args.option("--net", "NAME", "rtk (RTK network, dense 128 head) or gap (global-average-pooling head)", "rtk");
  args.option("--epochs", "N", "epochs", "60");
  args.option("--iterations", "N", "train this many steps instead of --epochs (0 = use --epochs)", "0");
  args.option("--batch", "N", "batch size", "16");
  args.option("--lr", "RATE", "Adam learning rate", "1e-3");
  args.option("--schedule", "NAME", "learning rate: constant, or cosine (down to 1% over --epochs)", "cosine");
  args.option("--weight-decay", "W", "decoupled weight decay (AdamW) on weights", "1e-4");
  args.option("--val", "FRACTION", "stratified validation fraction", "0.2");
  args.option("--select", "NAME", "checkpoint by validation balanced (mean per-class recall) or accuracy", "balanced");
  args.option("--patience", "N", "stop after N epochs without a better validation score (0 = never)", "0");
  args.option("--augment", "NAME", "rtk (original, brighter, darker views), strong (crop/flip/colour/blur) or none", "strong");
  args.option("--balance", "NAME", "replicate (RTK), weights (class-weighted loss), sample (balanced draws) or none", "weights");
  args.option("--init", "NAME", "rtk (truncated normal 0.05, biases 0.05) or he", "he");
  args.option("--roi", "RULE", "region of interest: rtk, full, or fractions TOP:BOTTOM[,LEFT:RIGHT] (e.g. 0.5:1,0.1:0.9); "
              "empty: rtk when training, the model's own rule when evaluating", "");
  args.option("--init-from", "MODEL", "start from this model's layers where the networks share them (transfer learning)", "");
  args.flag("--new-head", "with --init-from: a new classifier layer (needed when the classes differ)");
  args.option("--freeze-epochs", "N", "with --init-from: keep its convolutions fixed for the first N epochs", "0");
  args.option("--crop-scale", "S", "strong augmentation: random windows of S to 1 of each side", "0.8");
  args.flag("--tta", "validate and test on each frame and its mirror image, averaging the probabilities");
  args.option("--threads", "N", "threads for the network (0 = all cores)", "0");
  args.option("--seed", "S", "random seed (split, shuffling, augmentation, initialisation)", "1");
}

settings read_options(const cli::parser& args) {
  settings s;
  s.net = args.text("--net");
  s.augment = args.text("--augment");
  s.balance = args.text("--balance");
  s.schedule = args.text("--schedule");
  s.select = args.text("--select");
  const std::string init = args.text("--init"), recipe = args.text("--recipe");
  if (init != "rtk" && init != "he") throw invalid_argument("--init must be rtk or he, got '" + init + "'");
  s.init = init == "he" ? nn::init_scheme::he : nn::init_scheme::rtk;
  s.epochs = std::size_t(args.integer("--epochs", 1, 100000));
  s.iterations = std::size_t(args.integer("--iterations", 0, 100000000));
  s.batch = std::size_t(args.integer("--batch", 1, 4096));
  s.threads = std::size_t(args.integer("--threads", 0, 1024));
  s.patience = std::size_t(args.integer("--patience", 0, 100000));
  s.seed = std::uint64_t(args.integer("--seed", 0, 2147483647L));
  s.learning_rate = args.real("--lr", 0, 10, true);
  s.weight_decay = args.real("--weight-decay", 0, 10);
  s.validation = args.real("--val", 0, 0.9);
  if (const std::string roi = args.text("--roi"); !roi.empty()) s.roi = image::roi_rule::parse(roi);
  s.freeze_epochs = std::size_t(args.integer("--freeze-epochs", 0, 100000));
  s.new_head = args.enabled("--new-head");
  s.tta = args.enabled("--tta");
  s.crop_scale = args.real("--crop-scale", 0, 1, true);
  s.init_from_path = args.text("--init-from");
  if (s.init_from_path.empty()) {
    if (s.new_head || s.freeze_epochs) throw invalid_argument("--new-head and --freeze-epochs need --init-from");
  } else {
    s.init_from = std::make_shared<const surface::stored_model>(surface::read_stored_model(s.init_from_path));
  }
  if (recipe == "rtk") {  // the tutorial: RTK network, three views, replication, Adam 1e-4, batch 32
    s.net = "rtk", s.augment = "rtk", s.balance = "replicate", s.init = nn::init_scheme::rtk;
    s.learning_rate = 1e-4, s.batch = 32, s.schedule = "constant", s.weight_decay = 0, s.select = "accuracy";
  } else if (!recipe.empty()) {
    throw invalid_argument("--recipe must be rtk, got '" + recipe + "'");
  }
  if (s.net != "rtk" && s.net != "gap" && s.net != "rtk-dropout")
    throw invalid_argument("--net must be rtk, gap or rtk-dropout, got '" + s.net + "'");
  if (s.augment != "rtk" && s.augment != "strong" && s.augment != "none")
    throw invalid_argument("--augment must be rtk, strong or none, got '" + s.augment + "'");
  if (s.balance != "weights" && s.balance != "replicate" && s.balance != "sample" && s.balance != "none")
    throw invalid_argument("--balance must be replicate, weights, sample or none, got '" + s.balance + "'");
  if (s.select != "balanced" && s.select != "accuracy")
    throw invalid_argument("--select must be balanced or accuracy, got '" + s.select + "'");
  if (s.schedule != "constant" && s.schedule != "cosine")
    throw invalid_argument("--schedule must be constant or cosine, got '" + s.schedule + "'");
  return s;
}

result train_classifier(const settings& s, const std::vector<class_info>& classes,
                        const std::vector<data::sample>& samples, const data::split_indices& split,
                        const std::vector<std::size_t>& test) {
  if (s.net == "gap") return train_with<nn::gap_net>(s, classes, samples, split, test);
  if (s.net == "rtk-dropout") return train_with<nn::rtk_dropout_net>(s, classes, samples, split, test);
  return train_with<nn::rtk_net>(s, classes, samples, split, test);
}

labelled_data open_dataset(const std::filesystem::path& root) {
  labelled_data d{data::folder_dataset(root), {}};
  const auto& samples = d.set.samples();
  const auto& classes = d.set.classes();
  if (classes.size() < 2)
    throw invalid_argument(root.string() + " has only one class folder (" + classes[0].id + "): a classifier needs two or more");
  if (classes.size() > 6)
    throw invalid_argument(root.string() + " has " + std::to_string(classes.size()) +
                           " class folders; the trainers train 2 to 6 classes");
  for (const auto& f : d.set.skipped()) std::fprintf(stderr, "warning: skipped %s: %s\n", f.path.c_str(), f.reason.c_str());
  // The same frame under two classes cannot be learnt (and leaks between training and test): say so.
  d.identical = data::identical_files(samples);
  std::size_t conflicting = 0;
  std::string examples;
  for (const auto& group : d.identical) {
    const bool mixed =
        std::any_of(group.begin(), group.end(), [&](std::size_t i) { return samples[i].label != samples[group[0]].label; });
    if (!mixed) continue;
    ++conflicting;
    if (conflicting <= 3) {
      examples += "\n  ";
      for (std::size_t k = 0; k < group.size(); ++k)
        examples += (k ? " = " : "") + (samples[group[k]].path.parent_path().filename() / samples[group[k]].path.filename()).string();
    }
  }
  if (conflicting)
    std::fprintf(stderr, "warning: %s: %zu files are filed under two or more classes (byte-identical copies)%s%s\n",
                 root.c_str(), conflicting, examples.c_str(), conflicting > 3 ? "\n  ..." : "");
  return d;
}

data::split_indices training_split(const settings& s, const labelled_data& d) {
  check_init_from(s, d.set.classes());
  const auto& samples = d.set.samples();
  data::split_indices out = data::stratified_split(samples, d.set.classes().size(), s.validation, s.seed,
                                                   data::all_indices(samples), d.identical);
  training_counts(d.set.classes(), samples, out);
  return out;
}

}  // namespace tarmac::training
