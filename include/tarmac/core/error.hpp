#pragma once
// The one error hierarchy of tarmac: every failure a user can cause is one of these,
// and what() says what was wrong and where.
#include <stdexcept>
#include <string>

namespace tarmac {

struct error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A value or shape the caller passed is outside what the function accepts.
struct invalid_argument : error {
  using error::error;
};

// A file or stream could not be opened, read or written.
struct io_error : error {
  using error::error;
};

// A file was readable but its content is not what it should be (version, shape, truncation).
struct format_error : error {
  using error::error;
};

// A CUDA runtime call failed (or no usable device exists).
struct cuda_error : error {
  using error::error;
};

}  // namespace tarmac
