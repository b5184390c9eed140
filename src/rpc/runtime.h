// rpc::Runtime: the threads that run peer connections, both directions.
//
// One io_context run by `threads` threads (default 1). Peer traffic is small next to client
// traffic (one frame per miss that another node owns), so it gets its own thread rather than
// a share of the HTTP event loops; no Asio type appears in this header.
//
// A std::bad_alloc that escapes a handler (connections catch their own while reading) is
// logged (component "rpc") and the thread runs on: peer traffic never terminates the process.
//
// Ownership: owns its threads, which the constructor starts; Clients and Servers borrow it
// and must be destroyed (or Closed / Stopped) before it. Thread-safety: Post and PostAfter
// from any thread; Stop (and the destructor) from a thread that is not a Runtime thread.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include "base/clock.h"
#include "base/logger.h"

namespace shoal::rpc {

class Runtime {
 public:
  // `logger` (not owned; must outlive the Runtime) hears of a bad_alloc on a thread.
  explicit Runtime(size_t threads = 1, Logger* logger = &NullLogger());
  ~Runtime();  // Stop()  NOLINT(bugprone-exception-escape): see runtime.cc
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Post runs `fn` on a Runtime thread.
  void Post(std::function<void()> fn);
  // PostAfter runs `fn` on a Runtime thread once `delay` has passed (timers for probes and
  // backoff). Work not yet run when Stop is called is dropped.
  void PostAfter(Duration delay, std::function<void()> fn);
  // Stop ends the threads after the work already posted; idempotent. Connections still open
  // do not hold it up (their pending reads are dropped), and nothing posted after it runs.
  void Stop();

  struct Impl;  // the io_context; defined in rpc/runtime_internal.h for client.cc/server.cc
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace shoal::rpc
