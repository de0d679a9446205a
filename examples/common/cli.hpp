#pragma once
// The command-line conventions every tarmac tool shares: --name value options with defaults,
// --help, errors printed as "tool: error: ..." with exit code 2 for bad usage or input.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <tarmac/core/error.hpp>
#include <tarmac/core/files.hpp>
#include <tarmac/core/stop.hpp>

namespace tarmac::cli {

class parser {
 public:
  parser(std::string program, std::string summary) : program_(std::move(program)), summary_(std::move(summary)) {}

  void option(const std::string& name, const std::string& value_name, const std::string& help,
              const std::string& default_value) {
    options_.push_back({name, value_name, help, default_value});
    values_[name] = default_value;
  }

  // An option without a value: present or not.
  void flag(const std::string& name, const std::string& help) {
    options_.push_back({name, "", help, "off"});
    values_[name] = "";
    flags_.push_back(name);
  }

  bool enabled(const std::string& name) const { return values_.at(name) == "on"; }

  // A required argument given by position (INPUT, OUTPUT), in the order declared.
  void positional(const std::string& name, const std::string& help) { positionals_.push_back({name, "", help, ""}); }

  const std::string& argument(std::size_t index) const { return arguments_.at(index); }

  // Returns false when --help was asked for (usage already printed).
  bool parse(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      if (arg == "--help" || arg == "-h") {
        std::printf("%s", usage().c_str());
        return false;
      }
      if (!arg.starts_with("--") && arguments_.size() < positionals_.size()) {
        arguments_.push_back(arg);
        continue;
      }
      if (!values_.count(arg)) throw invalid_argument("unknown argument '" + arg + "' (see --help)");
      if (std::find(flags_.begin(), flags_.end(), arg) != flags_.end()) {
        values_[arg] = "on";
        continue;
      }
      if (i + 1 >= argc) throw invalid_argument("option " + arg + " needs a value (see --help)");
      values_[arg] = argv[++i];
    }
    if (arguments_.size() < positionals_.size())
      throw invalid_argument(positionals_[arguments_.size()].name + " is required (see --help)");
    return true;
  }

  const std::string& text(const std::string& name) const { return values_.at(name); }

  long integer(const std::string& name, long min, long max) const {
    const std::string& v = text(name);
    char* end = nullptr;
    const long value = std::strtol(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || value < min || value > max)
      throw invalid_argument(name + " must be an integer in [" + std::to_string(min) + ", " + std::to_string(max) +
                             "], got '" + v + "'");
    return value;
  }

  // A number in [min, max], or in (min, max] when min_open (for rates, which must be positive).
  double real(const std::string& name, double min, double max, bool min_open = false) const {
    const std::string& v = text(name);
    char* end = nullptr;
    const double value = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0' || !(min_open ? value > min : value >= min) || !(value <= max)) {
      char range[96];
      std::snprintf(range, sizeof range, "%s%g, %g]", min_open ? "(" : "[", min, max);
      throw invalid_argument(name + " must be a number in " + range + ", got '" + v + "'");
    }
    return value;
  }

  std::string usage() const {
    std::string out = "usage: " + program_;
    for (const auto& o : options_) out += " [" + o.name + (o.value_name.empty() ? "" : " " + o.value_name) + "]";
    for (const auto& p : positionals_) out += " " + p.name;
    out += "\n\n" + summary_ + "\n\n";
    for (const auto& p : positionals_) out += "  " + p.name + std::string(p.name.size() < 29 ? 29 - p.name.size() : 1, ' ') + p.help + "\n";
    out += "options:\n";
    for (const auto& o : options_)
      out += "  " + o.name + " " + o.value_name + std::string(o.name.size() + o.value_name.size() < 22 ? 22 - o.name.size() - o.value_name.size() : 1, ' ') +
             o.help + " (default: " + o.default_value + ")\n";
    out += "  --help" + std::string(23, ' ') + "show this help\n";
    return out;
  }

 private:
  struct spec {
    std::string name, value_name, help, default_value;
  };
  std::string program_, summary_;
  std::vector<spec> options_;
  std::vector<std::string> flags_;
  std::vector<spec> positionals_;
  std::vector<std::string> arguments_;
  std::map<std::string, std::string> values_;
};

// Fails before any work when an output cannot be written: its folder is missing or not
// writable, or the name is a folder.
inline void check_output(const std::filesystem::path& p, const char* option) {
  try {
    check_writable(p);
  } catch (const io_error& e) {
    throw io_error(std::string(option) + ": " + e.what());
  }
}

using tarmac::check_distinct;  // in the library, for the Python bindings too

// Runs a tool's body; a tarmac::error becomes "tool: error: ..." on stderr and exit code 2. A
// body stopped by a signal (install_stop_handlers) exits with 128 + the signal, as shells
// expect, whether it returned or failed on the way out.
template <class Body>
int run(const char* program, Body&& body) {
  install_stop_handlers();
  const auto stopped = [&](const char* what) {
    std::fprintf(stderr, "%s: stopped by signal %d%s%s\n", program, stop_signal(), *what ? ": " : "", what);
    return 128 + stop_signal();
  };
  try {
    const int status = body();
    // Results printed to a full disk or a closed pipe are a failure too.
    if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
      std::fprintf(stderr, "%s: error: cannot write the standard output (%s)\n", program, system_reason(errno).c_str());
      return 2;
    }
    return stop_requested() ? 128 + stop_signal() : status;
  } catch (const tarmac::error& e) {
    if (stop_requested()) return stopped(e.what());
    std::fprintf(stderr, "%s: error: %s\n", program, e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: internal error: %s\n", program, e.what());
    return 3;
  }
}

}  // namespace tarmac::cli
