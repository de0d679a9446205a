// tarmac-train-cascade: trains the RTK cascade from the RTK folder layout (a type model and one
// quality model per type) and writes DIR/cascade.yml naming the model files.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <tarmac/surface/cascade.hpp>
#include <tarmac/surface/taxonomy.hpp>

#include "../common/cli.hpp"
#include "../common/training_cli.hpp"

namespace {

namespace fs = std::filesystem;

struct job {
  std::string name;  // "type", or the type class id
  fs::path data, model;
};

struct outcome {
  std::string name;
  std::vector<tarmac::class_info> classes;
  tarmac::train::result result;
  double seconds = 0;
};

// What training one model writes: the model, its CSV log and its PNG curves.
std::vector<fs::path> outputs(const job& j, const fs::path& out) {
  const std::string stem = j.model.filename().string().substr(0, j.model.filename().string().find('.'));
  return {j.model, out / (stem + ".csv"), out / (stem + ".png")};
}

outcome train_one(const job& j, const tarmac::train::labelled_set& data, tarmac::training::settings s,
                  const fs::path& out) {
  const tarmac::data::folder_dataset& dataset = data.set;
  const auto counts = dataset.counts();
  std::printf("\n== %s model from %s (", j.name.c_str(), j.data.c_str());
  for (std::size_t c = 0; c < counts.size(); ++c)
    std::printf("%s%s %zu", c ? ", " : "", dataset.classes()[c].label.c_str(), counts[c]);
  std::printf(") -> %s\n", j.model.c_str());
  std::fflush(stdout);
  s.data = j.data;
  const auto files = outputs(j, out);
  s.out = files[0], s.log = files[1], s.plot = files[2];
  const auto start = std::chrono::steady_clock::now();
  const auto split = tarmac::training::training_split(s, data);
  outcome o{j.name, dataset.classes(), tarmac::training::train_classifier(s, dataset.classes(), dataset.samples(), split), 0};
  o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("Best: epoch %zu, validation accuracy %.1f%%, balanced accuracy %.1f%% (%zu epochs, %.1f s)\n",
              o.result.best.epoch, 100 * o.result.best.validation_accuracy, 100 * o.result.best.validation_balanced_accuracy,
              o.result.epochs_run, o.seconds);
  tarmac::training::print_confusion(dataset.classes(), o.result.validation);
  return o;
}

std::vector<std::string> ids(const std::vector<tarmac::class_info>& classes) {
  std::vector<std::string> out;
  for (const auto& c : classes) out.push_back(c.id);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  return tarmac::cli::run("tarmac-train-cascade", [&] {
    tarmac::cli::parser args("tarmac-train-cascade",
                             "Trains the RTK cascade from ROOT in the RTK layout: a type model on\n"
                             "ROOT/training_data_type/<type>/, and for each type a quality model on\n"
                             "ROOT/training_data_<type>_quality/<quality>/ (a type without that folder gets no\n"
                             "quality model, and says so). Writes DIR/type.yml.gz, DIR/<type>_quality.yml.gz, their\n"
                             "CSV logs and PNG curves, and last DIR/cascade.yml naming the models. The training\n"
                             "flags are tarmac-train's and apply to every model.");
    args.option("--data", "ROOT", "folder in the RTK layout (training_data_type/, training_data_<type>_quality/)", "");
    args.option("--out", "DIR", "folder for the models and cascade.yml (created; must not hold a cascade)", "cascade");
    args.flag("--force", "replace model files an unfinished earlier run left in --out (a cascade.yml is never replaced)");
    tarmac::training::add_options(args);
    if (!args.parse(argc, argv)) return 0;
    const tarmac::training::settings s = tarmac::training::read_options(args);
    const fs::path root = args.text("--data"), out = args.text("--out");
    if (root.empty()) throw tarmac::invalid_argument("--data is required (see --help)");
    const tarmac::folder_listing listing = tarmac::list_folder(root, "--data");
    const fs::path type_root = root / tarmac::surface::type_root;
    if (!fs::is_directory(type_root))
      throw tarmac::invalid_argument(root.string() + " is not in the RTK layout: " + type_root.string() +
                                     " is missing (see --help)");
    const fs::path parent = out.has_parent_path() ? out.parent_path() : fs::path(".");
    if (!fs::is_directory(parent)) throw tarmac::invalid_argument("--out " + out.string() + ": folder " + parent.string() + " does not exist");
    if (fs::exists(out) && !fs::is_directory(out)) throw tarmac::invalid_argument("--out " + out.string() + " is a file; give a folder");
    if (fs::exists(out / "cascade.yml"))
      throw tarmac::invalid_argument(out.string() + " already holds a cascade (cascade.yml); choose another --out or remove it");
    tarmac::cli::check_output(fs::is_directory(out) ? out / "cascade.yml" : out, "--out");

    // Discover the jobs before any training, so a layout problem costs nothing.
    std::vector<tarmac::train::labelled_set> data{tarmac::training::open_dataset(type_root)};
    const std::vector<tarmac::class_info> types = data[0].set.classes();
    std::vector<job> jobs{{"type", type_root, out / "type.yml.gz"}};
    for (const tarmac::class_info& t : types) {
      const fs::path folder = root / tarmac::surface::quality_root(t.id);
      if (fs::is_directory(folder))
        jobs.push_back({t.id, folder, out / (t.id + "_quality.yml.gz")});
      else
        std::printf("note: %s is missing: %s frames get no quality model\n", folder.c_str(), t.id.c_str());
    }
    for (const auto& p : listing.problems) std::fprintf(stderr, "warning: skipped %s: %s\n", p.path.c_str(), p.reason.c_str());
    for (const fs::path& folder : listing.folders) {
      const std::optional<std::string> type = tarmac::surface::quality_root_type(folder.filename().string());
      if (!type) continue;
      bool known = false;
      for (const auto& t : types) known = known || t.id == *type;
      if (!known)
        std::fprintf(stderr, "warning: %s is for type '%s', which %s does not have: ignored\n", folder.c_str(),
                     type->c_str(), type_root.c_str());
    }
    // Every job's data is opened and split before the first model trains: a folder that cannot
    // be trained on fails now, not after the models before it. Files of an unfinished earlier
    // run are not replaced without --force.
    for (std::size_t i = 1; i < jobs.size(); ++i) data.push_back(tarmac::training::open_dataset(jobs[i].data));
    for (const auto& d : data) tarmac::training::training_split(s, d);
    for (const job& j : jobs)
      for (const fs::path& file : outputs(j, out))
        if (fs::exists(file) && !args.enabled("--force"))
          throw tarmac::invalid_argument(file.string() + " exists (from an earlier run?); give --force to replace it, or another --out");
    std::error_code ec;
    fs::create_directories(out, ec);
    if (ec) throw tarmac::io_error("cannot create " + out.string() + ": " + ec.message());

    std::vector<outcome> done;
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      done.push_back(train_one(jobs[i], data[i], s, out));
      if (done.back().result.interrupted) {
        std::printf("Stopped: %s kept its best checkpoint; no cascade.yml was written\n", jobs[i].model.c_str());
        return 0;
      }
    }
    tarmac::surface::cascade_description d;
    d.type_model = {"", jobs[0].model.filename(), ids(done[0].classes)};
    for (std::size_t i = 1; i < jobs.size(); ++i) d.quality_models.push_back({jobs[i].name, jobs[i].model.filename(), ids(done[i].classes)});
    tarmac::surface::write_cascade_file(out / "cascade.yml", d);

    std::printf("\n%-12s %8s %10s %7s %8s\n", "model", "classes", "val. acc.", "epochs", "seconds");
    for (const outcome& o : done)
      std::printf("%-12s %8zu %9.1f%% %7zu %8.1f\n", o.name.c_str(), o.classes.size(),
                  100 * o.result.best.validation_accuracy, o.result.epochs_run, o.seconds);
    std::printf("Wrote %s\n", (out / "cascade.yml").c_str());
    return 0;
  });
}
