#pragma once
// The real RTK sample beside the checkout (../shared/data/rtk-sample): tests that use it call
// rtk_sample() and return when it gives nothing, which it says in the test output.
#include <doctest/doctest.h>

#include <filesystem>
#include <optional>

inline std::optional<std::filesystem::path> rtk_sample() {
  const std::filesystem::path root = TARMAC_RTK_SAMPLE;
  if (std::filesystem::is_directory(root)) return root;
  MESSAGE("skipped: " << root << " is not present");
  return std::nullopt;
}
