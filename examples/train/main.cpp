// tarmac-train: trains a road-surface classifier on a folder-per-class tree and writes a model
// file (best validation checkpoint), a CSV log and a PNG of the learning curves.
#include <cstdio>
#include <filesystem>
#include <string>

#include <tarmac/data/dataset.hpp>
#include <tarmac/nn.hpp>

#include "../common/cli.hpp"
#include "../common/training.hpp"

namespace {

namespace fs = std::filesystem;
using tarmac::training::settings;

// Network type by --net and class count (compile-time shapes: one instantiation per pair).
template <template <std::size_t, class> class Net, std::size_t K = 2>
tarmac::training::result train_with(std::size_t classes, const settings& s, const tarmac::data::folder_dataset& d) {
  if constexpr (K > 6) {
    throw tarmac::invalid_argument(s.data.string() + " has " + std::to_string(classes) +
                                   " class folders; tarmac-train trains 2 to 6 classes");
  } else {
    if (classes == K) return tarmac::training::train<Net<K, float>>(s, d);
    return train_with<Net, K + 1>(classes, s, d);
  }
}

void check_output_folder(const fs::path& p, const char* option) {
  const fs::path folder = p.has_parent_path() ? p.parent_path() : fs::path(".");
  if (!fs::is_directory(folder))
    throw tarmac::invalid_argument(std::string(option) + " " + p.string() + ": folder " + folder.string() + " does not exist");
}

}  // namespace

