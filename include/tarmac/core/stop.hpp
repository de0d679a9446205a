#pragma once
// Stopping long work cleanly. Ctrl-C (SIGINT), SIGTERM and SIGHUP set one flag that training,
// annotation and generation loops poll: the current step finishes, temporaries are removed and
// the user's old outputs stay. A second signal of the same kind ends the process at once.
#include <atomic>
#include <csignal>

namespace tarmac {

namespace detail {
inline std::atomic<int>& stop_signal() {
  static std::atomic<int> value{0};
  return value;
}
}  // namespace detail

// True once a stop was asked for (by a signal, or by request_stop()).
inline bool stop_requested() { return detail::stop_signal().load() != 0; }

// The signal that asked to stop (0: none); tools exit with 128 + it, as the shell expects.
inline int stop_signal() { return detail::stop_signal().load(); }

inline void request_stop(int signal) { detail::stop_signal() = signal; }

// Tools call this once, before any work. It is process-wide by nature, so the library never
// calls it itself. SIGXFSZ is ignored so that a file over the process's size limit is a write
// error that is reported (EFBIG), not a silent kill.
inline void install_stop_handlers() {
  for (int s : {SIGINT, SIGTERM, SIGHUP})
    std::signal(s, [](int received) {
      detail::stop_signal() = received;
      std::signal(received, SIG_DFL);
    });
  std::signal(SIGXFSZ, SIG_IGN);
}

}  // namespace tarmac
