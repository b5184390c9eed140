// Mutex and MutexLock: std::mutex with clang's thread-safety annotations.
//
// Fields are marked SHOAL_GUARDED_BY(mu_), helpers that need the lock end in `Locked` and are
// marked SHOAL_REQUIRES(mu_); the clang preset builds with -Wthread-safety so the compiler
// checks the discipline. Under g++ the annotations compile to nothing.
#pragma once

#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define SHOAL_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define SHOAL_THREAD_ANNOTATION(x)
#endif

#define SHOAL_CAPABILITY(x) SHOAL_THREAD_ANNOTATION(capability(x))
#define SHOAL_SCOPED_CAPABILITY SHOAL_THREAD_ANNOTATION(scoped_lockable)
#define SHOAL_GUARDED_BY(x) SHOAL_THREAD_ANNOTATION(guarded_by(x))
#define SHOAL_PT_GUARDED_BY(x) SHOAL_THREAD_ANNOTATION(pt_guarded_by(x))
#define SHOAL_REQUIRES(...) SHOAL_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define SHOAL_EXCLUDES(...) SHOAL_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define SHOAL_ACQUIRE(...) SHOAL_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define SHOAL_RELEASE(...) SHOAL_THREAD_ANNOTATION(release_capability(__VA_ARGS__))

namespace shoal {

class SHOAL_CAPABILITY("mutex") Mutex {
 public:
  void Lock() SHOAL_ACQUIRE() { mu_.lock(); }
  void Unlock() SHOAL_RELEASE() { mu_.unlock(); }
  // native gives condition variables the std::mutex they need.
  std::mutex& native() { return mu_; }

 private:
  std::mutex mu_;
};

class SHOAL_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) SHOAL_ACQUIRE(mu) : mu_(mu) { mu_.Lock(); }
  ~MutexLock() SHOAL_RELEASE() { mu_.Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
};

// CondVar waits on a Mutex held by the caller through a MutexLock.
class CondVar {
 public:
  // Wait releases `mu` while blocked; REQUIRES: mu held.
  template <typename Pred>
  void Wait(Mutex& mu, Pred pred) SHOAL_REQUIRES(mu) {
    std::unique_lock<std::mutex> lk(mu.native(), std::adopt_lock);
    cv_.wait(lk, pred);
    lk.release();
  }
  template <typename Pred, typename Rep, typename Period>
  bool WaitFor(Mutex& mu, std::chrono::duration<Rep, Period> d, Pred pred) SHOAL_REQUIRES(mu) {
    std::unique_lock<std::mutex> lk(mu.native(), std::adopt_lock);
    bool ok = cv_.wait_for(lk, d, pred);
    lk.release();
    return ok;
  }
  void NotifyOne() { cv_.notify_one(); }
  void NotifyAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace shoal
