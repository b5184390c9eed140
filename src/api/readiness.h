// Readiness: whether this node should be sent traffic now, for GET /_shoal/ready (a load
// balancer's or Kubernetes' readiness probe). /_shoal/health stays liveness: the process
// answers.
//
// A node is ready when all of these hold:
//   - it is not draining (SIGTERM came: BeginDraining), so a balancer stops sending before the
//     listener closes (http.drain_delay);
//   - the store answered within the last `window`: a successful answer from a query (real
//     traffic through ObservedStore, or the background StoreProbe every probe_interval), so
//     an idle node stays ready and a node whose store stopped answering turns unready within
//     the window; until the first answer after start the node is not ready;
//   - in a cluster, the member list is known (the membership callback; with `seeds:` the node
//     has learned a list from a seed).
// Otherwise Check gives the reasons, as operator text ("store: no answer for 12s (last error
// 1s ago: store unavailable)"); they name a short cause, never the database's own message
// (that goes to the log, StoreProbe).
//
// Which outcomes count (Record): an answer, including the database refusing a statement
// (Internal), a caller's bad input (InvalidArgument) or an answer over its limits, proves the
// store answers; Unavailable and DeadlineExceeded are failures; Cancelled (shutdown) and a
// full queue (ResourceExhausted: the store is busy, not gone) are neither.
//
// Thread-safety: Record*, BeginDraining, Check and Answer may be called from any thread at any
// time (atomics); SetMembershipCheck before the first Check, on one thread. The membership
// callback must itself be thread-safe. Borrows the Clock, which must outlive it.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "http/handler.h"

namespace shoal::api {

struct ReadinessOptions {
  // ready.probe_interval: how often StoreProbe asks the store a cheap query.
  Duration probe_interval = std::chrono::seconds(2);
  // ready.window: the store must have answered within this to be ready.
  Duration window = std::chrono::seconds(10);
};

// ReadinessVerdict is one Check's result.
struct ReadinessVerdict {
  bool ready = false;
  std::vector<std::string> reasons;  // empty when ready
};

class Readiness {
 public:
  Readiness(ReadinessOptions options, const Clock& clock);
  Readiness(const Readiness&) = delete;
  Readiness& operator=(const Readiness&) = delete;

  // SetMembershipCheck: in a cluster, `known` says whether the member list is known. Not set:
  // a single node, always known.
  void SetMembershipCheck(std::function<bool()> known);

  // Record notes the outcome of one store query (see the header comment for what counts).
  void Record(const Status& status);
  void RecordAnswer();
  void RecordFailure(StatusCode code);

  // BeginDraining makes the node unready for good (SIGTERM). Idempotent.
  void BeginDraining();
  bool draining() const { return draining_.load(std::memory_order_acquire); }

  ReadinessVerdict Check() const;
  // Answer is GET /_shoal/ready's response: 200 {"status":"ready"} or 503
  // {"status":"not ready","reasons":[...]}, never cached by a client.
  http::Response Answer() const;

  const ReadinessOptions& options() const { return options_; }

 private:
  // Times are the Clock's, in its Duration ticks since its epoch; 0 means never.
  const ReadinessOptions options_;
  const Clock& clock_;
  const TimePoint started_;
  std::function<bool()> membership_known_;
  std::atomic<Duration::rep> last_answer_{0};
  std::atomic<Duration::rep> last_failure_{0};
  std::atomic<int> last_failure_code_{0};
  std::atomic<bool> draining_{false};
};

// kReadyPath is the probe's path.
inline constexpr std::string_view kReadyPath = "/_shoal/ready";

}  // namespace shoal::api
