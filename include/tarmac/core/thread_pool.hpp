#pragma once
// A fixed pool of worker threads for data-parallel loops: run(n, fn) calls fn(task, worker) for
// every task in [0, n) on the calling thread and the workers, and returns when all are done.
// Tasks are claimed one at a time from an atomic counter, so uneven tasks balance themselves;
// worker ids are in [0, size()) so callers can keep per-worker scratch memory. Which worker runs
// which task varies from run to run: results that must be reproducible may not depend on it.
// One pool may serve several users (networks sharing it): runs called from different threads
// take turns; a task that starts a run on its own pool, directly or through other pools' runs,
// is an error (it would wait for itself).
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tarmac/core/error.hpp"

namespace tarmac {

class thread_pool {
 public:
  // The most threads a pool (and so every --threads / threads= option) may ask for: more than
  // any machine here has, few enough that a mistyped count fails with a message, not by
  // exhausting the process's threads or memory.
  static constexpr std::size_t max_threads = 1024;

  // threads: how many threads work on a run, the caller included (0 = hardware concurrency).
  explicit thread_pool(std::size_t threads = 0) : size_(size_for(threads)) {
    try {
      workers_.reserve(size_ - 1);
      for (std::size_t id = 1; id < size_; ++id) workers_.emplace_back([this, id] { work(id); });
    } catch (const std::exception& e) {  // no more threads (std::system_error) or memory: joinable threads must not be destroyed
      const std::size_t started = workers_.size();
      stop();
      throw error("thread_pool: cannot start " + std::to_string(size_) + " threads (" + std::to_string(started + 1) +
                  " running): " + e.what());
    }
  }
  thread_pool(const thread_pool&) = delete;
  thread_pool& operator=(const thread_pool&) = delete;
  ~thread_pool() { stop(); }

  std::size_t size() const { return size_; }

  // Exceptions thrown by fn are rethrown here (the first one); the other tasks still finish.
  template <class F>
  void run(std::size_t tasks, F&& fn) {
    if (tasks == 0) return;
    if (size_ == 1 || tasks == 1) {
      for (std::size_t t = 0; t < tasks; ++t) fn(t, std::size_t{0});
      return;
    }
    for (const frame* f = current(); f; f = f->outer)
      if (f->pool == this)
        throw invalid_argument("thread_pool::run: called from a task of the same pool (it would wait for itself)");
    std::unique_lock run_lock(run_mutex_);  // another thread's run on this pool finishes first
    const frame here{this, current()};
    const entered inside(&here);
    frame_ = &here;
    job_ = [](void* ctx, std::size_t task, std::size_t worker) { (*static_cast<F*>(ctx))(task, worker); };
    context_ = &fn;
    tasks_ = tasks;
    next_.store(0, std::memory_order_relaxed);
    failure_ = nullptr;
    {
      std::lock_guard lock(mutex_);
      busy_.store(workers_.size(), std::memory_order_relaxed);
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    drain(0);
    if (!spin_until([this] { return busy_.load(std::memory_order_acquire) == 0; })) {
      std::unique_lock lock(mutex_);
      done_.wait(lock, [this] { return busy_.load(std::memory_order_acquire) == 0; });
    }
    if (failure_) std::rethrow_exception(failure_);
  }

 private:
  static std::size_t size_for(std::size_t threads) {
    if (threads > max_threads)
      throw invalid_argument("thread_pool: threads must be at most " + std::to_string(max_threads) + " (0 = all cores), got " +
                             std::to_string(threads));
    return threads ? threads : std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, max_threads);
  }

  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_.store(true, std::memory_order_release);
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
  }

  // The runs a thread is inside, innermost first (a worker is inside the run it works on, and so
  // inside the runs its caller was in), to refuse a run that would wait for itself.
  struct frame {
    const thread_pool* pool;
    const frame* outer;
  };
  static const frame*& current() {
    static thread_local const frame* innermost = nullptr;
    return innermost;
  }
  struct entered {
    const frame* previous;
    explicit entered(const frame* f) : previous(current()) { current() = f; }
    ~entered() { current() = previous; }
    entered(const entered&) = delete;
    entered& operator=(const entered&) = delete;
  };

  void drain(std::size_t worker) {
    for (std::size_t t; (t = next_.fetch_add(1, std::memory_order_relaxed)) < tasks_;) {
      try {
        job_(context_, t, worker);
      } catch (...) {
        std::lock_guard lock(mutex_);
        if (!failure_) failure_ = std::current_exception();
      }
    }
  }

  // Back-to-back runs (a network's layers) are microseconds apart: spinning a little before
  // sleeping saves a futex wake-up per run; after ~50 us the thread sleeps and costs nothing.
  template <class Ready>
  static bool spin_until(Ready&& ready) {
    for (int i = 0; i < 20000; ++i) {
      if (ready()) return true;
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
    return ready();
  }

  void work(std::size_t id) {
    std::size_t seen = 0;
    for (;;) {
      auto fresh = [&] { return stopping_.load(std::memory_order_acquire) || generation_.load(std::memory_order_acquire) != seen; };
      if (!spin_until(fresh)) {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, fresh);
      }
      if (stopping_.load(std::memory_order_acquire)) return;
      seen = generation_.load(std::memory_order_acquire);
      {
        const entered inside(frame_);
        drain(id);
      }
      std::lock_guard lock(mutex_);
      if (busy_.fetch_sub(1, std::memory_order_acq_rel) == 1) done_.notify_one();
    }
  }

  std::size_t size_;
  std::vector<std::thread> workers_;
  std::mutex run_mutex_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::atomic<std::size_t> generation_{0}, busy_{0};
  std::size_t tasks_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> next_{0};
  void (*job_)(void*, std::size_t, std::size_t) = nullptr;
  void* context_ = nullptr;
  const frame* frame_ = nullptr;  // the current run's
  std::exception_ptr failure_;
};

}  // namespace tarmac
