// tarmac-nms-timing: the classic NMS timing experiment (6000 boxes, thresholds 0.7/0.8/0.9),
// printed in the blog's format for every policy, with the blog's 2018 figures beside them,
// plus a CSV and a log-scale PNG bar chart.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include <opencv2/dnn.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <tarmac/core/files.hpp>
#include <tarmac/image/io.hpp>
#include <tarmac/nms.hpp>
#include <tarmac/nms/datasets.hpp>

#include "../common/cli.hpp"

namespace {

namespace nms = tarmac::nms;

struct row {
  std::string name;
  bool reference;               // reported in 2018 on another machine
  std::vector<double> seconds;  // per threshold
  std::vector<std::size_t> kept;
};

const std::vector<float> thresholds = {0.7f, 0.8f, 0.9f};

// The blog's figures (seconds per call, thresholds 0.7 / 0.8 / 0.9), reported on its machine.
std::vector<row> blog_rows() {
  return {{"pure Python (2018)", true, {0.0287, 0.1057, 0.4204}, {}},
          {"Cython (2018)", true, {0.0272, 0.1038, 0.4184}, {}},
          {"typed Cython (2018)", true, {0.0019, 0.0028, 0.0036}, {}},
          {"CUDA gpu_nms (2018)", true, {0.0120, 0.0063, 0.0071}, {}}};
}

using runner = std::function<std::size_t(float threshold)>;

row measure(const std::string& name, int reps, const runner& run) {
  row r{name, false, {}, {}};
  for (float t : thresholds) {
    std::size_t kept = run(t);  // warm-up; also the kept count
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < reps; ++i) kept = run(t);
    const double mean = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / reps;
    std::printf("thresh=%.1f, time wastes:%.4f\n", t, mean);
    r.seconds.push_back(mean);
    r.kept.push_back(kept);
  }
  return r;
}

std::string markdown(const std::vector<row>& rows, const row& baseline, std::size_t boxes, int reps) {
  std::ostringstream out;
  out << "\n| policy (" << boxes << " boxes, mean of " << reps << " calls) | t=0.7 | t=0.8 | t=0.9 | kept | vs suppressed_flag |\n"
      << "|---|---|---|---|---|---|\n";
  char cell[64];
  for (const row& r : rows) {
    out << "| " << r.name << (r.reference ? " *" : "") << " |";
    for (double s : r.seconds) {
      std::snprintf(cell, sizeof cell, " %.4f s |", s);
      out << cell;
    }
    std::string kept, ratio;
    for (std::size_t i = 0; i < r.kept.size(); ++i) kept += (i ? " / " : "") + std::to_string(r.kept[i]);
    for (std::size_t i = 0; i < thresholds.size() && !r.reference; ++i) {
      std::snprintf(cell, sizeof cell, "%s%.1fx", i ? " / " : "", baseline.seconds[i] / r.seconds[i]);
      ratio += cell;
    }
    out << " " << (r.reference ? "-" : kept) << " | " << (r.reference ? "-" : ratio) << " |\n";
  }
  if (!rows.empty() && rows.front().reference)
    out << "\n* reported in 2018 on another machine (Python/Cython/CUDA NMS blog); not measured here.\n";
  return out.str();
}

std::string csv(const std::vector<row>& rows) {
  std::ostringstream out;
  out << "policy,source,threshold,seconds,kept\n";
  for (const row& r : rows)
    for (std::size_t i = 0; i < thresholds.size(); ++i)
      out << r.name << "," << (r.reference ? "reported_2018" : "measured") << "," << thresholds[i] << ","
          << r.seconds[i] << "," << (r.reference ? std::string() : std::to_string(r.kept[i])) << "\n";
  return out.str();
}