int main(int argc, char** argv) {
  return tarmac::cli::run("tarmac-train", [&] {
    tarmac::cli::parser args("tarmac-train",
                             "Trains a classifier on DIR/<class>/*.jpg|png (one folder per class, 2 to 6 classes):\n"
                             "ROI crop, 128x128, the chosen augmentation and balancing, Adam. Prints one line per\n"
                             "epoch, keeps the best validation checkpoint in --out (written atomically), stops early\n"
                             "after --patience epochs without improvement, and prints the validation confusion matrix.\n"
                             "Ctrl-C stops after the current step and keeps the best checkpoint.\n"
                             "--recipe rtk: the RTK tutorial (RTK network, three views, replication, Adam 1e-4, batch 32).");
    args.option("--data", "DIR", "folder with one sub-folder of images per class", "");
    args.option("--out", "MODEL", "model file to write (.yml, .json, optionally .gz)", "model.yml.gz");
    args.option("--recipe", "NAME", "rtk: the RTK tutorial's settings (overrides --net/--augment/--balance/--init)", "");
    args.option("--net", "NAME", "rtk (RTK network, dense 128 head) or gap (global-average-pooling head)", "rtk");
    args.option("--epochs", "N", "epochs", "30");
    args.option("--iterations", "N", "train this many steps instead of --epochs (0 = use --epochs)", "0");
    args.option("--batch", "N", "batch size", "32");
    args.option("--lr", "RATE", "Adam learning rate", "1e-4");
    args.option("--schedule", "NAME", "learning rate: constant, or cosine (down to 1% over --epochs)", "constant");
    args.option("--weight-decay", "W", "decoupled weight decay (AdamW) on weights", "0");
    args.option("--val", "FRACTION", "stratified validation fraction", "0.2");
    args.option("--patience", "N", "stop after N epochs without a better validation accuracy (0 = never)", "10");
    args.option("--augment", "NAME", "rtk (original, brighter, darker views), strong (crop/flip/colour/blur) or none", "rtk");
    args.option("--balance", "NAME", "replicate (RTK), weights (class-weighted loss), sample (balanced draws) or none", "replicate");
    args.option("--init", "NAME", "rtk (truncated normal 0.05, biases 0.05) or he", "rtk");
    args.option("--threads", "N", "threads for the network (0 = all cores)", "0");
    args.option("--seed", "S", "random seed (split, shuffling, augmentation, initialisation)", "1");
    args.option("--log", "CSV", "per-epoch log (written atomically after every epoch)", "");
    args.option("--plot", "PNG", "learning curves (written after every epoch)", "");
    if (!args.parse(argc, argv)) return 0;
    settings s;
    s.data = args.text("--data");
    s.out = args.text("--out");
    if (s.data.empty()) throw tarmac::invalid_argument("--data is required (see --help)");
    s.net = args.text("--net");
    s.augment = args.text("--augment");
    s.balance = args.text("--balance");
    s.schedule = args.text("--schedule");
    const std::string init = args.text("--init"), recipe = args.text("--recipe");
    if (init != "rtk" && init != "he") throw tarmac::invalid_argument("--init must be rtk or he, got '" + init + "'");
    s.init = init == "he" ? tarmac::nn::init_scheme::he : tarmac::nn::init_scheme::rtk;
    if (recipe == "rtk") {
      s.net = "rtk", s.augment = "rtk", s.balance = "replicate", s.init = tarmac::nn::init_scheme::rtk;
    } else if (!recipe.empty()) {
      throw tarmac::invalid_argument("--recipe must be rtk, got '" + recipe + "'");
    }
    s.epochs = std::size_t(args.integer("--epochs", 1, 100000));
    s.iterations = std::size_t(args.integer("--iterations", 0, 100000000));
    s.batch = std::size_t(args.integer("--batch", 1, 4096));
    s.threads = std::size_t(args.integer("--threads", 0, 1024));
    s.patience = std::size_t(args.integer("--patience", 0, 100000));
    s.seed = std::uint64_t(args.integer("--seed", 0, 2147483647L));
    s.learning_rate = args.real("--lr", 1e-8, 10);
    s.weight_decay = args.real("--weight-decay", 0, 10);
    s.validation = args.real("--val", 0, 0.9);
    s.log = args.text("--log");
    s.plot = args.text("--plot");
    if (s.net != "rtk" && s.net != "gap") throw tarmac::invalid_argument("--net must be rtk or gap, got '" + s.net + "'");
    // Every output is checked before any work.
    tarmac::surface::detail::storage_format(s.out);
    check_output_folder(s.out, "--out");
    if (!s.log.empty()) check_output_folder(s.log, "--log");
    if (!s.plot.empty()) check_output_folder(s.plot, "--plot");

    const tarmac::data::folder_dataset dataset(s.data);
    if (dataset.classes().size() < 2)
      throw tarmac::invalid_argument(s.data.string() + " has only one class folder (" + dataset.classes()[0].id +
                                     "): a classifier needs two or more");
    for (const auto& f : dataset.skipped()) std::fprintf(stderr, "warning: skipped %s: %s\n", f.path.c_str(), f.reason.c_str());
    const auto counts = dataset.counts();
    std::printf("%s: %zu images in %zu classes (", s.data.c_str(), dataset.samples().size(), counts.size());
    for (std::size_t c = 0; c < counts.size(); ++c)
      std::printf("%s%s %zu", c ? ", " : "", dataset.classes()[c].label.c_str(), counts[c]);
    std::printf("); net %s, augment %s, balance %s\n", s.net.c_str(), s.augment.c_str(), s.balance.c_str());
    std::fflush(stdout);

    tarmac::training::stop_on_ctrl_c();
    const auto start = std::chrono::steady_clock::now();
    const tarmac::training::result r = s.net == "gap"
                                           ? train_with<tarmac::nn::gap_net>(counts.size(), s, dataset)
                                           : train_with<tarmac::nn::rtk_net>(counts.size(), s, dataset);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (r.interrupted) std::printf("Interrupted: kept the best checkpoint so far\n");
    std::printf("Best: epoch %zu, validation accuracy %.1f%%, validation loss %.3f (%zu epochs, %.1f s)\n",
                r.best.epoch, 100 * r.best.validation_accuracy, r.best.validation_loss, r.epochs_run, seconds);
    tarmac::training::print_confusion(dataset.classes(), r.matrix);
    std::printf("Wrote %s", s.out.c_str());
    if (!s.log.empty()) std::printf(", %s", s.log.c_str());
    if (!s.plot.empty()) std::printf(", %s", s.plot.c_str());
    std::printf("\n");
    return r.interrupted ? 130 : 0;
  });
}
