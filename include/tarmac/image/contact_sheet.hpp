#pragma once
// Contact sheets: frames as captioned thumbnails on a grid, for showing what a model got wrong
// (eval::mistakes_sheet, tarmac-eval --confused) or what an annotated drive looks like (make demo).
#include <algorithm>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

namespace tarmac::image {

// The frame letterboxed into a cell, with caption lines on a white band below it.
inline cv::Mat thumbnail(const cv::Mat& frame, const std::vector<std::string>& caption, cv::Size cell = {320, 240}) {
  const int line_height = 18, band = line_height * int(caption.size()) + 6;
  cv::Mat tile(cell.height + band, cell.width, CV_8UC3, cv::Scalar(255, 255, 255));
  if (!frame.empty()) {
    const double scale = std::min(double(cell.width) / frame.cols, double(cell.height) / frame.rows);
    const cv::Size size(std::max(1, int(frame.cols * scale)), std::max(1, int(frame.rows * scale)));
    cv::Mat resized;
    cv::resize(frame, resized, size, 0, 0, cv::INTER_AREA);
    resized.copyTo(tile(cv::Rect((cell.width - size.width) / 2, (cell.height - size.height) / 2, size.width, size.height)));
  }
  for (std::size_t i = 0; i < caption.size(); ++i)
    cv::putText(tile, caption[i], {4, cell.height + line_height * int(i + 1)}, cv::FONT_HERSHEY_SIMPLEX, 0.45,
                {0, 0, 0}, 1, cv::LINE_AA);
  return tile;
}

// Tiles (all the same size) row by row, `columns` wide, with a title above.
inline cv::Mat contact_sheet(const std::vector<cv::Mat>& tiles, int columns, const std::string& title) {
  const cv::Size cell = tiles.empty() ? cv::Size(320, 40) : tiles.front().size();
  const int gap = 6, header = 32;
  columns = std::max(1, std::min<int>(columns, int(std::max<std::size_t>(tiles.size(), 1))));
  const int rows = int((tiles.size() + std::size_t(columns) - 1) / std::size_t(columns));
  cv::Mat sheet(header + rows * (cell.height + gap) + gap, columns * (cell.width + gap) + gap, CV_8UC3,
                cv::Scalar(230, 230, 230));
  cv::putText(sheet, title, {gap, 22}, cv::FONT_HERSHEY_SIMPLEX, 0.6, {0, 0, 0}, 1, cv::LINE_AA);
  for (std::size_t i = 0; i < tiles.size(); ++i) {
    const int r = int(i) / columns, c = int(i) % columns;
    tiles[i].copyTo(sheet(cv::Rect(gap + c * (cell.width + gap), header + r * (cell.height + gap), cell.width, cell.height)));
  }
  return sheet;
}

}  // namespace tarmac::image
