#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <tarmac/core/files.hpp>

namespace fs = std::filesystem;

namespace {
std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
fs::path fresh_folder(const char* name) {
  const fs::path dir = fs::temp_directory_path() / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}
}  // namespace

TEST_CASE("write_text_atomically replaces the file and leaves no temporary") {
  const fs::path dir = fresh_folder("tarmac_test_files_a");
  tarmac::write_text_atomically(dir / "out.csv", "first\n");
  tarmac::write_text_atomically(dir / "out.csv", "second\n");
  CHECK(read(dir / "out.csv") == "second\n");
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);
}

TEST_CASE("a failed write keeps the old file and removes the temporary") {
  const fs::path dir = fresh_folder("tarmac_test_files_b");
  tarmac::write_text_atomically(dir / "model.yml", "good\n");
  CHECK_THROWS_AS(tarmac::write_atomically(dir / "model.yml",
                                           [](const fs::path& tmp) {
                                             std::ofstream(tmp) << "half";
                                             throw tarmac::io_error("interrupted");
                                           }),
                  tarmac::io_error);
  CHECK(read(dir / "model.yml") == "good\n");
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);
}

TEST_CASE("writing into a missing folder is a clear io_error") {
  CHECK_THROWS_WITH_AS(tarmac::write_text_atomically("/nonexistent-tarmac-dir/x.csv", "x"),
                       "cannot write /nonexistent-tarmac-dir/x.csv: folder /nonexistent-tarmac-dir does not exist",
                       tarmac::io_error);
}
