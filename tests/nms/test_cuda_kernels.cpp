// The CUDA policy's kernel bodies (tarmac/nms/cuda/kernels.hpp) run on the CPU: one std::thread
// per CUDA thread, a std::barrier for __syncthreads, shared memory poisoned before every block
// and the mask before every chunk, so a read of something never written changes the answer.
// A barrier that not every thread reaches hangs the test (CTest's timeout fails it).
#include <doctest/doctest.h>

#include <barrier>
#include <cstring>
#include <functional>
#include <random>
#include <span>
#include <thread>
#include <vector>

#include <tarmac/nms/cuda/kernels.hpp>
#include <tarmac/nms/cuda/plan.hpp>
#include <tarmac/nms/nms.hpp>
#include <tarmac/nms/policy/naive.hpp>

namespace nms = tarmac::nms;
namespace detail = tarmac::nms::detail;
using nms::box;

namespace {

// Warp 0's lanes exchange votes and words through this (the kernels use warp operations there
// only). Two slots, used in turn, so one barrier per exchange: a lane can only reuse a slot after
// the next exchange's barrier, which every lane reaches after reading it.
struct host_warp {
  std::barrier<> barrier{32};
  detail::mask_word words[2][32];
  unsigned calls[32] = {};
};

struct host_block {
  std::uint32_t id, count;
  std::barrier<>* barrier;
  host_warp* warp;
  std::uint32_t thread() const { return id; }
  std::uint32_t size() const { return count; }
  void sync() const { barrier->arrive_and_wait(); }
  std::uint32_t ballot(bool vote) const {
    const detail::mask_word* votes = exchange(vote);
    std::uint32_t bits = 0;
    for (std::uint32_t lane = 0; lane < 32; ++lane) bits |= std::uint32_t(votes[lane]) << lane;
    return bits;
  }
  detail::mask_word warp_or(detail::mask_word word) const {
    for (const detail::mask_word* words = exchange(word); const detail::mask_word w : std::span(words, 32)) word |= w;
    return word;
  }

 private:
  const detail::mask_word* exchange(detail::mask_word value) const {
    detail::mask_word* slot = warp->words[warp->calls[id]++ % 2];
    slot[id] = value;
    warp->barrier.arrive_and_wait();
    return slot;
  }
};

template <class T>
void poison(T& shared) {
  std::memset(static_cast<void*>(&shared), 0xA5, sizeof shared);
}
template <class T>
void poison(std::vector<T>& shared) {
  std::memset(static_cast<void*>(shared.data()), 0xA5, shared.size() * sizeof(T));
}

// A device's CUDA threads on the CPU: `size` std::threads, kept for every launch (starting threads
// is what would cost most). A launch runs its blocks one after another, each on the first
// `threads` of them, which share a std::barrier.
class host_device {
 public:
  explicit host_device(std::uint32_t size) : start_(size + 1), done_(size + 1) {
    for (std::uint32_t id = 0; id < size; ++id)
      team_.emplace_back([this, id] {
        for (;;) {
          start_.arrive_and_wait();
          if (!job_) return;
          if (id < threads_) job_(id);
          done_.arrive_and_wait();
        }
      });
  }
  ~host_device() {
    job_ = nullptr;
    start_.arrive_and_wait();
  }

  template <class Body, class... Shared>
  void launch(std::uint32_t blocks, std::uint32_t threads, Body body, Shared&... shared) {
    REQUIRE(threads <= team_.size());
    std::barrier<> barrier{std::ptrdiff_t(threads)};
    host_warp warp;
    threads_ = threads;
    job_ = [&](std::uint32_t id) {
      for (std::uint32_t b = 0; b < blocks; ++b) {
        if (id == 0) (poison(shared), ...);
        barrier.arrive_and_wait();
        body(host_block{id, threads, &barrier, &warp}, b);
        barrier.arrive_and_wait();
      }
    };
    start_.arrive_and_wait();
    done_.arrive_and_wait();
  }

