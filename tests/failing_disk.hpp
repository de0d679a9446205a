#pragma once
// Writes that fail the way a full disk fails, for the tests of every writer:
// - file_size_limit: RLIMIT_FSIZE for this process (no root needed): a write past it fails with
//   EFBIG ("file too large"), as it would on a full disk with ENOSPC;
// - small_filesystem: a real tmpfs of a few KiB that fills up (ENOSPC, "disk full"), mounted when
//   the test runs as root and the kernel allows it, skipped with a message otherwise.
#include <doctest/doctest.h>

#include <csignal>
#include <filesystem>
#include <random>
#include <string>

#include <sys/mount.h>
#include <sys/resource.h>
#include <unistd.h>

struct file_size_limit {
  rlimit old{};
  explicit file_size_limit(rlim_t bytes) {
    std::signal(SIGXFSZ, SIG_IGN);  // the write then fails with EFBIG instead of killing the test
    getrlimit(RLIMIT_FSIZE, &old);
    rlimit small = old;
    small.rlim_cur = bytes;
    REQUIRE(setrlimit(RLIMIT_FSIZE, &small) == 0);
  }
  ~file_size_limit() { setrlimit(RLIMIT_FSIZE, &old); }
};

struct small_filesystem {
  std::filesystem::path path;
  bool mounted = false;
  explicit small_filesystem(std::size_t kib) {
    path = std::filesystem::temp_directory_path() / ("tarmac-full-disk-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(path);
    const std::string options = "size=" + std::to_string(kib) + "k";
    mounted = geteuid() == 0 && ::mount("tmpfs", path.c_str(), "tmpfs", 0, options.c_str()) == 0;
    if (!mounted) MESSAGE("skipped: cannot mount a small tmpfs here (needs root and mount rights)");
  }
  ~small_filesystem() {
    if (mounted) ::umount(path.c_str());
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};
