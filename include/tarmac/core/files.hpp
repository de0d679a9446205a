#pragma once
// Outputs are written under a temporary name in the destination folder, then renamed, so a
// crash or Ctrl-C never leaves a half-written file under the final name and never destroys
// the previous version.
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <system_error>

#include "tarmac/core/error.hpp"

namespace tarmac {

// Calls write(temporary_path), then renames the temporary over `destination`. If write
// throws, the temporary is removed and the destination is untouched.
template <class Write>
void write_atomically(const std::filesystem::path& destination, Write&& write) {
  namespace fs = std::filesystem;
  const fs::path folder = destination.has_parent_path() ? destination.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(folder, ec))
    throw io_error("cannot write " + destination.string() + ": folder " + folder.string() + " does not exist");
  std::random_device entropy;
  // Keep every extension last ("model.yml.gz" -> "model.tmp-N.yml.gz"): writers such as OpenCV
  // choose the format and the compression from them.
  const std::string name = destination.filename().string();
  const std::size_t dot = name.find('.', 1);
  const std::string base = name.substr(0, dot), extensions = dot == std::string::npos ? "" : name.substr(dot);
  const fs::path temporary = folder / (base + ".tmp-" + std::to_string(entropy()) + extensions);
  try {
    write(temporary);
  } catch (...) {
    fs::remove(temporary, ec);
    throw;
  }
  fs::rename(temporary, destination, ec);
  if (ec) {
    fs::remove(temporary, ec);
    throw io_error("cannot write " + destination.string() + ": rename failed (" + ec.message() + ")");
  }
}

// Writes text to a file atomically.
inline void write_text_atomically(const std::filesystem::path& destination, const std::string& text) {
  write_atomically(destination, [&](const std::filesystem::path& temporary) {
    std::ofstream out(temporary, std::ios::binary);
    out << text;
    out.close();
    if (!out) throw io_error("cannot write " + destination.string() + ": write to " + temporary.string() + " failed");
  });
}

}  // namespace tarmac
