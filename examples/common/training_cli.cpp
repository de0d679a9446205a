#include "training_cli.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <limits>
#include <optional>
#include <string>

#include <tarmac/core/progress.hpp>
#include <tarmac/core/thread_pool.hpp>
#include <tarmac/nn.hpp>

namespace tarmac::training {

namespace {

// A flag's names and what each stands for; the error for another name lists them in order.
template <class T>
struct choice {
  const char* name;
  T value;
};

template <class T, std::size_t N>
T pick(const char* flag, const std::string& name, const choice<T> (&choices)[N]) {
  std::string listed;
  for (std::size_t i = 0; i < N; ++i) {
    if (name == choices[i].name) return choices[i].value;
    listed += std::string(i == 0 ? "" : i + 1 == N ? " or " : ", ") + choices[i].name;
  }
  throw invalid_argument(std::string(flag) + " must be " + listed + ", got '" + name + "'");
}

constexpr choice<train::network_family> nets[] = {
    {"rtk", train::network_family::rtk}, {"gap", train::network_family::gap}, {"rtk-dropout", train::network_family::rtk_dropout}};
constexpr choice<train::augmentation (*)(const settings&)> augmentations[] = {
    {"rtk", [](const settings&) { return train::augmentation::rtk_views(); }},
    {"strong", [](const settings& s) { return train::augmentation::strong(s.crop_scale); }},
    {"none", [](const settings&) { return train::augmentation::none(); }}};
constexpr choice<train::balance> balances[] = {{"replicate", train::balance::replicate},
                                               {"weights", train::balance::weights},
                                               {"sample", train::balance::sample},
                                               {"none", train::balance::none}};
constexpr choice<train::selection> selections[] = {{"balanced", train::selection::balanced_accuracy},
                                                   {"accuracy", train::selection::accuracy}};
constexpr choice<train::schedule> schedules[] = {{"constant", train::schedule::constant}, {"cosine", train::schedule::cosine}};
constexpr choice<nn::init_scheme> inits[] = {{"rtk", nn::init_scheme::rtk}, {"he", nn::init_scheme::he}};

// The data's classes against an --init-from model's: other classes need a new classifier layer.
void check_init_from(const settings& s, const std::vector<class_info>& classes) {
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

// Starts net from --init-from's layers; returns the parameter ranges of the copied
// convolutions, which --freeze-epochs holds still.
template <class Net>
std::vector<train::parameter_range> start_from(const settings& s, const std::vector<class_info>& classes, Net& net) {
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
  std::vector<std::size_t> convolutions;
  const auto architecture = Net::architecture();
  std::copy_if(copied.begin(), copied.end(), std::back_inserter(convolutions),
               [&](std::size_t l) { return architecture[l].kind == "conv2d"; });
  return train::layer_ranges(net, convolutions);
}

constexpr double mib = 1024.0 * 1024.0;

// The frame cache's plan for the frames a run reads: all kept, or which are decoded every epoch.
void print_cache_plan(const settings& s, std::size_t frames, image::input_size input) {
  const std::size_t need = data::frame_cache::bytes_for(frames, input);
  if (s.cache_budget == 0)
    std::printf("Frame cache: off (--cache-mb 0): %zu frames decoded every epoch\n", frames);
  else if (need <= s.cache_budget)
    std::printf("Frame cache: %zu frames of %dx%d, %.1f MiB of the %.0f MiB budget (--cache-mb): decoded once\n", frames,
                input.width, input.height, double(need) / mib, double(s.cache_budget) / mib);
  else
    std::printf("Frame cache: %zu frames of %dx%d need %.1f MiB, over the %.0f MiB budget (--cache-mb): the first %zu read "
                "are kept, the others decoded every epoch (streamed)\n",
                frames, input.width, input.height, double(need) / mib, double(s.cache_budget) / mib,
                s.cache_budget / data::frame_cache::frame_bytes(input));
}

// Where the run's time went (train::epoch_times summed over its epochs), and its rates.
void print_times(const train::result& r) {
  train::epoch_times t;
  std::size_t images = 0;
  double seconds = 0;
  for (const train::epoch_record& e : r.history) {
    images += e.images, seconds += e.seconds + e.times.callbacks;
    t += e.times;
  }
  if (images == 0 || seconds <= 0 || t.step <= 0) return;
  std::printf("Time: %zu images in %.1f s, %.0f images/s (the steps alone %.0f images/s): steps %.1f s, waiting for data %.1f s, "
              "validation %.1f s, checkpoints and logs %.1f s; alongside, the loader's workers: frames %.1f s, augmentation %.1f s\n",
              images, seconds, double(images) / seconds, double(images) / t.step, t.step, t.wait, t.validation, t.callbacks,
              t.decode, t.augment);
  if (r.cache.budget)
    std::printf("Frame cache: %.1f MiB held, %zu reads from memory, %zu decoded\n", double(r.cache.bytes) / mib, r.cache.hits,
                r.cache.misses);
}

template <class Net>
train::result train_network(const settings& s, const std::vector<class_info>& classes, const std::vector<data::sample>& samples,
                     const data::split_indices& split, const std::vector<std::size_t>& test) {
  Net net({.threads = s.threads, .init = s.init, .seed = s.seed});
  train::options options = trainer_options(s);
  options.frozen = start_from(s, classes, net);
  train::trainer trainer(net, options);
  const surface::model_metadata meta{classes, s.roi,
                                     "tarmac-train --net " + s.net + " --augment " + s.augment + " --balance " + s.balance +
                                         " --lr " + std::to_string(s.learning_rate) + " --schedule " + s.schedule +
                                         " --batch " + std::to_string(s.batch) + " --roi " + s.roi.to_string() +
                                         " --seed " + std::to_string(s.seed)};
  std::optional<progress_bar> bar;  // the epoch's: ended before anything else is printed
  const auto end_bar = [&] {
    if (bar) bar->finish();
    bar.reset();
  };
  std::vector<train::epoch_record> records;
  trainer.on.epoch_begin = [&](std::size_t epoch, std::size_t images) { bar.emplace("epoch " + std::to_string(epoch), images, "images"); };
  trainer.on.step = [&](const train::step_report& step) { bar->advance(step.images); };
  trainer.on.skipped = [&](const data::skipped_file& f) {
    end_bar();
    std::fprintf(stderr, "warning: skipped %s: %s\n", f.path.c_str(), f.reason.c_str());
  };
  trainer.on.epoch = [&](const train::epoch_record& r) {
    end_bar();
    if (!s.quiet) {
      std::printf("Training Epoch %zu --- Training Accuracy: %5.1f%%", r.epoch, 100 * r.train_accuracy);
      if (split.validation.empty()) std::printf(" (no validation split)\n");
      else std::printf(", Validation Accuracy: %5.1f%%,  Validation Loss: %.3f\n", 100 * r.validation_accuracy, r.validation_loss);
    }
    std::fflush(stdout);
    records.push_back(r);
    if (!s.log.empty()) train::write_log(s.log, records);
    if (!s.plot.empty()) train::write_learning_curves(s.plot, records);
  };
  if (!s.out.empty()) trainer.on.checkpoint = [&](const train::epoch_record&, Net& best) { surface::save_model(s.out, best, meta); };
  if (!s.quiet) {
    std::vector<std::size_t> read = split.train;
    read.insert(read.end(), split.validation.begin(), split.validation.end());
    read.insert(read.end(), test.begin(), test.end());
    std::sort(read.begin(), read.end());
    print_cache_plan(s, std::size_t(std::unique(read.begin(), read.end()) - read.begin()),
                     {int(Net::input_shape::width), int(Net::input_shape::height)});
    std::fflush(stdout);
  }
  train::result r = trainer.fit(samples, split, test);
  end_bar();
  if (!s.quiet) print_times(r);
  if (r.stopped_early && !s.quiet)
    std::printf("Early stop: validation %s has not improved for %zu epochs\n",
                s.select == "balanced" ? "balanced accuracy" : "accuracy", s.patience);
  if (r.epochs_run == 0)
    throw error(r.interrupted ? "stopped before the first epoch finished: no model was written"
                              : "no image could be used for training: no model was written");
  return r;
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
  args.option("--cache-mb", "MIB", "keep up to MIB mebibytes of decoded frames (ROI, resized to the input: 48 KiB each at "
              "128x128) in memory across epochs; frames past it are decoded every epoch (0 = no cache)", "1024");
  args.option("--seed", "S", "random seed (split, shuffling, augmentation, initialisation)", "1");
}

settings read_options(const cli::parser& args) {
  settings s;
  s.net = args.text("--net");
  s.augment = args.text("--augment");
  s.balance = args.text("--balance");
  s.schedule = args.text("--schedule");
  s.select = args.text("--select");
  const std::string recipe = args.text("--recipe");
  s.init = pick("--init", args.text("--init"), inits);
  s.epochs = std::size_t(args.integer("--epochs", 1, 100000));
  s.iterations = std::size_t(args.integer("--iterations", 0, 100000000));
  s.batch = std::size_t(args.integer("--batch", 1, 4096));
  s.threads = std::size_t(args.integer("--threads", 0, long(tarmac::thread_pool::max_threads)));
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
  s.cache_budget = std::size_t(args.integer("--cache-mb", 0, long(std::min<std::size_t>(std::numeric_limits<long>::max(), SIZE_MAX >> 20)))) << 20;
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
  pick("--net", s.net, nets);
  trainer_options(s);  // checks the other names
  return s;
}

train::options trainer_options(const settings& s) {
  train::options o;
  o.augmentation = pick("--augment", s.augment, augmentations)(s);
  o.balance = pick("--balance", s.balance, balances);
  o.selection = pick("--select", s.select, selections);
  o.schedule = pick("--schedule", s.schedule, schedules);
  o.epochs = s.epochs, o.iterations = s.iterations, o.batch = s.batch, o.patience = s.patience;
  o.learning_rate = s.learning_rate, o.weight_decay = s.weight_decay, o.seed = s.seed;
  o.roi = s.roi, o.tta = s.tta, o.freeze_epochs = s.freeze_epochs, o.cache_budget = s.cache_budget;
  return o;
}

train::result train_classifier(const settings& s, const std::vector<class_info>& classes,
                        const std::vector<data::sample>& samples, const data::split_indices& split,
                        const std::vector<std::size_t>& test) {
  train::training_counts(classes, samples, split.train);
  return train::with_network(pick("--net", s.net, nets), classes.size(), [&]<class Net>() {
    return train_network<Net>(s, classes, samples, split, test);
  });
}

train::labelled_set open_dataset(const fs::path& root) {
  train::labelled_set d(root);
  const auto& samples = d.set.samples();
  if (d.set.classes().size() > train::max_classes)
    throw invalid_argument(root.string() + " has " + std::to_string(d.set.classes().size()) +
                           " class folders; the trainers train 2 to 6 classes");
  for (const auto& f : d.set.skipped()) std::fprintf(stderr, "warning: skipped %s: %s\n", f.path.c_str(), f.reason.c_str());
  // The same frame under two classes cannot be learnt (and leaks between training and test): say so.
  const auto conflicting = d.conflicting();
  std::string examples;
  for (std::size_t g = 0; g < std::min<std::size_t>(conflicting.size(), 3); ++g) {
    examples += "\n  ";
    for (std::size_t k = 0; k < conflicting[g].size(); ++k)
      examples += (k ? " = " : "") + (samples[conflicting[g][k]].path.parent_path().filename() / samples[conflicting[g][k]].path.filename()).string();
  }
  if (!conflicting.empty())
    std::fprintf(stderr, "warning: %s: %zu files are filed under two or more classes (byte-identical copies)%s%s\n",
                 root.c_str(), conflicting.size(), examples.c_str(), conflicting.size() > 3 ? "\n  ..." : "");
  return d;
}

data::split_indices training_split(const settings& s, const train::labelled_set& d) {
  check_init_from(s, d.set.classes());
  return train::training_split(d, s.validation, s.seed);
}

}  // namespace tarmac::training
