// tarmac-nms-timing: the classic NMS timing experiment (6000 boxes, thresholds 0.7/0.8/0.9),
// printed in the blog's format for every policy, with the blog's 2018 figures beside them,
// plus a CSV and a log-scale PNG bar chart.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <opencv2/dnn.hpp>

#include <tarmac/core/files.hpp>
#include <tarmac/image/bar_chart.hpp>
#include <tarmac/image/io.hpp>
#include <tarmac/nms.hpp>
#include <tarmac/nms/datasets.hpp>
#include <tarmac/nms/timing.hpp>

#include "../common/cli.hpp"

namespace {

namespace nms = tarmac::nms;

// Grouped bars per threshold, log10 seconds on the vertical axis; the 2018 figures in greys.
cv::Mat chart(const nms::timing_table& table) {
  tarmac::image::bar_chart c;
  c.title = "NMS, " + std::to_string(table.boxes) + " boxes: seconds per call (log scale)";
  for (float t : table.thresholds) {
    char label[32];
    std::snprintf(label, sizeof label, "thresh=%.1f", t);
    c.groups.push_back(label);
  }
  const cv::Scalar greys[] = {{180, 180, 180}, {150, 150, 150}, {110, 110, 110}, {70, 70, 70}};
  const cv::Scalar colours[] = {{60, 120, 230}, {40, 170, 60}, {200, 110, 30}, {30, 30, 200}};
  std::size_t greys_used = 0, colours_used = 0;
  for (const nms::timing_row& r : table.rows)
    c.series.push_back({r.name, r.seconds, r.reference ? greys[greys_used++ % 4] : colours[colours_used++ % 4]});
  if (greys_used) c.notes = {"grey: reported in 2018", "on another machine"};
  c.notes.push_back("colours: measured here");
  return tarmac::image::bar_chart_image(c);
}

}  // namespace

int main(int argc, char** argv) {
  return tarmac::cli::run("tarmac-nms-timing", [&] {
    tarmac::cli::parser args("tarmac-nms-timing",
                             "Times every NMS policy on the classic experiment (boxes from NumPy's stream, seed 1,\n"
                             "pixel-inclusive IoU) and prints the blog's lines, a markdown table, a CSV and a PNG chart.");
    args.option("--reps", "N", "calls averaged per threshold", "50");
    args.option("--boxes", "N", "number of boxes", "6000");
    args.option("--seed", "S", "NumPy seed of the box generator", "1");
    args.option("--png", "FILE", "bar chart to write (the CSV goes beside it, same name .csv)", "nms-timing.png");
    if (!args.parse(argc, argv)) return 0;
    nms::timing_table table;
    table.reps = int(args.integer("--reps", 1, 100000));
    table.boxes = std::size_t(args.integer("--boxes", 1, 10000000));
    table.thresholds = nms::classic_thresholds;
    const auto seed = std::uint32_t(args.integer("--seed", 0, 4294967295L));
    const std::filesystem::path png = args.text("--png");
    if (png.extension() != ".png") throw tarmac::invalid_argument("--png must name a .png file, got " + png.string());
    std::filesystem::path csv_path = png;
    csv_path.replace_extension(".csv");
    tarmac::cli::check_output(png, "--png");  // before the timing, which takes a while
    tarmac::cli::check_output(csv_path, "--png (its CSV)");

    const auto set = nms::classic_boxes(table.boxes, seed);
    std::vector<cv::Rect2d> rects;
    for (const auto& b : set.boxes) rects.emplace_back(b.x1, b.y1, b.x2 - b.x1 + 1, b.y2 - b.y1 + 1);
    // The 2018 figures only describe the classic set (6000 boxes, seed 1).
    if (table.boxes == 6000 && seed == 1) table.rows = nms::blog_rows();
    const auto time = [&](const char* heading, const char* name, auto run) {
      std::printf("%s:\n", heading);
      table.rows.push_back(nms::time_calls(name, table.thresholds, table.reps, run));
      for (std::size_t i = 0; i < table.thresholds.size(); ++i)
        std::printf("thresh=%.1f, time wastes:%.4f\n", table.thresholds[i], table.rows.back().seconds[i]);
    };
    const auto policy = [&](auto tag) {
      return [&, tag](float t) {
        nms::params p;
        p.iou_threshold = t;
        p.convention = nms::coords::pixel_inclusive;
        return nms::nms(set.boxes, set.scores, p, tag).size();
      };
    };
    time("naive (NumPy-style, tarmac)", "naive", policy(nms::naive{}));
    time("suppressed_flag (typed-Cython-style, tarmac)", "suppressed_flag", policy(nms::suppressed_flag{}));
    time("simd (tarmac)", "simd", policy(nms::simd{}));
    time((std::string("cv::dnn::NMSBoxes (OpenCV ") + CV_VERSION + ")").c_str(), "OpenCV NMSBoxes", [&](float t) {
      std::vector<int> keep;
      cv::dnn::NMSBoxes(rects, set.scores, 0.0f, t, keep);
      return keep.size();
    });

    std::printf("%s", nms::timing_markdown(table, "suppressed_flag").c_str());
    tarmac::write_text_atomically(csv_path, nms::timing_csv(table));
    tarmac::image::write_image(png, chart(table));
    std::printf("\nwrote %s and %s\n", png.string().c_str(), csv_path.string().c_str());
    return 0;
  });
}
