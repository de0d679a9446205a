// libFuzzer target: the bytes as an image file, decoded as every reader in tarmac decodes frames
// (image::decode_image: the JPEG end check, then OpenCV). It must return an 8-bit BGR image or
// an empty one with a reason; a crash, a sanitizer report or an exception is a finding. A JPEG
// it accepts must end in its end-of-image marker somewhere: a cut JPEG is never half-decoded.
#include <cstdint>
#include <span>
#include <string>

#include <tarmac/image/io.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string reason;
  const cv::Mat image = tarmac::image::decode_image(std::span<const unsigned char>(data, size), reason);
  if (image.empty() == reason.empty()) __builtin_trap();  // exactly one of an image and a reason
  if (!image.empty() && image.type() != CV_8UC3) __builtin_trap();
  return 0;
}