 private:
  std::barrier<> start_, done_;
  std::function<void(std::uint32_t)> job_;
  std::uint32_t threads_ = 0;
  std::vector<std::jthread> team_;  // last: joined before the barriers go
};

// cuda_runner::greedy_sorted's launches, on the CPU: the first `count` of `ranked` take part.
template <nms::coords C>
std::vector<std::size_t> emulated_greedy(const std::vector<box<float>>& ranked, std::uint32_t count, float threshold,
                                         std::uint32_t max_keep, std::size_t mask_budget, std::uint32_t gather_threads) {
  const std::size_t n = ranked.size();
  std::vector<float> coords(5 * n);
  const detail::device_soa soa{coords.data(), coords.data() + n, coords.data() + 2 * n, coords.data() + 3 * n,
                               coords.data() + 4 * n};
  for (std::size_t r = 0; r < n; ++r) {
    const box<float>& b = ranked[r];
    soa.x1[r] = b.x1, soa.y1[r] = b.y1, soa.x2[r] = b.x2, soa.y2[r] = b.y2;
    soa.area[r] = detail::area_rn<C>(b.x1, b.y1, b.x2, b.y2);
  }
  const detail::mask_plan plan = detail::plan_mask(n, mask_budget);
  const auto words = std::uint32_t(plan.words);
  std::vector<detail::mask_word> mask(plan.words * plan.rows_per_chunk), earlier(plan.rows_per_chunk),
      removed(plan.words, 0), removed_copy(plan.words);
  std::vector<std::uint32_t> keep(n, 0xFFFFFFFFu);
  std::uint32_t keep_count = 0;
  detail::column_boxes columns;
  detail::gather_state state;
  host_device device(std::max(detail::tile, gather_threads));
  for (std::size_t begin = 0; begin < n; begin += plan.rows_per_chunk) {
    const auto row_begin = std::uint32_t(begin), row_end = std::uint32_t(std::min(n, begin + plan.rows_per_chunk));
    const std::uint32_t row_tiles = (row_end - row_begin + detail::tile - 1) / detail::tile;
    poison(mask);
    poison(earlier);
    device.launch(
        words * row_tiles, detail::tile,
        [&](const host_block& block, std::uint32_t b) {
          detail::suppression_mask_block<C>(block, columns, soa, count, row_begin / detail::tile + b / words, b % words,
                                            row_begin, row_end, words, threshold, mask.data(), earlier.data());
        },
        columns);
    device.launch(
        1, gather_threads,
        [&](const host_block& block, std::uint32_t) {
          detail::gather_keep_block(block, state, removed_copy.data(),
                                    detail::chunk_of(mask.data(), earlier.data(), count, row_begin, row_end, words), max_keep,
                                    removed.data(), keep.data(), &keep_count);
        },
        state, removed_copy);
  }
  return {keep.begin(), keep.begin() + keep_count};
}

// Integer boxes on a small grid: exact IoU ties with the thresholds, duplicates, zero-area boxes.
std::vector<box<float>> tricky_boxes(std::size_t n, std::mt19937& rng) {
  std::vector<box<float>> boxes;
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0 && rng() % 5 == 0) {
      boxes.push_back(boxes[rng() % i]);
    } else {
      const float x = float(rng() % 24), y = float(rng() % 24);
      boxes.push_back({x, y, x + float(rng() % 8), y + float(rng() % 8)});
    }
  }
  return boxes;
}

// The CPU reference on the first `count` boxes, already in rank order.
std::vector<std::size_t> reference(const std::vector<box<float>>& ranked, std::uint32_t count, float threshold,
                                   std::uint32_t max_keep, nms::coords convention) {
  std::vector<float> scores(count);
  for (std::uint32_t r = 0; r < count; ++r) scores[r] = float(count - r);
  nms::params p;
  p.iou_threshold = threshold;
  p.max_keep = max_keep;
  p.convention = convention;
  return nms::nms<nms::naive>(std::span<const box<float>>(ranked.data(), count), std::span<const float>(scores), p);
}

struct emulated_run {
  std::size_t n;
  std::uint32_t count;      // ranked boxes that take part (the rest failed the score threshold)
  std::uint32_t max_keep;
  std::size_t mask_budget;  // bytes: small budgets force many chunks
  std::uint32_t gather_threads;
};
constexpr std::uint32_t unlimited = 0xFFFFFFFFu;

void check_against_reference(std::span<const emulated_run> runs, std::uint32_t seed) {
  std::mt19937 rng(seed);
  for (const emulated_run& r : runs)
    for (float threshold : {0.0f, 0.25f, 0.5f, 1.0f})
      for (auto convention : {nms::coords::continuous, nms::coords::pixel_inclusive}) {
        const auto ranked = tricky_boxes(r.n, rng);
        CAPTURE(r.n);
        CAPTURE(r.count);
        CAPTURE(r.max_keep);
        CAPTURE(r.mask_budget);
        CAPTURE(r.gather_threads);
        CAPTURE(threshold);
        const auto expected = reference(ranked, r.count, threshold, r.max_keep, convention);
        const auto got = detail::with_convention(convention, [&]<nms::coords C>() {
          return emulated_greedy<C>(ranked, r.count, threshold, r.max_keep, r.mask_budget, r.gather_threads);
        });
        CHECK(got == expected);
      }
}

}  // namespace

