#pragma once
// What a model got wrong, to look at: the misclassified frames as a contact sheet, each with
// the region of interest the model sees outlined and its true and called class.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "tarmac/core/labels.hpp"
#include "tarmac/data/dataset.hpp"
#include "tarmac/eval/report.hpp"
#include "tarmac/image/contact_sheet.hpp"
#include "tarmac/image/io.hpp"
#include "tarmac/image/roi.hpp"

namespace tarmac::eval {

// The first `most` wrong predictions in order, 4 to a row, under a title that counts them
// against all the predictions. A frame that cannot be read again shows as a blank tile.
inline cv::Mat mistakes_sheet(const std::vector<prediction>& predictions, const std::vector<data::sample>& samples,
                              const std::vector<class_info>& classes, const image::roi_rule& roi, std::size_t most = 60) {
  std::vector<cv::Mat> tiles;
  std::size_t wrong = 0;
  for (const prediction& p : predictions) {
    if (p.predicted == p.truth || ++wrong > most) continue;
    const std::filesystem::path& path = samples.at(p.sample).path;
    std::string unreadable;
    cv::Mat frame = image::read_image(path, unreadable);
    if (!frame.empty()) cv::rectangle(frame, roi.rect(frame.size()), {0, 255, 255}, std::max(2, frame.rows / 150));
    char called[160];
    std::snprintf(called, sizeof called, "true %s, called %s (%.2f)", classes.at(p.truth).label.c_str(),
                  classes.at(p.predicted).label.c_str(), p.probability);
    tiles.push_back(image::thumbnail(frame, {called, path.parent_path().filename().string() + "/" + path.filename().string()}));
  }
  const std::string title = std::to_string(wrong) + " of " + std::to_string(predictions.size()) + " frames misclassified" +
                            (wrong > most ? " (first " + std::to_string(most) + " shown)" : "") +
                            "; yellow: the ROI the model sees";
  return image::contact_sheet(tiles, 4, title);
}

}  // namespace tarmac::eval
