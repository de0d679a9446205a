#pragma once
// Files the user gets: written under a temporary name in the destination folder through checked
// system calls (every write, the fsync and the close), then renamed over the destination. A full
// disk, a crash or a stop never leaves a half-written file under the final name and never
// destroys the previous version. Also the folder listing every reader shares, which reports
// entries it cannot follow (dangling symlinks, symlink loops) instead of failing on them.
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tarmac/core/error.hpp"

namespace tarmac {

// The system's reason for a failed call, said so that a user knows what to do about it.
inline std::string system_reason(int code) {
  if (code == ENOSPC) return "disk full (no space left on device)";
  if (code == EDQUOT) return "disk quota exceeded";
  if (code == EFBIG) return "file too large (file system or process file-size limit)";
  return std::generic_category().message(code);
}

// Throws io_error unless `destination` can be created or replaced: its folder exists and is
// writable, and it is not itself a folder. Tools call it for every output before any work.
inline void check_writable(const std::filesystem::path& destination) {
  namespace fs = std::filesystem;
  const fs::path folder = destination.has_parent_path() ? destination.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(folder, ec))
    throw io_error("cannot write " + destination.string() + ": folder " + folder.string() + " does not exist");
  if (fs::is_directory(destination, ec))
    throw io_error("cannot write " + destination.string() + ": it is a folder; give a file name");
  if (::faccessat(AT_FDCWD, folder.c_str(), W_OK, AT_EACCESS) != 0)
    throw io_error("cannot write " + destination.string() + ": folder " + folder.string() + " is not writable (" +
                   system_reason(errno) + ")");
}

// A new file written with checked POSIX calls: a short or failed write, fsync or close raises
// io_error naming `name` (the user's file, not the temporary) and the system's reason.
class output_file {
 public:
  output_file() = default;
  output_file(const std::filesystem::path& path, std::string name) : name_(std::move(name)) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ < 0) fail("cannot create " + path.string(), errno);
  }
  output_file(output_file&& o) noexcept
      : name_(std::move(o.name_)), fd_(std::exchange(o.fd_, -1)), end_(o.end_) {}
  output_file& operator=(output_file&& o) noexcept {
    std::swap(name_, o.name_), std::swap(fd_, o.fd_), std::swap(end_, o.end_);
    return *this;
  }
  ~output_file() {
    if (fd_ >= 0) ::close(fd_);
  }

  // Appends at the end.
  void write(const void* data, std::size_t size) {
    write_at(end_, data, size);
    end_ += size;
  }
  void write(std::string_view text) { write(text.data(), text.size()); }

  // Writes at `offset` (at most the current end): to fill in a header once the sizes are known.
  void write_at(std::uint64_t offset, const void* data, std::size_t size) {
    if (offset + size > end_ && offset != end_) throw invalid_argument("output_file::write_at: past the end of " + name_);
    const char* bytes = static_cast<const char*>(data);
    while (size > 0) {
      const ssize_t n = ::pwrite(fd_, bytes, std::min<std::size_t>(size, std::size_t(1) << 30), off_t(offset));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) fail("write failed", n < 0 ? errno : ENOSPC);  // a write of 0 bytes: nothing fits
      bytes += n, size -= std::size_t(n), offset += std::uint64_t(n);
    }
  }

  std::uint64_t size() const { return end_; }

  // Makes the bytes durable (fsync) and closes: the last place a full disk can show.
  void close() {
    if (fd_ < 0) return;
    const int synced = ::fsync(fd_), sync_error = errno;
    const int closed = ::close(fd_), close_error = errno;
    fd_ = -1;
    if (synced != 0) fail("fsync failed", sync_error);
    if (closed != 0) fail("close failed", close_error);
  }

 private:
  [[noreturn]] void fail(const std::string& what, int code) const {
    throw io_error("cannot write " + name_ + ": " + system_reason(code) + " (" + what + ")");
  }

  std::string name_;
  int fd_ = -1;
  std::uint64_t end_ = 0;
};

// Fails before any work when an output would replace one of the inputs, or another output.
// Inputs and outputs are (option or role, path); an empty path is skipped.
inline void check_distinct(const std::vector<std::pair<std::string, std::filesystem::path>>& inputs,
                           const std::vector<std::pair<std::string, std::filesystem::path>>& outputs) {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const auto& [role, out] = outputs[i];
    if (out.empty()) continue;
    for (const auto& [input_role, in] : inputs)
      if (!in.empty() && fs::equivalent(in, out, ec))
        throw invalid_argument(role + " " + out.string() + " is the " + input_role + " " + in.string() + ": it would be replaced");
    for (std::size_t j = 0; j < i; ++j)
      if (!outputs[j].second.empty() && fs::weakly_canonical(outputs[j].second, ec) == fs::weakly_canonical(out, ec))
        throw invalid_argument(role + " and " + outputs[j].first + " are the same file " + out.string());
  }
}

