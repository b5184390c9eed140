// test_allocations.h: counts heap allocations, for the tests (and the hit benchmark) that show
// a path allocates nothing. It replaces the global operator new and delete, so include it in
// exactly one .cc of a binary.
//
// Two ways to count, both off until set:
//   CountThisThread      this thread's allocations while `count_this_thread` is set
//                        (a hit handled on the test's own thread);
//   count_other_threads  every thread's but those that set `not_counted_thread` (a server's
//                        event loops, while the test's client thread is left out).
// Replacing operator new would hide allocations from the sanitizers' own allocator, so under
// ASan and TSan nothing is replaced and SHOAL_COUNT_ALLOCATIONS is not defined: the tests that
// count are compiled only without them.
#pragma once

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define SHOAL_COUNT_ALLOCATIONS 1

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace shoal::testing {

inline thread_local bool count_this_thread = false;
inline thread_local uint64_t this_thread_allocations = 0;

inline std::atomic<bool> count_other_threads{false};
inline std::atomic<uint64_t> other_thread_allocations{0};
inline thread_local bool not_counted_thread = false;

// CountThisThread counts this thread's allocations from construction to destruction.
class CountThisThread {
 public:
  CountThisThread() {
    this_thread_allocations = 0;
    count_this_thread = true;
  }
  ~CountThisThread() { count_this_thread = false; }
  CountThisThread(const CountThisThread&) = delete;
  CountThisThread& operator=(const CountThisThread&) = delete;
  uint64_t count() const { return this_thread_allocations; }
};

}  // namespace shoal::testing

void* operator new(size_t size) {
  namespace t = shoal::testing;
  if (t::count_this_thread) ++t::this_thread_allocations;
  if (t::count_other_threads.load(std::memory_order_relaxed) && !t::not_counted_thread) {
    t::other_thread_allocations.fetch_add(1, std::memory_order_relaxed);
  }
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

#endif
