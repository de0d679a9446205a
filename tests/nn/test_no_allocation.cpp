// After the first step, a training step allocates nothing: activations, gradients, scratch and
// optimiser state are reused; after the first call, inference allocates nothing but its result.
// Counted on every path to the heap: the global operator new family is replaced, and malloc,
// calloc, realloc, posix_memalign (xsimd's aligned_allocator), aligned_alloc, memalign and
// valloc are interposed (defined here, forwarding to glibc's __libc_* entry points). Under
// AddressSanitizer, whose runtime owns the malloc family, only operator new is counted.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstdlib>
#include <new>

#include <malloc.h>

#include <xtensor/xrandom.hpp>

#include <tarmac/nn.hpp>

#if defined(__SANITIZE_ADDRESS__)
#define TARMAC_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TARMAC_TEST_ASAN 1
#endif
#endif
#ifndef TARMAC_TEST_ASAN
#define TARMAC_TEST_ASAN 0
#endif

namespace {

enum path : std::size_t { op_new, op_new_aligned, c_malloc, c_calloc, c_realloc, c_posix_memalign, c_aligned_alloc, c_memalign, c_valloc, paths };
// Zero-initialised before any code runs: the dynamic loader and libc allocate before main.
std::array<std::atomic<std::size_t>, paths> counts{};

void count(path p) { counts[p].fetch_add(1, std::memory_order_relaxed); }

std::size_t allocations() {
  std::size_t total = 0;
  for (const auto& c : counts) total += c.load();
  return total;
}

// Keeps the compiler from removing an allocation whose memory is never used.
void keep(void* p) { asm volatile("" : : "r"(p) : "memory"); }

constexpr bool malloc_counted = !TARMAC_TEST_ASAN;

}  // namespace

#if TARMAC_TEST_ASAN
namespace {
void* raw_malloc(std::size_t size) { return std::malloc(size); }
void* raw_aligned(std::size_t alignment, std::size_t size) {
  void* p = nullptr;
  return posix_memalign(&p, alignment, size) == 0 ? p : nullptr;
}
void raw_free(void* p) { std::free(p); }
}  // namespace
#else
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void* __libc_valloc(std::size_t);
void __libc_free(void*);

void* malloc(std::size_t size) noexcept {
  count(c_malloc);
  return __libc_malloc(size);
}
void* calloc(std::size_t n, std::size_t size) noexcept {
  count(c_calloc);
  return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t size) noexcept {
  count(c_realloc);
  return __libc_realloc(p, size);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t size) noexcept {
  count(c_posix_memalign);
  if (alignment % sizeof(void*) != 0 || !std::has_single_bit(alignment)) return EINVAL;
  void* p = __libc_memalign(alignment, size);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}
void* aligned_alloc(std::size_t alignment, std::size_t size) noexcept {
  count(c_aligned_alloc);
  return __libc_memalign(alignment, size);
}
void* memalign(std::size_t alignment, std::size_t size) noexcept {
  count(c_memalign);
  return __libc_memalign(alignment, size);
}
void* valloc(std::size_t size) noexcept {
  count(c_valloc);
  return __libc_valloc(size);
}
}  // extern "C"
namespace {
void* raw_malloc(std::size_t size) { return __libc_malloc(size); }
void* raw_aligned(std::size_t alignment, std::size_t size) { return __libc_memalign(alignment, size); }
void raw_free(void* p) { __libc_free(p); }
}  // namespace
#endif

