#include <doctest/doctest.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include <tarmac/core/thread_pool.hpp>

using tarmac::thread_pool;

TEST_CASE("thread_pool: a thread count above max_threads is refused before any thread starts") {
  CHECK_THROWS_WITH_AS(thread_pool(thread_pool::max_threads + 1), "thread_pool: threads must be at most 1024 (0 = all cores), got 1025",
                       tarmac::invalid_argument);
  CHECK_THROWS_AS(thread_pool(std::size_t(-1)), tarmac::invalid_argument);
  const thread_pool all;
  CHECK(all.size() >= 1);
  CHECK(all.size() <= thread_pool::max_threads);
}

// Threads that cannot start (here: no address space left for their stacks) are an error that
// names the count, after the workers already started are stopped and joined; destroying them
// joinable would call std::terminate. Run in a child process, whose address-space limit and
// possible abort stay its own.
TEST_CASE("thread_pool: when threads stop starting part-way, the started ones are joined and tarmac::error names the count") {
#if defined(__SANITIZE_ADDRESS__)
  MESSAGE("skipped under AddressSanitizer (its shadow memory needs an unlimited address space)");
#else
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    long pages = 0;
    if (std::FILE* statm = std::fopen("/proc/self/statm", "r")) {
      if (std::fscanf(statm, "%ld", &pages) != 1) pages = 0;
      std::fclose(statm);
    }
    // Room for a few 8 MiB thread stacks, not for 256.
    const rlim_t limit = rlim_t(pages) * rlim_t(sysconf(_SC_PAGESIZE)) + (rlim_t{40} << 20);
    const rlimit r{limit, limit};
    if (pages == 0 || setrlimit(RLIMIT_AS, &r) != 0) _exit(3);
    try {
      thread_pool pool(256);
      _exit(1);  // every thread started: the limit did not bite
    } catch (const tarmac::error& e) {
      const std::string what = e.what();
      const bool names_count = what.find("thread_pool: cannot start 256 threads (") != std::string::npos;
      const bool part_way = what.find("(1 running)") == std::string::npos;
      _exit(names_count && part_way ? 0 : 2);
    }
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  INFO("child status ", status, " (exit 1: no failure provoked, 2: wrong message, 3: no limit set; a signal: terminate)");
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
#endif
}
