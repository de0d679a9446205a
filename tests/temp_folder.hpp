#pragma once
// What the tests that write files share: a fresh folder removed with everything in it at the
// end of the test, a file written with given bytes, and class lists whose labels are their ids.
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <random>
#include <string>
#include <vector>

#include <tarmac/core/labels.hpp>

struct temp_folder {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("tarmac-test-" + std::to_string(std::random_device{}()));
  temp_folder() { std::filesystem::create_directories(path); }
  ~temp_folder() { std::filesystem::remove_all(path); }
};

inline void write_file(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}

inline std::vector<tarmac::class_info> named(std::initializer_list<const char*> ids) {
  std::vector<tarmac::class_info> out;
  for (const char* id : ids) out.push_back({id, id});
  return out;
}
