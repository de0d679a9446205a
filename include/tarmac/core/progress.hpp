#pragma once
// A progress bar for long work: count, rate and ETA on one line of stderr, redrawn at most
// ten times a second. When stderr is not a terminal (CI logs), only the final line is printed.
#include <chrono>
#include <cstdio>
#include <string>

#include <unistd.h>

namespace tarmac {

class progress_bar {
 public:
  progress_bar(std::string what, std::size_t total, std::string unit)
      : what_(std::move(what)), unit_(std::move(unit)), total_(total), start_(clock::now()),
        interactive_(isatty(fileno(stderr)) != 0) {}

  void advance(std::size_t n = 1) {
    done_ += n;
    const auto now = clock::now();
    if (interactive_ && (now - last_draw_ > std::chrono::milliseconds(100) || done_ == total_)) {
      last_draw_ = now;
      draw('\r');
    }
  }

  // Prints the final line (and a newline); returns the rate in units per second.
  double finish() {
    draw(interactive_ ? '\r' : '\0');
    std::fputc('\n', stderr);
    return rate();
  }

  double rate() const {
    const double seconds = std::chrono::duration<double>(clock::now() - start_).count();
    return seconds > 0 ? double(done_) / seconds : 0.0;
  }

 private:
  using clock = std::chrono::steady_clock;

  void draw(char lead) const {
    constexpr int width = 30;
    const double fraction = total_ ? double(done_) / double(total_) : 1.0;
    const int filled = int(fraction * width);
    const double r = rate(), eta = r > 0 ? double(total_ - done_) / r : 0.0;
    std::string bar(std::size_t(filled), '=');
    if (filled < width) bar += '>' + std::string(std::size_t(width - filled - 1), ' ');
    if (lead) std::fputc(lead, stderr);
    std::fprintf(stderr, "%s [%s] %zu/%zu %s  %.1f %s/s  ETA %.0fs ", what_.c_str(), bar.c_str(), done_, total_,
                 unit_.c_str(), r, unit_.c_str(), eta);
    std::fflush(stderr);
  }

  std::string what_, unit_;
  std::size_t total_, done_ = 0;
  clock::time_point start_, last_draw_{};
  bool interactive_;
};

}  // namespace tarmac
