// Serve's metrics: publishes in the Registry what each layer of a node counts, read at
// scrape time (cache, read-through, store, http server, cluster, Cassandra client, process),
// and measures the GETs to peers (PeerMetrics, ClusterOptions::on_peer_get).
//
// Series added here beyond the per-layer counters: shoal_cluster_peer_up{peer} (gauge, from
// Cluster::Peers), shoal_peer_request_duration_seconds{peer} (histogram) and
// shoal_peer_request_errors_total{peer}, the process_* series (metrics/process_metrics.h).
// Every callback borrows the object it reads: the registry and those objects live in
// RunServe's frame and are destroyed together (no scrape runs after the server stops).
//
// Thread-safety: the Expose* functions run once at start-up; what they register is read by
// scrapes on any thread. PeerMetrics::Observe is thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "cache/cache.h"
#include "cache/memory_governor.h"
#include "cache/read_through.h"
#include "cluster/cluster.h"
#include "http/server.h"
#include "metrics/metrics.h"
#include "store/cassandra/cassandra_store.h"

namespace shoal::cli {

// ExposeStats publishes the cache's, the read-through's, the store's query count and the http
// server's counters, and the process_* series.
void ExposeStats(metrics::Registry& reg, const cache::Cache& cache, const cache::ReadThrough& rt,
                 const std::function<uint64_t()>& store_queries, const http::Server& server);

// ExposeMemoryGovernor publishes the governor's line, the caches' budget it allows now and
// its cuts (cache.memory_bound).
void ExposeMemoryGovernor(metrics::Registry& reg, const cache::MemoryGovernor& governor);

// ExposeClusterStats publishes a cluster member's counters, its members' up state and its hot
// cache (`hot` may be null).
void ExposeClusterStats(metrics::Registry& reg, const cluster::Cluster& cl, const cache::Cache* hot,
                        const cache::ReadThrough& rt);

// ExposeCassandra publishes the Cassandra session's counters and one series per node
// (node="HOST:PORT", dc).
void ExposeCassandra(metrics::Registry& reg, const store::cassandra::Session& session);

// PeerMetrics times the GETs to peers into shoal_peer_request_duration_seconds{peer} and
// counts their transport failures; Observe has ClusterOptions::on_peer_get's signature.
class PeerMetrics {
 public:
  explicit PeerMetrics(metrics::Registry& reg);
  void Observe(const std::string& peer, Duration elapsed, bool answered) const;
  // A peer's series (made on first ask), for the stats document.
  metrics::Histogram* LatencyOf(std::string_view peer) const;
  metrics::Counter* ErrorsOf(std::string_view peer) const;

 private:
  metrics::HistogramFamily* duration_;
  metrics::CounterFamily* errors_;
};

}  // namespace shoal::cli
