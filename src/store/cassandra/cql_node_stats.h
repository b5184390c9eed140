// cql_node_stats: what the session knows of one node's recent behaviour: requests, errors,
// timeouts, requests in flight, a latency histogram, a recent-latency estimate (for
// speculative reads), and whether the node is suspect. Internal to store/cassandra: the pool
// keeps one per node (cql_pool.h), the executor reports to it (cql_executor.h), the session
// exposes Report() as labelled metrics (cql_session.h's NodeReports).
//
// Suspect: a node whose requests time out (kSuspectAfterTimeouts in a row with no answer in
// between) is suspect for suspect_for; routing puts it after every healthy node, so a hung node
// (SIGSTOP, a long GC pause) stops sinking throughput at once, without waiting for the server's
// DOWN event or the heartbeat. Any answer from it ends the suspicion; when suspect_for passes
// it is tried again (one request is the probe; a new timeout renews the suspicion).
//
// Thread-safety: every method may be called from any thread (relaxed atomics, one small lock
// for the recent-latency window).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "base/clock.h"
#include "base/mutex.h"
#include "metrics/metrics.h"

namespace shoal::store::cassandra {

struct NodeStatsOptions {
  // Timeouts in a row (no answer in between) that make a node suspect.
  int suspect_after_timeouts = 2;
  Duration suspect_for = std::chrono::seconds(2);
};

// NodeReport is one node's line in the metrics (cql_session.h's NodeReports).
struct NodeReport {
  std::string node;  // "host:port"
  std::string dc;
  bool up = false;  // a connection open and the node not marked DOWN by the server
  bool suspect = false;
  uint64_t requests = 0;  // attempts sent to it (speculative ones included)
  uint64_t errors = 0;    // ERROR answers and broken connections
  uint64_t timeouts = 0;  // attempts whose deadline passed with no answer
  int64_t in_flight = 0;
  // Latency of answered attempts, metrics::Histogram's buckets (microseconds).
  std::array<uint64_t, metrics::Histogram::kBoundsUs.size() + 1> latency_buckets{};
  uint64_t latency_count = 0;
  uint64_t latency_sum_us = 0;
};

class NodeStats {
 public:
  explicit NodeStats(NodeStatsOptions options = {});
  NodeStats(const NodeStats&) = delete;
  NodeStats& operator=(const NodeStats&) = delete;

  void OnSent();
  // OnAnswered: an answer came (an ERROR answer counts as an error, but it is an answer: the
  // node is alive). Ends any suspicion.
  void OnAnswered(Duration latency, bool error);
  // OnBroken: the connection broke under the request.
  void OnBroken();
  // OnTimeout: the attempt's deadline passed with no answer, at `now`.
  void OnTimeout(TimePoint now);
  // OnAbandoned: a speculative attempt's answer is no longer wanted (another won); the answer
  // may still come and is then counted by OnAnswered. Only in_flight changes.
  void OnAbandoned();

  bool Suspect(TimePoint now) const;
  // RecentP99 is the 99th percentile of latencies answered in the last ~10 s (zero if fewer
  // than 20 answers).
  Duration RecentP99() const;

  // Report fills the counters of `out` (node, dc and up are the pool's).
  void Report(NodeReport* out) const;

 private:
  const NodeStatsOptions options_;
  std::atomic<uint64_t> requests_{0}, errors_{0}, timeouts_{0};
  std::atomic<int64_t> in_flight_{0};
  std::atomic<int> timeouts_in_a_row_{0};
  std::atomic<int64_t> suspect_until_ns_{0};  // steady clock, 0: not suspect
  metrics::Histogram latency_;

  mutable Mutex mu_;  // the recent window
  struct Window;
};

}  // namespace shoal::store::cassandra
