// cql_node_stats: what the session knows of one node's recent behaviour: requests, errors,
// timeouts, requests in flight, a latency histogram, a recent-latency estimate (for
// speculative reads and the executor's per-attempt timeout), and whether the node is suspect.
// Internal to store/cassandra: the pool keeps one per node (cql_pool.h), the executor reports
// to it (cql_executor.h), the session exposes Report() as labelled metrics (cql_session.h's
// NodeReports).
//
// One attempt (a request sent to this node) is reported as: OnSent; at most one OnTimeout
// (its own time ran out, the attempt may still be answered); then exactly one end: OnAnswered,
// OnBroken or OnAbandoned (no answer will be waited for: the call's deadline passed, or it was
// never sent).
//
// Suspect: a node whose attempts time out (suspect_after_timeouts in a row, with no timely
// answer in between) is suspect for suspect_for; routing puts it after every healthy node, so
// a hung node (SIGSTOP, a long GC pause) stops sinking throughput at once, without waiting for
// the server's DOWN event or the heartbeat. A timely answer (one that came before its attempt
// timed out) ends the suspicion. When suspect_for has passed, the node is healthy again for
// exactly one attempt, the probe: the first OnSent claims it, and the node reads as suspect
// again until the probe is answered (suspicion over) or times out (suspect for another
// suspect_for). Late answers (after their attempt's OnTimeout) count as answers and latencies
// but neither clear nor renew anything: a node that answers only after the time given to it is
// no healthier for it.
//
// RecentP99 is the 99th percentile of the latencies answered in the last kWindow, from a ring
// of kSubWindows bucketed histograms (log-linear buckets, 4 per power of two, so an estimate is
// at most ~19% above the true value; no sorting on the hot path).
//
// Thread-safety: every method may be called from any thread (relaxed atomics, one small lock
// for the recent-latency window). Times are passed in, so tests drive a fake clock.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "base/clock.h"
#include "base/mutex.h"
#include "metrics/metrics.h"

namespace shoal::store::cassandra {

struct NodeStatsOptions {
  // Timeouts in a row (no timely answer in between) that make a node suspect.
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
  uint64_t timeouts = 0;  // attempts whose time ran out before an answer
  int64_t in_flight = 0;
  // Latency of answered attempts, metrics::Histogram's buckets (microseconds; not cumulative).
  std::array<uint64_t, metrics::Histogram::kBoundsUs.size() + 1> latency_buckets{};
  uint64_t latency_count = 0;
  uint64_t latency_sum_us = 0;
};

class NodeStats {
 public:
  static constexpr Duration kWindow = std::chrono::seconds(10);
  static constexpr size_t kSubWindows = 5;
  // RecentP99 needs at least this many answers in the window.
  static constexpr uint64_t kMinSamples = 20;

  explicit NodeStats(NodeStatsOptions options = {});
  NodeStats(const NodeStats&) = delete;
  NodeStats& operator=(const NodeStats&) = delete;

  void OnSent(TimePoint now);
  // OnAnswered: an answer came (an ERROR answer counts as an error, but it is an answer: the
  // node is alive). `timely`: before the attempt's OnTimeout; only then does it end suspicion.
  void OnAnswered(TimePoint now, Duration latency, bool error, bool timely = true);
  // OnBroken: the connection broke under the request.
  void OnBroken();
  // OnTimeout: the attempt's time ran out with no answer, at `now` (at most once per attempt;
  // the attempt stays in flight until its end is reported).
  void OnTimeout(TimePoint now);
  // OnAbandoned: the attempt ends without an answer anyone waits for.
  void OnAbandoned();

  bool Suspect(TimePoint now) const;
  // RecentP99 is the 99th percentile of the latencies answered in the last kWindow before
  // `now` (an upper bound of its bucket); zero with fewer than kMinSamples answers.
  Duration RecentP99(TimePoint now) const;

  // Report fills the counters of `out` (node, dc and up are the pool's).
  void Report(TimePoint now, NodeReport* out) const;

 private:
  // Log-linear buckets over microseconds: 4 per power of two from 2^6 us (64 us) to 2^26 us
  // (~67 s); the first holds everything below, the last everything above.
  static constexpr size_t kBuckets = 4 * 20 + 2;
  struct SubWindow {
    int64_t epoch = -1;  // which kWindow/kSubWindows slice of time it counts
    uint64_t count = 0;
    std::array<uint32_t, kBuckets> buckets{};
  };
  static size_t BucketOf(uint64_t us);
  static uint64_t BucketUpperUs(size_t bucket);
  static int64_t EpochOf(TimePoint t);

  const NodeStatsOptions options_;
  std::atomic<uint64_t> requests_{0}, errors_{0}, timeouts_{0};
  std::atomic<int64_t> in_flight_{0};
  std::atomic<int> timeouts_in_a_row_{0};
  // Steady clock, ns since its epoch. suspect_until_ns_ 0: not suspect (nor probing).
  std::atomic<int64_t> suspect_until_ns_{0};
  // The probe's claim: until then, the node stays suspect while its probe is out (a probe
  // whose end is never reported, e.g. broken, gives way to another after suspect_for).
  std::atomic<int64_t> probe_until_ns_{0};
  metrics::Histogram latency_;

  mutable Mutex mu_;  // the recent window
  std::array<SubWindow, kSubWindows> window_ SHOAL_GUARDED_BY(mu_);
};

}  // namespace shoal::store::cassandra
