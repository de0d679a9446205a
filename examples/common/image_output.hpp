#pragma once
// The one check of the command-line tools that needs OpenCV, kept out of cli.hpp so that tools
// built with nothing but the CUDA toolkit (bench_nms_cuda) can use the rest.
#include <filesystem>

#include <tarmac/image/io.hpp>

#include "cli.hpp"

namespace tarmac::cli {

// An image output: its folder exists and OpenCV can write its extension.
inline void check_image_output(const std::filesystem::path& p, const char* option) {
  check_output(p, option);
  image::check_image_name(p);
}

}  // namespace tarmac::cli
