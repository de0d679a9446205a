#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <tarmac/core/files.hpp>
#include <tarmac/core/gzip.hpp>
#include <tarmac/core/stop.hpp>

#include "../failing_disk.hpp"

namespace fs = std::filesystem;

namespace {
std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
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
std::size_t entries(const fs::path& dir) { return std::size_t(std::distance(fs::directory_iterator(dir), fs::directory_iterator())); }
}  // namespace

TEST_CASE("write_text_atomically replaces the file and leaves no temporary") {
  const fs::path dir = fresh_folder("tarmac_test_files_a");
  tarmac::write_text_atomically(dir / "out.csv", "first\n");
  tarmac::write_text_atomically(dir / "out.csv", "second\n");
  CHECK(read(dir / "out.csv") == "second\n");
  CHECK(entries(dir) == 1);
}

TEST_CASE("a failed write keeps the old file and removes the temporary") {
  const fs::path dir = fresh_folder("tarmac_test_files_b");
  tarmac::write_text_atomically(dir / "model.yml", "good\n");
  CHECK_THROWS_AS(tarmac::write_atomically(dir / "model.yml",
                                           [](tarmac::output_file& file) {
                                             file.write("half");
                                             throw tarmac::io_error("interrupted");
                                           }),
                  tarmac::io_error);
  CHECK(read(dir / "model.yml") == "good\n");
  CHECK(entries(dir) == 1);
}

TEST_CASE("outputs that cannot be written are clear io_errors before any work") {
  CHECK_THROWS_WITH_AS(tarmac::write_text_atomically("/nonexistent-tarmac-dir/x.csv", "x"),
                       "cannot write /nonexistent-tarmac-dir/x.csv: folder /nonexistent-tarmac-dir does not exist",
                       tarmac::io_error);
  const fs::path dir = fresh_folder("tarmac_test_files_c");
  fs::create_directories(dir / "a-folder");
  CHECK_THROWS_WITH_AS(tarmac::check_writable(dir / "a-folder"), doctest::Contains("it is a folder"), tarmac::io_error);
  // A read-only folder: permissions bind everyone but root, a read-only mount binds root too.
  if (geteuid() != 0) {
    fs::permissions(dir, fs::perms::owner_read | fs::perms::owner_exec);
    CHECK_THROWS_WITH_AS(tarmac::check_writable(dir / "x.csv"), doctest::Contains("is not writable (Permission denied)"), tarmac::io_error);
    fs::permissions(dir, fs::perms::owner_all);
  } else if (small_filesystem ro(16); ro.mounted) {
    REQUIRE(::mount("tmpfs", ro.path.c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY, "size=16k") == 0);
    CHECK_THROWS_WITH_AS(tarmac::check_writable(ro.path / "x.csv"), doctest::Contains("Read-only file system"), tarmac::io_error);
  }
}

TEST_CASE("check_distinct refuses an output that is an input or another output") {
  const fs::path dir = fresh_folder("tarmac_test_files_distinct");
  tarmac::write_text_atomically(dir / "in.avi", "video");
  CHECK_THROWS_WITH_AS(tarmac::check_distinct({{"INPUT", dir / "in.avi"}}, {{"OUTPUT", dir / "." / "in.avi"}}),
                       ("OUTPUT " + (dir / "." / "in.avi").string() + " is the INPUT " + (dir / "in.avi").string() +
                        ": it would be replaced").c_str(),
                       tarmac::invalid_argument);
  CHECK_THROWS_WITH_AS(tarmac::check_distinct({}, {{"OUTPUT", dir / "a.csv"}, {"--csv", dir / "sub" / ".." / "a.csv"}}),
                       ("--csv and OUTPUT are the same file " + (dir / "sub" / ".." / "a.csv").string()).c_str(),
                       tarmac::invalid_argument);
  CHECK_NOTHROW(tarmac::check_distinct({{"INPUT", dir / "in.avi"}, {"--truth", {}}},
                                       {{"OUTPUT", dir / "out.avi"}, {"--csv", {}}, {"--sheet", dir / "out.png"}}));
}

TEST_CASE("atomic_file creates its temporary only when there is something to write") {
  const fs::path dir = fresh_folder("tarmac_test_files_d");
  {
    tarmac::atomic_file out(dir / "video.avi");
    CHECK(entries(dir) == 0);
    out.file().write("x");
    CHECK(entries(dir) == 1);
  }
  CHECK(entries(dir) == 0);  // abandoned: removed
  tarmac::atomic_file out(dir / "video.avi");
  out.file().write("frames");
  out.close();
  CHECK_FALSE(fs::exists(dir / "video.avi"));  // complete on disk, not yet in place
  out.commit();
  CHECK(read(dir / "video.avi") == "frames");
}

