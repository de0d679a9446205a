// tarmac-train: trains a road-surface classifier on a folder-per-class tree and writes a model
// file (best validation checkpoint), a CSV log and a PNG of the learning curves.
#include <chrono>
#include <cstdio>
#include <string>

#include "../common/cli.hpp"
#include "../common/image_output.hpp"
#include "../common/training_cli.hpp"

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
    args.option("--out", "MODEL", "model file to write (.yml, .json, optionally .gz); must not exist without --force", "model.yml.gz");
    args.flag("--force", "replace an existing --out (only once the first epoch has given a checkpoint)");
    tarmac::training::add_options(args);
    args.option("--log", "CSV", "per-epoch log (written atomically after every epoch)", "");
    args.option("--plot", "PNG", "learning curves (written after every epoch)", "");
    if (!args.parse(argc, argv)) return 0;
    tarmac::training::settings s = tarmac::training::read_options(args);
    s.data = args.text("--data");
    s.out = args.text("--out");
    s.log = args.text("--log");
    s.plot = args.text("--plot");
    if (s.data.empty()) throw tarmac::invalid_argument("--data is required (see --help)");
    // Every output is checked before any work.
    tarmac::surface::detail::storage_format(s.out);
    tarmac::cli::check_output(s.out, "--out");
    if (std::filesystem::exists(s.out) && !args.enabled("--force"))
      throw tarmac::invalid_argument("--out " + s.out.string() + " exists; give --force to replace it, or another name");
    if (!s.log.empty()) tarmac::cli::check_output(s.log, "--log");
    if (!s.plot.empty()) tarmac::cli::check_image_output(s.plot, "--plot");
    tarmac::cli::check_distinct({}, {{"--out", s.out}, {"--log", s.log}, {"--plot", s.plot}});

    const tarmac::train::labelled_set data = tarmac::training::open_dataset(s.data);
    const tarmac::data::folder_dataset& dataset = data.set;
    const auto counts = dataset.counts();
    std::printf("%s: %zu images in %zu classes (", s.data.c_str(), dataset.samples().size(), counts.size());
    for (std::size_t c = 0; c < counts.size(); ++c)
      std::printf("%s%s %zu", c ? ", " : "", dataset.classes()[c].label.c_str(), counts[c]);
    std::printf("); net %s, augment %s, balance %s, roi %s\n", s.net.c_str(), s.augment.c_str(), s.balance.c_str(),
                s.roi.to_string().c_str());
    std::fflush(stdout);

    const auto start = std::chrono::steady_clock::now();
    const auto split = tarmac::training::training_split(s, data);
    const tarmac::train::result r = tarmac::training::train_classifier(s, dataset.classes(), dataset.samples(), split);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (r.interrupted) std::printf("Stopped: kept the best checkpoint of the %zu complete epochs\n", r.epochs_run);
    if (split.validation.empty())
      std::printf("Kept the last epoch, %zu (no validation split: --val 0); %zu epochs, %.1f s\n", r.best.epoch, r.epochs_run, seconds);
    else
      std::printf("Best: epoch %zu, validation accuracy %.1f%%, balanced accuracy %.1f%%, loss %.3f (%zu epochs, %.1f s)\n",
                  r.best.epoch, 100 * r.best.validation_accuracy, 100 * r.best.validation_balanced_accuracy,
                  r.best.validation_loss, r.epochs_run, seconds);
    if (!r.skipped.empty()) std::printf("Skipped %zu files that could not be used (see the warnings)\n", r.skipped.size());
    if (!split.validation.empty()) tarmac::training::print_confusion(dataset.classes(), r.validation);
    std::printf("Wrote %s", s.out.c_str());
    if (!s.log.empty()) std::printf(", %s", s.log.c_str());
    if (!s.plot.empty()) std::printf(", %s", s.plot.c_str());
    std::printf("\n");
    return 0;
  });
}