// The whole replaceable operator new / delete family, so that no library's own definition is used
// (under ASan, a variant left out would pull in the runtime's and clash with these).
namespace {
void* counted_new(std::size_t size) {
  count(op_new);
  return raw_malloc(size ? size : 1);
}
void* counted_new(std::size_t size, std::align_val_t alignment) {
  count(op_new_aligned);
  return raw_aligned(std::max(std::size_t(alignment), sizeof(void*)), size ? size : 1);
}
template <class... Alignment>
void* new_or_throw(std::size_t size, Alignment... alignment) {
  if (void* p = counted_new(size, alignment...)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t size) { return new_or_throw(size); }
void* operator new[](std::size_t size) { return new_or_throw(size); }
void* operator new(std::size_t size, std::align_val_t a) { return new_or_throw(size, a); }
void* operator new[](std::size_t size, std::align_val_t a) { return new_or_throw(size, a); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return counted_new(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return counted_new(size); }
void* operator new(std::size_t size, std::align_val_t a, const std::nothrow_t&) noexcept { return counted_new(size, a); }
void* operator new[](std::size_t size, std::align_val_t a, const std::nothrow_t&) noexcept { return counted_new(size, a); }
void operator delete(void* p) noexcept { raw_free(p); }
void operator delete[](void* p) noexcept { raw_free(p); }
void operator delete(void* p, std::size_t) noexcept { raw_free(p); }
void operator delete[](void* p, std::size_t) noexcept { raw_free(p); }
void operator delete(void* p, std::align_val_t) noexcept { raw_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { raw_free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { raw_free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { raw_free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { raw_free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { raw_free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { raw_free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { raw_free(p); }

namespace {

using net_t = tarmac::nn::network<tarmac::nn::input<16, 16, 3>, tarmac::nn::conv2d<8, 3>, tarmac::nn::maxpool2d<2>,
                                  tarmac::nn::relu, tarmac::nn::flatten, tarmac::nn::dense<16>, tarmac::nn::relu,
                                  tarmac::nn::dense<3>>;

void say_what_is_counted() {
  if (!malloc_counted)
    MESSAGE("AddressSanitizer build: its runtime owns malloc, so the malloc family (posix_memalign, which xsimd's "
            "aligned_allocator uses, included) is not interposed; only operator new is counted. The release build "
            "counts every path.");
}

}  // namespace

TEST_CASE("the counter sees every allocation path") {
  say_what_is_counted();
  auto grows = [](path p, auto allocate) {
    const std::size_t before = counts[p];
    allocate();
    return counts[p] - before;
  };
  struct alignas(64) wide {
    char c;
  };
  CHECK(grows(op_new, [] {
          int* p = new int(1);
          keep(p);
          delete p;
        }) == 1);
  CHECK(grows(op_new, [] {
          int* p = new int[3];
          keep(p);
          delete[] p;
        }) == 1);
  CHECK(grows(op_new_aligned, [] {
          wide* p = new wide;
          keep(p);
          delete p;
        }) == 1);
  if (!malloc_counted) return;
  // allocate() returns the block, which is then freed.
  auto grows_c = [&](path p, auto allocate) {
    return grows(p, [&] {
      void* block = allocate();
      keep(block);
      std::free(block);
    });
  };
  CHECK(grows_c(c_malloc, [] { return std::malloc(24); }) == 1);
  CHECK(grows_c(c_calloc, [] { return std::calloc(3, 8); }) == 1);
  CHECK(grows_c(c_realloc, [] {
          void* block = std::malloc(8);
          keep(block);
          return std::realloc(block, 4096);
        }) == 1);
  CHECK(grows_c(c_posix_memalign, [] {
          void* block = nullptr;
          return posix_memalign(&block, 64, 24) == 0 ? block : nullptr;
        }) == 1);
  CHECK(grows_c(c_aligned_alloc, [] { return std::aligned_alloc(64, 64); }) == 1);
  CHECK(grows_c(c_memalign, [] { return memalign(64, 24); }) == 1);
  CHECK(grows_c(c_valloc, [] { return valloc(24); }) == 1);
}

TEST_CASE("a network's buffers come from xsimd's aligned allocator, through posix_memalign, and are counted") {
  say_what_is_counted();
  if (!malloc_counted) return;
  const std::size_t before = counts[c_posix_memalign];
  net_t net({.threads = 2});
  CHECK(counts[c_posix_memalign] - before > 0);
}

TEST_CASE("train_step allocates nothing after the first step") {
  say_what_is_counted();
  net_t net({.threads = 2});
  tarmac::nn::adam<float> optimiser;
  xt::random::seed(1);
  const xt::xtensor<float, 4> images = xt::random::rand<float>({8, 16, 16, 3});
  const std::vector<std::size_t> labels{0, 1, 2, 0, 1, 2, 0, 1};
  net.train_step(images, labels, optimiser);
  const std::size_t before = allocations();
  for (int i = 0; i < 3; ++i) net.train_step(images, labels, optimiser);
  CHECK(allocations() - before == 0);
  net.train_step(images, std::span(labels).first(5), optimiser);  // a smaller last batch reuses the buffers
  CHECK(allocations() - before == 0);
}

TEST_CASE("inference allocates nothing after the first call but predict's result") {
  say_what_is_counted();
  net_t net({.threads = 2});
  xt::random::seed(2);
  const xt::xtensor<float, 4> images = xt::random::rand<float>({40, 16, 16, 3});  // two chunks of at most 32
  const std::vector<std::size_t> labels(40, 1);
  net.evaluate(images, labels);
  std::size_t before = allocations();
  for (int i = 0; i < 3; ++i) net.evaluate(images, labels);
  CHECK(allocations() - before == 0);
  net.predict(images);
  before = allocations();
  const xt::xtensor<float, 2> probabilities = net.predict(images);
  CHECK(probabilities.shape()[0] == 40);
  CHECK(allocations() - before == 1);  // the returned tensor
}
