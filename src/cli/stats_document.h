// StatsDocument: GET /_shoal/stats, one JSON document of a node's figures now and its rates
// over the last 10 s and 1 min (README, "Operations"; the dashboard and `shoal stats` read
// it). Shape:
//   {"time", "uptime_seconds", "self",
//    "totals": {requests, hits, stale, misses, peer, errors_4xx, errors_5xx},
//    "rates": {"10s": RATE, "1m": RATE},
//    "cache": {bytes, entries, budget_bytes, hot_bytes, evictions},
//    "endpoints": [{route, requests, hits, stale, misses, peer, errors, rates}],
//    "peers": [{address, self, state, share, gets, errors, p99_ms}],
//    "cassandra": [{node, dc, up, suspect, in_flight, requests, errors, timeouts, p99_ms}],
//    "process": {rss_bytes, cpu_seconds, open_fds, start_time}}
// RATE = {requests_per_s, hit_ratio, p50_ms, p99_ms} (stats_sampler.h; null when undefined).
// Totals are the sums over the configured endpoints: requests for /_shoal/* and for paths
// matching no route are not in them (shoal_http_requests_total counts everything). A peer's
// and a Cassandra node's p99_ms is over the last minute.
//
// NodeStats reads a node's parts (ReadSample, for the StatsSampler) and writes the document
// (Render). Ownership: borrows every part, which outlive it (serve: all in RunServe's frame;
// the sampler is stopped before they go). Thread-safety: thread-safe; the Router getter and
// the parts' own reads are.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/endpoint_metrics.h"
#include "api/router.h"
#include "base/clock.h"
#include "base/mutex.h"
#include "cache/cache.h"
#include "cli/serve_metrics.h"
#include "cli/stats_sampler.h"
#include "cluster/cluster.h"
#include "metrics/metrics.h"
#include "store/cassandra/cql_node_stats.h"

namespace shoal::cli {

struct NodeParts {
  // The Router serving now (a reload may swap it); its endpoints' series are found in
  // `registry` (EndpointMetrics::Build gives the Api's own counters back).
  std::function<std::shared_ptr<const api::Router>()> router;
  metrics::Registry* registry = nullptr;
  const cache::Cache* cache = nullptr;
  const cache::Cache* hot = nullptr;          // may be null
  const cluster::Cluster* cluster = nullptr;  // null for a single node
  const PeerMetrics* peers = nullptr;         // with a cluster
  // The Cassandra session's nodes; empty for SQLite.
  std::function<std::vector<store::cassandra::NodeReport>()> cassandra;
  TimePoint started;  // steady time
};

class NodeStats {
 public:
  explicit NodeStats(NodeParts parts) : parts_(std::move(parts)) {}

  // ReadSample reads the counters now (the sampler's read function).
  StatsSample ReadSample() const;
  // Render writes the document, rates from `sampler`'s ring.
  std::string Render(const StatsSampler& sampler) const;

 private:
  std::shared_ptr<const api::EndpointMetrics> Endpoints(
      const std::shared_ptr<const api::Router>& router) const;

  const NodeParts parts_;
  mutable Mutex mu_;
  // The series of the last Router seen, rebuilt when it changes.
  mutable std::shared_ptr<const api::Router> router_ SHOAL_GUARDED_BY(mu_);
  mutable std::shared_ptr<const api::EndpointMetrics> endpoints_ SHOAL_GUARDED_BY(mu_);
};

}  // namespace shoal::cli