TEST_CASE("a write past the file-size limit is an io_error that keeps the old file") {
  const fs::path dir = fresh_folder("tarmac_test_files_e");
  tarmac::write_text_atomically(dir / "model.yml", "the user's model\n");
  {
    file_size_limit limit(4096);
    CHECK_THROWS_WITH_AS(tarmac::write_text_atomically(dir / "model.yml", std::string(10000, 'x')),
                         doctest::Contains(("cannot write " + (dir / "model.yml").string() + ": file too large").c_str()), tarmac::io_error);
  }
  CHECK(read(dir / "model.yml") == "the user's model\n");
  CHECK(entries(dir) == 1);
}

TEST_CASE("a full disk is reported as such and keeps the old file") {
  small_filesystem disk(64);
  if (!disk.mounted) return;
  tarmac::write_text_atomically(disk.path / "drive.csv", "the user's table\n");
  CHECK_THROWS_WITH_AS(tarmac::write_text_atomically(disk.path / "drive.csv", std::string(200 * 1024, 'x')),
                       doctest::Contains("disk full (no space left on device)"), tarmac::io_error);
  CHECK(read(disk.path / "drive.csv") == "the user's table\n");
  CHECK(entries(disk.path) == 1);
}

TEST_CASE("write_at fills in earlier bytes, never past the end") {
  const fs::path dir = fresh_folder("tarmac_test_files_f");
  tarmac::write_atomically(dir / "a.bin", [](tarmac::output_file& f) {
    f.write("RIFF....AVI ");
    f.write_at(4, "1234", 4);
    CHECK(f.size() == 12);
    CHECK_THROWS_AS(f.write_at(10, "xyz", 3), tarmac::invalid_argument);
  });
  CHECK(read(dir / "a.bin") == "RIFF1234AVI ");
}

TEST_CASE("list_folder reports symlink loops and dangling symlinks instead of failing on them") {
  const fs::path dir = fresh_folder("tarmac_test_files_g");
  fs::create_directories(dir / "asphalt");
  std::ofstream(dir / "b.png") << "x";
  fs::create_directory_symlink(dir, dir / "loop-to-self");
  fs::create_symlink(dir / "loop-a", dir / "loop-b");
  fs::create_symlink(dir / "loop-b", dir / "loop-a");
  fs::create_symlink(dir / "gone.png", dir / "dangling.png");
  const tarmac::folder_listing l = tarmac::list_folder(dir);
  CHECK(l.files == std::vector<fs::path>{dir / "b.png"});
  CHECK(l.folders == std::vector<fs::path>{dir / "asphalt", dir / "loop-to-self"});  // a loop to a folder is a folder
  REQUIRE(l.problems.size() == 3);
  CHECK(l.problems[0].path == dir / "dangling.png");
  CHECK(l.problems[0].reason == "a symlink to nothing");
  CHECK(l.problems[1].path == dir / "loop-a");
  CHECK(l.problems[1].reason.find("symbolic links") != std::string::npos);
  CHECK_THROWS_WITH_AS(tarmac::list_folder(dir / "loop-a", "data set root"), doctest::Contains("data set root"), tarmac::io_error);
  CHECK_THROWS_AS(tarmac::list_folder(dir / "b.png"), tarmac::io_error);
}

TEST_CASE("gzip round-trips; damaged, truncated and oversized streams are format errors") {
  std::string text;
  for (int i = 0; i < 20000; ++i) text += std::to_string(i * 7919 % 10007) + ", ";
  const std::string packed = tarmac::gzip(text);
  CHECK(packed.size() < text.size() / 2);
  CHECK(tarmac::gunzip(packed, text.size(), "x: ") == text);
  CHECK(tarmac::gunzip(packed + packed, 2 * text.size(), "x: ") == text + text);  // concatenated members
  CHECK_THROWS_WITH_AS(tarmac::gunzip(packed.substr(0, packed.size() / 2), text.size(), "model m: "),
                       doctest::Contains("model m: damaged gzip data"), tarmac::format_error);
  std::string flipped = packed;
  flipped[packed.size() / 2] ^= 0x55;
  CHECK_THROWS_AS(tarmac::gunzip(flipped, text.size(), "x: "), tarmac::format_error);
  CHECK_THROWS_WITH_AS(tarmac::gunzip(packed, text.size() - 1, "x: "), doctest::Contains("larger than"), tarmac::format_error);
  CHECK_THROWS_AS(tarmac::gunzip("not gzip at all", 100, "x: "), tarmac::format_error);
  CHECK(tarmac::gunzip(tarmac::gzip(""), 0, "x: ").empty());
}

TEST_CASE("a stop request is seen by stop_requested and names its signal") {
  CHECK_FALSE(tarmac::stop_requested());
  tarmac::request_stop(SIGTERM);
  CHECK(tarmac::stop_requested());
  CHECK(tarmac::stop_signal() == SIGTERM);
  tarmac::request_stop(0);
  CHECK_FALSE(tarmac::stop_requested());
}
