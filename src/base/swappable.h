// Swappable<T>: one immutable snapshot (a shared_ptr<const T>) that a writer replaces whole
// while readers keep using the one they took (userver's rcu::Variable, in the shape STYLE.md
// asks for: a mutex held only to copy or swap the pointer, never std::atomic<shared_ptr>).
//
// Two ways to read:
//   Current()  a copy of the snapshot's shared_ptr, taken under the mutex: for work that keeps
//              it past the call (a load's callback, an admin request). One lock and one
//              reference-count increment.
//   Read()     a reference to the snapshot for a synchronous use on this thread, for the hit
//              path: each thread caches the shared_ptr it last took, tagged with the version
//              it had, and while the version (one atomic load, no read-modify-write) has not
//              moved on, Read takes no lock and writes nothing shared. After a Set, each
//              thread's next Read takes the lock once to refresh its copy.
// The reference Read returns stays valid until this thread's next Read of the same Swappable
// (which may drop it when a newer version came meanwhile): take it once at the top of a
// synchronous call, and call nothing that Reads the same Swappable while using it. Work that
// outlives the call takes Current().
//
// Memory: a thread's cached copy keeps an old snapshot alive until that thread Reads again or
// exits; each thread caches at most kSlots Swappables (a direct-mapped table by id, like the
// cache's front tables), so a thread that Reads many of them just refreshes more often.
// Thread-safety: thread-safe. Set is ordered by the mutex; a reader sees a whole snapshot.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include "base/mutex.h"

namespace shoal {

template <typename T>
class Swappable {
 public:
  explicit Swappable(std::shared_ptr<const T> initial)
      : id_(NextId()), current_(std::move(initial)) {}
  Swappable(const Swappable&) = delete;
  Swappable& operator=(const Swappable&) = delete;

  // Current returns the snapshot now in place (never null if the initial one was not).
  std::shared_ptr<const T> Current() const {
    MutexLock lock(mu_);
    return current_;
  }

  // Read: see the file comment. REQUIRES: no other Read of this Swappable on this thread
  // while the returned reference is in use.
  const T& Read() const {
    Slot& slot = ThreadSlots()[id_ % kSlots];
    const uint64_t v = version_.load(std::memory_order_acquire);
    if (slot.id != id_ || slot.version != v || slot.snapshot == nullptr) {
      MutexLock lock(mu_);
      slot.id = id_;
      slot.version = version_.load(std::memory_order_relaxed);
      slot.snapshot = current_;  // the old copy (if any) is released here
    }
    return *static_cast<const T*>(slot.snapshot.get());
  }

  // Set puts `next` in place; readers that hold the old one keep it until they let go.
  void Set(std::shared_ptr<const T> next) {
    std::shared_ptr<const T> old;
    {
      MutexLock lock(mu_);
      old = std::exchange(current_, std::move(next));
      version_.store(version_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    }
    // `old` is released here, outside the lock.
  }

  // version counts the Sets so far.
  uint64_t version() const { return version_.load(std::memory_order_acquire); }

  static constexpr size_t kSlots = 8;

 private:
  struct Slot {
    uint64_t id = 0;  // 0: empty (ids start at 1)
    uint64_t version = 0;
    std::shared_ptr<const void> snapshot;
  };
  static Slot* ThreadSlots() {
    thread_local Slot slots[kSlots];
    return slots;
  }
  static uint64_t NextId() {
    static std::atomic<uint64_t> next{1};
    return next.fetch_add(1, std::memory_order_relaxed);
  }

  const uint64_t id_;  // unique for the process's life: tags the thread slots
  mutable Mutex mu_;
  std::shared_ptr<const T> current_ SHOAL_GUARDED_BY(mu_);
  std::atomic<uint64_t> version_{0};
};

}  // namespace shoal