// Grouped bars per threshold, log10 seconds on the vertical axis.
cv::Mat chart(const std::vector<row>& rows, std::size_t boxes) {
  const int width = 1100, height = 560, left = 90, right = 300, top = 60, bottom = 60;
  cv::Mat img(height, width, CV_8UC3, cv::Scalar(255, 255, 255));
  double lo = 1e9, hi = 0;
  for (const row& r : rows)
    for (double s : r.seconds) lo = std::min(lo, s), hi = std::max(hi, s);
  const double decade_lo = std::floor(std::log10(lo)), decade_hi = std::ceil(std::log10(hi));
  const int plot_w = width - left - right, plot_h = height - top - bottom;
  auto y_of = [&](double s) {
    return top + int(plot_h * (decade_hi - std::log10(s)) / std::max(1.0, decade_hi - decade_lo));
  };
  const auto font = cv::FONT_HERSHEY_SIMPLEX;
  cv::putText(img, "NMS, " + std::to_string(boxes) + " boxes: seconds per call (log scale)", {left, 35}, font, 0.75,
              {0, 0, 0}, 2, cv::LINE_AA);
  for (double d = decade_lo; d <= decade_hi; ++d) {
    const int y = y_of(std::pow(10.0, d));
    cv::line(img, {left, y}, {left + plot_w, y}, {220, 220, 220}, 1);
    cv::putText(img, "1e" + std::to_string(int(d)), {15, y + 5}, font, 0.5, {60, 60, 60}, 1, cv::LINE_AA);
  }
  const cv::Scalar greys[] = {{180, 180, 180}, {150, 150, 150}, {110, 110, 110}, {70, 70, 70}};
  const cv::Scalar colours[] = {{60, 120, 230}, {40, 170, 60}, {200, 110, 30}, {30, 30, 200}};
  std::vector<cv::Scalar> palette;
  std::size_t greys_used = 0, colours_used = 0;
  for (const row& r : rows) palette.push_back(r.reference ? greys[greys_used++ % 4] : colours[colours_used++ % 4]);
  const int group_w = plot_w / int(thresholds.size()), bar_w = std::max(4, (group_w - 30) / int(rows.size()));
  for (std::size_t t = 0; t < thresholds.size(); ++t) {
    const int x0 = left + int(t) * group_w + 15;
    for (std::size_t r = 0; r < rows.size(); ++r) {
      const int x = x0 + int(r) * bar_w;
      cv::rectangle(img, {x, y_of(rows[r].seconds[t])}, {x + bar_w - 2, top + plot_h}, palette[r], cv::FILLED);
    }
    char label[32];
    std::snprintf(label, sizeof label, "thresh=%.1f", thresholds[t]);
    cv::putText(img, label, {x0 + group_w / 2 - 60, top + plot_h + 30}, font, 0.6, {0, 0, 0}, 1, cv::LINE_AA);
  }
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const int y = top + 10 + int(r) * 28;
    cv::rectangle(img, {width - right + 20, y}, {width - right + 38, y + 18}, palette[r], cv::FILLED);
    cv::putText(img, rows[r].name, {width - right + 46, y + 15}, font, 0.5, {0, 0, 0}, 1, cv::LINE_AA);
  }
  const char* note[] = {"grey: reported in 2018", "on another machine", "colours: measured here"};
  for (int line = greys_used ? 0 : 2; line < 3; ++line)
    cv::putText(img, note[line], {width - right + 20, height - 70 + 22 * line}, font, 0.45, {90, 90, 90}, 1,
                cv::LINE_AA);
  return img;
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
    const int reps = int(args.integer("--reps", 1, 100000));
    const auto count = std::size_t(args.integer("--boxes", 1, 10000000));
    const auto seed = std::uint32_t(args.integer("--seed", 0, 4294967295L));
    const std::filesystem::path png = args.text("--png");
    if (png.extension() != ".png") throw tarmac::invalid_argument("--png must name a .png file, got " + png.string());
    std::filesystem::path csv_path = png;
    csv_path.replace_extension(".csv");
    tarmac::cli::check_output(png, "--png");  // before the timing, which takes a while
    tarmac::cli::check_output(csv_path, "--png (its CSV)");

    const auto set = nms::classic_boxes(count, seed);
    std::vector<cv::Rect2d> rects;
    for (const auto& b : set.boxes) rects.emplace_back(b.x1, b.y1, b.x2 - b.x1 + 1, b.y2 - b.y1 + 1);

    auto policy_runner = [&](auto policy) -> runner {
      return [&, policy](float t) {
        nms::params p;
        p.iou_threshold = t;
        p.convention = nms::coords::pixel_inclusive;
        return nms::nms(set.boxes, set.scores, p, policy).size();
      };
    };
    // The 2018 figures only describe the classic set (6000 boxes, seed 1).
    std::vector<row> rows = count == 6000 && seed == 1 ? blog_rows() : std::vector<row>{};
    std::printf("naive (NumPy-style, tarmac):\n");
    rows.push_back(measure("naive", reps, policy_runner(nms::naive{})));
    std::printf("suppressed_flag (typed-Cython-style, tarmac):\n");
    rows.push_back(measure("suppressed_flag", reps, policy_runner(nms::suppressed_flag{})));
    std::printf("simd (tarmac):\n");
    rows.push_back(measure("simd", reps, policy_runner(nms::simd{})));
    std::printf("cv::dnn::NMSBoxes (OpenCV %s):\n", CV_VERSION);
    rows.push_back(measure("OpenCV NMSBoxes", reps, [&](float t) {
      std::vector<int> keep;
      cv::dnn::NMSBoxes(rects, set.scores, 0.0f, t, keep);
      return keep.size();
    }));

    const row& baseline = *std::find_if(rows.begin(), rows.end(), [](const row& r) { return r.name == "suppressed_flag"; });
    std::printf("%s", markdown(rows, baseline, count, reps).c_str());
    tarmac::write_text_atomically(csv_path, csv(rows));
    tarmac::image::write_image(png, chart(rows, count));
    std::printf("\nwrote %s and %s\n", png.string().c_str(), csv_path.string().c_str());
    return 0;
  });
}
