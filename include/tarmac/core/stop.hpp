#pragma once
// Stopping long work cleanly. Ctrl-C (SIGINT), SIGTERM and SIGHUP set one flag that training,
// annotation and generation loops poll: the current step finishes, temporaries are removed and
// the user's old outputs stay. A second signal ends the process at once.
#include <atomic>
#include <csignal>
#include <ctime>

namespace tarmac {

namespace detail {
inline std::atomic<int>& stop_signal() {
  static std::atomic<int> value{0};
  return value;
}
inline std::atomic<long long>& first_stop_ns() {
  static std::atomic<long long> value{0};
  return value;
}
inline long long monotonic_ns() {  // clock_gettime is async-signal-safe
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<long long>(t.tv_sec) * 1000000000LL + t.tv_nsec;
}
}  // namespace detail

// True once a stop was asked for (by a signal, or by request_stop()).
inline bool stop_requested() { return detail::stop_signal().load() != 0; }

// The signal that asked to stop (0: none); tools exit with 128 + it, as the shell expects.
inline int stop_signal() { return detail::stop_signal().load(); }

inline void request_stop(int signal) { detail::stop_signal() = signal; }

// Tools call this once, before any work. It is process-wide by nature, so the library never
// calls it itself. The same signal again ends the process at once, unless it comes within half
// a second of the first: senders such as `timeout` signal the process and its group together,
// which is one request, not two. SIGXFSZ is ignored so that a file over the process's size
// limit is a write error that is reported (EFBIG), not a silent kill.
inline void install_stop_handlers() {
  for (int s : {SIGINT, SIGTERM, SIGHUP})
    std::signal(s, [](int received) {
      const long long now = detail::monotonic_ns();
      int none = 0;
      if (detail::stop_signal().compare_exchange_strong(none, received)) {
        detail::first_stop_ns() = now;
      } else if (now - detail::first_stop_ns() > 500000000LL) {
        std::signal(received, SIG_DFL);
        std::raise(received);
      }
    });
  std::signal(SIGXFSZ, SIG_IGN);
}

}  // namespace tarmac