// Small enough for ThreadSanitizer (test_cuda_kernels_tsan runs this case), and through every
// path: one and several chunks, partial tiles, max_keep inside a tile and a chunk, boxes beyond
// the ranked count, one helper thread and several.
TEST_CASE("the CUDA kernels, run on the CPU, keep what the naive policy keeps: every path") {
  const emulated_run runs[] = {
      {1, 1, unlimited, 1 << 20, 34},  {65, 65, unlimited, 1 << 20, 33}, {200, 200, unlimited, 1, 40},
      {200, 90, unlimited, 1, 36},     {200, 0, unlimited, 1, 34},       {200, 200, 9, 1, 40},
      {200, 150, 70, 1, 36},
  };
  check_against_reference(runs, 3);
}

TEST_CASE("the CUDA kernels, run on the CPU, keep what the naive policy keeps: larger sets") {
  const emulated_run runs[] = {
      {63, 63, unlimited, 1 << 20, 64},   {64, 64, unlimited, 1 << 20, 40},      {300, 300, unlimited, 1, 64},
      {300, 300, unlimited, 1 << 20, 33}, {300, 170, unlimited, 1, 64},          {500, 500, 7, 1 << 20, 64},
      {500, 500, 70, 1, 64},              {500, 430, 1, 1, 48},                  {700, 700, unlimited, 8 * 11 * 128, 256},
  };
  check_against_reference(runs, 7);
}

TEST_CASE("the kernels' area, IoU and suppression round exactly as the CPU's, on random float boxes") {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> coord(-50.0f, 1500.0f), size(0.0f, 300.0f);
  for (int i = 0; i < 20000; ++i) {
    const float ax = coord(rng), ay = coord(rng), bx = ax + coord(rng) / 20, by = ay + coord(rng) / 20;
    const box<float> a{ax, ay, ax + size(rng), ay + size(rng)}, b{bx, by, bx + size(rng), by + size(rng)};
    detail::with_convention(i % 2 ? nms::coords::continuous : nms::coords::pixel_inclusive, [&]<nms::coords C>() {
      const float aa = detail::area_rn<C>(a.x1, a.y1, a.x2, a.y2), ab = detail::area_rn<C>(b.x1, b.y1, b.x2, b.y2);
      REQUIRE(aa == detail::area<C>(a));
      const auto o = detail::overlap_rn<C>(a.x1, a.y1, a.x2, a.y2, aa, b.x1, b.y1, b.x2, b.y2, ab);
      const auto [inter, uni] = detail::overlap_and_union<C>(a.x1, a.y1, a.x2, a.y2, aa, b.x1, b.y1, b.x2, b.y2, ab);
      REQUIRE(o.inter == inter);
      REQUIRE(o.uni == uni);
      const float iou = detail::iou<C>(a, aa, b, ab);
      REQUIRE((o.uni > 0.0f ? detail::div_rn(o.inter, o.uni) : 0.0f) == iou);
      for (float threshold : {0.0f, 0.3f, 0.5f, iou, 1.0f})  // the IoU itself: "strictly greater" on a tie
        REQUIRE(detail::suppresses_rn<C>(a.x1, a.y1, a.x2, a.y2, aa, b.x1, b.y1, b.x2, b.y2, ab, threshold) ==
                detail::suppresses<C>(a, aa, b, ab, threshold));
    });
  }
}

TEST_CASE("the device sort key orders scores from highest to lowest, -0 with +0") {
  const float scores[] = {std::numeric_limits<float>::infinity(), 3.5f, 1.0f, 1e-30f, 0.0f, -1e-30f, -1.0f, -7.25f,
                          -std::numeric_limits<float>::infinity()};
  for (std::size_t i = 0; i + 1 < std::size(scores); ++i) {
    CAPTURE(scores[i]);
    CHECK(detail::descending_key(scores[i]) < detail::descending_key(scores[i + 1]));
  }
  CHECK(detail::descending_key(-0.0f) == detail::descending_key(0.0f));
  // The key below-threshold boxes get sorts after every score.
  CHECK(detail::descending_key(-std::numeric_limits<float>::infinity()) < 0xFFFFFFFFu);
}
