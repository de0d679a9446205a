// tarmac-annotate: runs the cascade over a video, an image sequence or a folder of frames and
// writes a Motion-JPEG AVI with the type and quality drawn on every frame (as RTK did), plus
// optionally a per-frame CSV, a contact sheet, and agreement with a truth CSV.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string_view>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <tarmac/core/files.hpp>
#include <tarmac/core/progress.hpp>
#include <tarmac/core/stop.hpp>
#include <tarmac/core/thread_pool.hpp>
#include <tarmac/image/contact_sheet.hpp>
#include <tarmac/image/io.hpp>
#include <tarmac/surface/cascade.hpp>
#include <tarmac/surface/taxonomy.hpp>
#include <tarmac/surface/truth.hpp>
#include <tarmac/video.hpp>

#include "../common/cli.hpp"
#include "../common/image_output.hpp"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  return tarmac::cli::run("tarmac-annotate", [&] {
    tarmac::cli::parser args("tarmac-annotate",
                             "Classifies every frame of INPUT with the cascade (road type, then that type's quality)\n"
                             "and writes OUTPUT.avi (Motion-JPEG, the input's frame size) with the result drawn\n"
                             "top-left as RTK did. Decoding, inference and encoding run in parallel; prints frames/s.\n"
                             "An unreadable frame in a sequence is skipped with a warning; the AVI is written under\n"
                             "a temporary name and renamed when complete.");
    args.positional("INPUT", "a video file, a printf-style image sequence (frames/%06d.png) or a folder of images");
    args.positional("OUTPUT.avi", "the annotated video");
    args.option("--cascade", "YML", "cascade.yml written by tarmac-train-cascade", "");
    args.option("--fps", "N", "frame rate of the output video", "15");
    args.option("--smooth", "F", "smooth probabilities over frames: p = F p_previous + (1 - F) p_frame (0 = off)", "0.6");
    args.option("--csv", "FILE", "per-frame CSV: index, source, type, type probability, quality, quality probability", "");
    args.option("--batch", "N", "frames per inference batch", "16");
    args.option("--threads", "N", "threads for the networks (0 = all cores)", "0");
    args.flag("--show-roi", "outline the region of interest the models see");
    args.option("--roi", "RULE", "region of interest instead of the models' own: rtk, full, or TOP:BOTTOM[,LEFT:RIGHT] fractions", "");
    args.option("--truth", "CSV", "frame,type,quality truth (tarmac-synth --drive): print the agreement", "");
    args.option("--sheet", "PNG", "write a contact sheet of annotated frames", "");
    args.option("--sheet-frames", "N", "frames on the contact sheet, drawn at random with --seed", "8");
    args.option("--seed", "S", "seed for choosing the contact-sheet frames (annotation itself is deterministic)", "1");
    if (!args.parse(argc, argv)) return 0;
    const std::string input = args.argument(0);
    const fs::path output = args.argument(1), csv = args.text("--csv"), sheet = args.text("--sheet"),
                   cascade_path = args.text("--cascade"), truth_path = args.text("--truth");
    if (cascade_path.empty()) throw tarmac::invalid_argument("--cascade is required (see --help)");
    tarmac::video::annotate_options options;
    options.batch = std::size_t(args.integer("--batch", 1, long(tarmac::video::annotate_options::max_batch)));
    options.smoothing = args.real("--smooth", 0, 0.99);
    options.show_roi = args.enabled("--show-roi");
    if (!args.text("--roi").empty()) options.roi = tarmac::image::roi_rule::parse(args.text("--roi"));
    const double fps = args.real("--fps", tarmac::video::avi_writer::min_fps, tarmac::video::avi_writer::max_fps);
    const auto threads = std::size_t(args.integer("--threads", 0, long(tarmac::thread_pool::max_threads)));
    const auto sheet_frames = std::size_t(args.integer("--sheet-frames", 1, 64));
    std::mt19937_64 rng(std::uint64_t(args.integer("--seed", 0, 2147483647L)));
    options.stop = tarmac::stop_requested;  // Ctrl-C, SIGTERM, SIGHUP: the frames in flight finish, OUTPUT is not written

    // Everything that can fail without doing work fails first: outputs, input, truth, then the
    // cascade (seconds to load).
    tarmac::cli::check_output(output, "OUTPUT");
    if (!csv.empty()) tarmac::cli::check_output(csv, "--csv");
    if (!sheet.empty()) tarmac::cli::check_image_output(sheet, "--sheet");
    tarmac::cli::check_distinct({{"INPUT", input.find('%') == std::string::npos ? fs::path(input) : fs::path()},
                                 {"--cascade", cascade_path},
                                 {"--truth", truth_path}},
                                {{"OUTPUT", output}, {"--csv", csv}, {"--sheet", sheet}});
    tarmac::video::avi_writer writer(output, fps);
    tarmac::video::frame_source source(input);
    const tarmac::surface::drive_truth truth = truth_path.empty() ? tarmac::surface::drive_truth{} : tarmac::surface::read_truth(truth_path);
    tarmac::surface::cascade cascade = tarmac::surface::load_cascade(cascade_path, threads);
    if (tarmac::stop_requested()) return 0;  // stopped while loading: nothing was written

    tarmac::video::annotation_log log;
    std::vector<std::pair<std::size_t, cv::Mat>> chosen;  // reservoir sample of annotated frames
    std::size_t seen = 0, compared = 0, type_agrees = 0, both_agree = 0;
    tarmac::progress_bar bar("tarmac-annotate", source.count(), "frames");
    const auto summary = tarmac::video::annotate(
        source, cascade, writer, options,
        [&](const tarmac::video::frame& f, const tarmac::surface::cascade_result& r, const cv::Mat& annotated) {
          log.add(f, r);
          const std::string quality = r.quality ? tarmac::surface::quality_label(r.quality_class) : "";
          if (const auto t = truth.find(f.source_index); t != truth.end()) {
            ++compared;
            const bool type_right = r.type_class.id == t->second.type || r.type_class.label == t->second.type;
            type_agrees += type_right;
            both_agree += type_right && quality == t->second.quality;
          }
          if (!sheet.empty()) {  // keep each frame with probability k / seen (reservoir sampling)
            ++seen;
            const std::size_t slot = chosen.size() < sheet_frames ? chosen.size() : std::uniform_int_distribution<std::size_t>(0, seen - 1)(rng);
            if (slot < sheet_frames) {
              const auto entry = std::make_pair(f.index, tarmac::image::thumbnail(annotated, {f.name}));
              if (slot == chosen.size()) chosen.push_back(entry);
              else chosen[slot] = entry;
            }
          }
          bar.advance();
        });
    bar.finish();
    if (tarmac::stop_requested()) {
      std::printf("Stopped after %zu frames: nothing was written (%s is untouched)\n", summary.frames, output.c_str());
      return 0;
    }
    std::vector<unsigned char> png;
    if (!sheet.empty()) {
      std::sort(chosen.begin(), chosen.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      std::vector<cv::Mat> tiles;
      for (const auto& c : chosen) tiles.push_back(c.second);
      png = tarmac::image::encode_image(sheet, tarmac::image::contact_sheet(tiles, 4, input + ": " + std::to_string(tiles.size()) + " annotated frames"));
    }
    tarmac::video::commit_outputs(writer, {{csv, log.csv()}, {sheet, std::string_view(reinterpret_cast<const char*>(png.data()), png.size())}});
    for (const auto& s : source.skipped()) std::fprintf(stderr, "warning: skipped %s: %s\n", s.name.c_str(), s.reason.c_str());
    if (summary.resized)
      std::fprintf(stderr, "warning: %zu frames differ in size from the first (%dx%d) and were resized to it\n",
                   summary.resized, source.frame_size().width, source.frame_size().height);
    std::printf("Annotated %zu frames (%zu skipped) in %.2f s: %.1f frames/s -> %s\n", summary.frames, summary.skipped,
                summary.seconds, summary.frames_per_second(), output.c_str());
    if (!truth.empty())
      std::printf("Agreement with %s on %zu frames: type %.1f%%, type and quality %.1f%%\n", truth_path.c_str(), compared,
                  compared ? 100.0 * double(type_agrees) / double(compared) : 0.0,
                  compared ? 100.0 * double(both_agree) / double(compared) : 0.0);
    if (!csv.empty()) std::printf("Wrote %s\n", csv.c_str());
    if (!sheet.empty()) std::printf("Wrote %s\n", sheet.c_str());
    return 0;
  });
}
