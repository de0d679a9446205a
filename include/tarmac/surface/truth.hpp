#pragma once
// The truth of a drive, one row per frame: `frame,type,quality` (tarmac-synth --drive writes it;
// tarmac-annotate --truth compares a cascade's answers with it). Types and qualities are class
// ids as the cascade's models name them, so a user's own labels fit too.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "tarmac/core/error.hpp"
#include "tarmac/core/files.hpp"

namespace tarmac::surface {

struct truth_row {
  std::string type, quality;  // quality may be empty: a type without quality classes
  bool operator==(const truth_row&) const = default;
};

// Frame number -> its truth.
using drive_truth = std::map<std::size_t, truth_row>;

inline constexpr std::string_view truth_header = "frame,type,quality";

// Writes the rows atomically (a failed write keeps an old file). Fields must not hold commas or
// line breaks: such an id is refused rather than written as a file that reads back differently.
inline void write_truth(const std::filesystem::path& path, const drive_truth& rows) {
  std::string text = std::string(truth_header) + "\n";
  for (const auto& [frame, row] : rows) {
    for (const std::string* field : {&row.type, &row.quality})
      if (field->find_first_of(",\r\n") != std::string::npos)
        throw invalid_argument("truth file " + path.string() + ": frame " + std::to_string(frame) + " has a label with a comma or line break: '" + *field + "'");
    if (row.type.empty()) throw invalid_argument("truth file " + path.string() + ": frame " + std::to_string(frame) + " has no type");
    text += std::to_string(frame) + "," + row.type + "," + row.quality + "\n";
  }
  write_text_atomically(path, text);
}

inline drive_truth read_truth(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw io_error("cannot read truth file " + path.string());
  drive_truth rows;
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (!line.starts_with(truth_header))
    throw format_error("truth file " + path.string() + ": the first line must be " + std::string(truth_header));
  for (std::size_t number = 2; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();  // Windows line ends
    if (line.empty()) continue;
    std::stringstream fields(line);
    std::string frame, type, quality;
    std::getline(fields, frame, ',');
    std::getline(fields, type, ',');
    std::getline(fields, quality, ',');
    char* end = nullptr;
    const unsigned long index = std::strtoul(frame.c_str(), &end, 10);
    if (frame.empty() || *end != '\0' || type.empty())
      throw format_error("truth file " + path.string() + ": line " + std::to_string(number) + " is not " + std::string(truth_header));
    if (!rows.emplace(index, truth_row{type, quality}).second)
      throw format_error("truth file " + path.string() + ": line " + std::to_string(number) + " repeats frame " + frame);
  }
  return rows;
}

}  // namespace tarmac::surface
