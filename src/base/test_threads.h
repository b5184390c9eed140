// Test helper: a group of threads that each run the same function with their index, joined on
// Join() or at destruction. For the races the concurrency tests make on purpose (STYLE.md,
// "Sanitizers"): start the callers, do the thing they race against, then join.
// Thread-safety: one owner thread calls Join and the destructor.
#pragma once

#include <thread>
#include <utility>
#include <vector>

namespace shoal::testing {

class ThreadGroup {
 public:
  // Starts `n` threads running fn(0) .. fn(n - 1). `fn` is copied into each thread.
  template <typename Fn>
  ThreadGroup(int n, Fn fn) {
    threads_.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) threads_.emplace_back(fn, i);
  }
  ~ThreadGroup() { Join(); }
  ThreadGroup(const ThreadGroup&) = delete;
  ThreadGroup& operator=(const ThreadGroup&) = delete;

  // Join waits for every thread to return; later calls do nothing.
  void Join() {
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  std::vector<std::thread> threads_;
};

}  // namespace shoal::testing