// An output that replaces `destination` only when complete. The temporary ("name.tmp-N.ext",
// every extension kept last, since writers choose the format from it) is created at the first
// write, so a run that stops before it has anything to write leaves nothing behind. commit()
// syncs and closes it, renames it over the destination and syncs the folder; destroyed without
// commit() (an error, a stop), the temporary is removed and the destination keeps what it had.
class atomic_file {
 public:
  explicit atomic_file(std::filesystem::path destination) : destination_(std::move(destination)) {
    check_writable(destination_);
  }
  atomic_file(const atomic_file&) = delete;
  atomic_file& operator=(const atomic_file&) = delete;
  ~atomic_file() { discard(); }

  output_file& file() {
    if (!created_) {
      namespace fs = std::filesystem;
      const fs::path folder = destination_.has_parent_path() ? destination_.parent_path() : fs::path(".");
      const std::string name = destination_.filename().string();
      const std::size_t dot = name.find('.', 1);
      const std::string base = name.substr(0, dot), extensions = dot == std::string::npos ? "" : name.substr(dot);
      temporary_ = folder / (base + ".tmp-" + std::to_string(std::random_device{}()) + extensions);
      file_ = output_file(temporary_, destination_.string());
      created_ = true;
    }
    return file_;
  }

  // Syncs and closes the temporary: after it, the bytes are on disk and only the rename is
  // left. Lets several outputs be complete before the first of them replaces anything.
  void close() {
    output_file& f = file();  // an empty output is still a file
    try {
      f.close();
    } catch (...) {
      discard();
      throw;
    }
  }

  void commit() {
    close();
    std::error_code ec;
    std::filesystem::rename(temporary_, destination_, ec);
    if (ec) {
      discard();
      throw io_error("cannot write " + destination_.string() + ": rename failed (" + ec.message() + ")");
    }
    created_ = false;
    const std::filesystem::path folder = destination_.has_parent_path() ? destination_.parent_path() : ".";
    if (const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir >= 0) {
      ::fsync(dir);  // the rename itself durable; some file systems refuse, which loses nothing
      ::close(dir);
    }
  }

  const std::filesystem::path& destination() const { return destination_; }

 private:
  void discard() noexcept {
    if (!created_) return;
    file_ = output_file();
    std::error_code ec;
    std::filesystem::remove(temporary_, ec);
    created_ = false;
  }

  std::filesystem::path destination_, temporary_;
  output_file file_;
  bool created_ = false;
};

// Calls write(file) with the temporary's output_file, then commits. If write throws, the
// temporary is removed and the destination is untouched.
template <class Write>
void write_atomically(const std::filesystem::path& destination, Write&& write) {
  atomic_file out(destination);
  write(out.file());
  out.commit();
}

inline void write_text_atomically(const std::filesystem::path& destination, std::string_view text) {
  write_atomically(destination, [&](output_file& file) { file.write(text); });
}

// A folder's entries, symlinks followed, sorted by path. An entry that cannot be followed (a
// dangling symlink, a symlink loop, no permission) is a problem naming it; a folder that cannot
// be listed at all is an io_error naming `what` and the folder.
struct folder_listing {
  struct problem {
    std::filesystem::path path;
    std::string reason;
  };
  std::vector<std::filesystem::path> files, folders;
  std::vector<problem> problems;
};

inline folder_listing list_folder(const std::filesystem::path& folder, const std::string& what = "folder") {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status status = fs::status(folder, ec);
  if (ec || !fs::is_directory(status))
    throw io_error(what + " " + folder.string() + " is not a readable folder" + (ec ? " (" + ec.message() + ")" : ""));
  folder_listing out;
  fs::directory_iterator it(folder, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const fs::path path = it->path();
    std::error_code entry_ec;
    const fs::file_status s = fs::status(path, entry_ec);  // follows symlinks
    if (entry_ec || !fs::exists(s)) {
      const bool dangling = !entry_ec || entry_ec == std::errc::no_such_file_or_directory;
      out.problems.push_back({path, dangling ? "a symlink to nothing" : entry_ec.message()});
    } else if (fs::is_directory(s)) {
      out.folders.push_back(path);
    } else if (fs::is_regular_file(s)) {
      out.files.push_back(path);
    }
  }
  if (ec) throw io_error("cannot list " + what + " " + folder.string() + ": " + ec.message());
  std::sort(out.files.begin(), out.files.end());
  std::sort(out.folders.begin(), out.folders.end());
  std::sort(out.problems.begin(), out.problems.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return out;
}

}  // namespace tarmac
