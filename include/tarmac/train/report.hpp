#pragma once
// Training reports, each written in one place: the per-epoch CSV log, the learning curves as a
// PNG, and a confusion matrix as text.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "tarmac/core/files.hpp"
#include "tarmac/core/labels.hpp"
#include "tarmac/image/io.hpp"
#include "tarmac/nn/metrics.hpp"
#include "tarmac/train/records.hpp"

namespace tarmac::train {

// One header row, then one row per epoch record.
inline std::string log_csv(const std::vector<epoch_record>& records) {
  std::string csv = "epoch,train_loss,train_accuracy,validation_loss,validation_accuracy,validation_balanced_accuracy,seconds\n";
  char line[160];
  for (const auto& r : records) {
    std::snprintf(line, sizeof line, "%zu,%.6f,%.6f,%.6f,%.6f,%.6f,%.3f\n", r.epoch, r.train_loss, r.train_accuracy,
                  r.validation_loss, r.validation_accuracy, r.validation_balanced_accuracy, r.seconds);
    csv += line;
  }
  return csv;
}

// The log_csv text, written atomically (rewritten after every epoch, it is never half a file).
inline void write_log(const std::filesystem::path& path, const std::vector<epoch_record>& records) {
  write_text_atomically(path, log_csv(records));
}

// Loss (left) and accuracy (right) per epoch, training in blue and validation in orange: a
// 1152 x 416 BGR image.
inline cv::Mat learning_curves(const std::vector<epoch_record>& records) {
  const int panel_w = 480, panel_h = 320, margin = 48;
  cv::Mat image(panel_h + 2 * margin, 2 * (panel_w + 2 * margin), CV_8UC3, cv::Scalar(255, 255, 255));
  auto panel = [&](int x0, const char* title, auto train_value, auto validation_value, double top) {
    const cv::Point origin(x0 + margin, margin + panel_h);
    cv::rectangle(image, {x0 + margin, margin}, {x0 + margin + panel_w, margin + panel_h}, {0, 0, 0}, 1);
    cv::putText(image, title, {x0 + margin, margin - 14}, cv::FONT_HERSHEY_SIMPLEX, 0.6, {0, 0, 0}, 1, cv::LINE_AA);
    char tick[32];
    for (int i = 0; i <= 4; ++i) {
      const int y = origin.y - panel_h * i / 4;
      std::snprintf(tick, sizeof tick, "%.2f", top * i / 4);
      cv::putText(image, tick, {x0 + 4, y + 4}, cv::FONT_HERSHEY_SIMPLEX, 0.35, {80, 80, 80}, 1, cv::LINE_AA);
      cv::line(image, {origin.x, y}, {origin.x + panel_w, y}, {225, 225, 225}, 1);
    }
    std::snprintf(tick, sizeof tick, "epoch %zu", records.empty() ? std::size_t(0) : records.back().epoch);
    cv::putText(image, tick, {origin.x + panel_w - 70, origin.y + 20}, cv::FONT_HERSHEY_SIMPLEX, 0.4, {0, 0, 0}, 1, cv::LINE_AA);
    auto point = [&](std::size_t i, double v) {
      const double x = records.size() > 1 ? double(i) / double(records.size() - 1) : 0.5;
      return cv::Point(origin.x + int(x * panel_w), origin.y - int(std::clamp(v / top, 0.0, 1.0) * panel_h));
    };
    for (std::size_t i = 0; i < records.size(); ++i) {
      const cv::Scalar blue(200, 90, 30), orange(20, 130, 250);
      if (i > 0) {
        cv::line(image, point(i - 1, train_value(records[i - 1])), point(i, train_value(records[i])), blue, 2, cv::LINE_AA);
        cv::line(image, point(i - 1, validation_value(records[i - 1])), point(i, validation_value(records[i])), orange, 2, cv::LINE_AA);
      }
      cv::circle(image, point(i, train_value(records[i])), 3, blue, cv::FILLED, cv::LINE_AA);
      cv::circle(image, point(i, validation_value(records[i])), 3, orange, cv::FILLED, cv::LINE_AA);
    }
    cv::putText(image, "training", {origin.x + 8, margin + 18}, cv::FONT_HERSHEY_SIMPLEX, 0.45, {200, 90, 30}, 1, cv::LINE_AA);
    cv::putText(image, "validation", {origin.x + 8, margin + 36}, cv::FONT_HERSHEY_SIMPLEX, 0.45, {20, 130, 250}, 1, cv::LINE_AA);
  };
  double top_loss = 0.1;
  for (const auto& r : records) top_loss = std::max({top_loss, r.train_loss, r.validation_loss});
  panel(0, "loss", [](const epoch_record& r) { return r.train_loss; },
        [](const epoch_record& r) { return r.validation_loss; }, top_loss * 1.05);
  panel(panel_w + 2 * margin, "accuracy", [](const epoch_record& r) { return r.train_accuracy; },
        [](const epoch_record& r) { return r.validation_accuracy; }, 1.0);
  return image;
}

// learning_curves as an image file (.png), written atomically.
inline void write_learning_curves(const std::filesystem::path& path, const std::vector<epoch_record>& records) {
  image::write_image(path, learning_curves(records));
}

// The width of a table's label column: the longest label and a space, at least 9 (the tables of
// confusion_text and eval's per-class text line up with it).
inline int label_column_width(const std::vector<class_info>& classes) {
  std::size_t width = 9;
  for (const auto& c : classes) width = std::max(width, c.label.size() + 1);
  return int(width);
}

// The matrix under a title line, one row per true class, columns as wide as the longest label.
inline std::string confusion_text(const std::vector<class_info>& classes, const nn::confusion_matrix& m) {
  if (classes.size() != m.classes())
    throw invalid_argument("confusion_text: " + std::to_string(classes.size()) + " class names for a " +
                           std::to_string(m.classes()) + "-class matrix");
  const int width = label_column_width(classes);
  std::string out = "Confusion matrix (rows: true class, columns: predicted)\n" + std::string(std::size_t(width), ' ');
  const auto cell = [&](const std::string& text) { out += std::string(std::size_t(std::max(0, width - int(text.size()))) + 1, ' ') + text; };
  for (const auto& c : classes) cell(c.label);
  out += '\n';
  for (std::size_t t = 0; t < m.classes(); ++t) {
    out += std::string(std::size_t(std::max(0, width - int(classes[t].label.size()))), ' ') + classes[t].label;
    for (std::size_t p = 0; p < m.classes(); ++p) cell(std::to_string(m(t, p)));
    out += '\n';
  }
  return out;
}

}  // namespace tarmac::train
