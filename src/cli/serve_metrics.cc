// Serve's metrics: what each layer counts, published in the Registry; see serve_metrics.h.
#include "cli/serve_metrics.h"

#include <chrono>
#include <cstdint>
#include <string>

#include "metrics/process_metrics.h"

namespace shoal::cli {
namespace {

int64_t AsGauge(uint64_t v) { return static_cast<int64_t>(v); }

}  // namespace

void ExposeMemoryGovernor(metrics::Registry& reg, const cache::MemoryGovernor& governor) {
  reg.AddCallback("shoal_memory_line_bytes",
                  "Resident memory above which the caches give way (cache.memory_bound)",
                  [&governor] { return AsGauge(governor.line()); });
  reg.AddCallback("shoal_memory_resident_bytes", "The process's resident memory (VmRSS)",
                  [] { return AsGauge(metrics::ReadResidentBytes()); });
  reg.AddCallback("shoal_memory_cache_allowance_bytes",
                  "What the caches may hold together now (cache.memory, less what was cut)",
                  [&governor] { return AsGauge(governor.capacity()); });
  reg.AddCallback("shoal_memory_cuts_total",
                  "Times the caches were made smaller because the process grew past its line",
                  [&governor] { return AsGauge(governor.cuts()); });
}

// ExposeStats publishes the counters each layer keeps as metrics read at scrape time. The
// registry and the objects it reads live in RunServe's frame and are destroyed together.
void ExposeStats(metrics::Registry& reg, const cache::Cache& cache, const cache::ReadThrough& rt,
                 const std::function<uint64_t()>& store_queries, const http::Server& server) {
  reg.AddCallback("shoal_cache_bytes", "Bytes charged to the cache",
                  [&cache] { return AsGauge(cache.Stats().bytes); });
  reg.AddCallback("shoal_cache_entries", "Entries in the cache",
                  [&cache] { return AsGauge(cache.Stats().entries); });
  reg.AddCallback("shoal_cache_evictions_total", "Entries evicted to stay within the budget",
                  [&cache] { return AsGauge(cache.Stats().evictions); });
  reg.AddCallback("shoal_cache_budget_bytes", "The cache's byte budget",
                  [&cache] { return AsGauge(cache.capacity_bytes()); });
  reg.AddCallback("shoal_cache_hits_total", "Fresh hits",
                  [&rt] { return AsGauge(rt.Stats().hits); });
  reg.AddCallback("shoal_cache_stale_hits_total", "Stale hits (served while refreshing)",
                  [&rt] { return AsGauge(rt.Stats().stale_hits); });
  reg.AddCallback("shoal_cache_misses_total", "Requests that had to wait for a load",
                  [&rt] { return AsGauge(rt.Stats().misses); });
  reg.AddCallback("shoal_loads_total", "Loads started (misses and refreshes, deduplicated)",
                  [&rt] { return AsGauge(rt.Stats().loads); });
  reg.AddCallback("shoal_load_dedup_total", "Misses that joined a load already in flight",
                  [&rt] { return AsGauge(rt.Stats().dedup_waits); });
  reg.AddCallback("shoal_load_errors_total", "Loads that failed",
                  [&rt] { return AsGauge(rt.Stats().load_errors); });
  reg.AddCallback("shoal_stale_if_error_total", "Failed loads answered with an older entry",
                  [&rt] { return AsGauge(rt.Stats().stale_if_error); });
  reg.AddCallback("shoal_store_queries_total", "Queries sent to the store",
                  [store_queries] { return AsGauge(store_queries()); });
  reg.AddCallback("shoal_http_connections_open", "Open client connections",
                  [&server] { return AsGauge(server.stats().connections_open); });
  reg.AddCallback("shoal_http_connections_total", "Client connections accepted",
                  [&server] { return AsGauge(server.stats().connections_accepted); });
  reg.AddCallback("shoal_http_requests_total", "Requests handed to the api",
                  [&server] { return AsGauge(server.stats().requests); });
  reg.AddCallback("shoal_http_responses_5xx_total", "5xx answers",
                  [&server] { return AsGauge(server.stats().responses_5xx); });
  reg.AddCallback("shoal_http_responses_4xx_total", "4xx answers",
                  [&server] { return AsGauge(server.stats().responses_4xx); });
  reg.AddCallback("shoal_http_request_timeouts_total", "Requests answered 503 for lack of time",
                  [&server] { return AsGauge(server.stats().request_timeouts); });
  metrics::AddProcessMetrics(reg);
}

// ExposeClusterStats publishes a cluster member's counters and its hot cache.
void ExposeClusterStats(metrics::Registry& reg, const cluster::Cluster& cl, const cache::Cache* hot,
                        const cache::ReadThrough& rt) {
  struct Counter {
    const char* name;
    const char* help;
    uint64_t cluster::ClusterStats::*field;
  };
  static constexpr Counter kCounters[] = {
      {"shoal_cluster_peer_gets_total", "Misses sent to their owner node",
       &cluster::ClusterStats::peer_gets},
      {"shoal_cluster_peer_errors_total", "Peer GETs that failed in transport",
       &cluster::ClusterStats::peer_errors},
      {"shoal_cluster_local_fallbacks_total",
       "Loads done here because the owner was down or failed",
       &cluster::ClusterStats::local_fallbacks},
      {"shoal_cluster_hot_admissions_total", "Other nodes' answers kept in the hot cache",
       &cluster::ClusterStats::hot_admissions},
      {"shoal_cluster_served_gets_total", "GETs answered for other nodes",
       &cluster::ClusterStats::served_gets},
      {"shoal_cluster_served_purges_total", "PURGEs applied for other nodes",
       &cluster::ClusterStats::served_purges},
      {"shoal_cluster_ring_changes_total", "Peer list replacements",
       &cluster::ClusterStats::ring_changes},
      {"shoal_cluster_copies_refused_total", "Peer answers not kept: older than a purge here",
       &cluster::ClusterStats::copies_refused},
      {"shoal_cluster_purge_behind_total", "Keys reloaded: a peer's GET showed a missed purge",
       &cluster::ClusterStats::purge_behind},
      {"shoal_cluster_purge_syncs_total", "Purge catch-ups (PURGE_SYNC) completed",
       &cluster::ClusterStats::purge_syncs},
      {"shoal_cluster_purge_flushes_total", "Whole-cache flushes by a purge catch-up",
       &cluster::ClusterStats::purge_flushes},
      {"shoal_cluster_purge_resent_total", "Own purges sent again to a peer that missed them",
       &cluster::ClusterStats::purge_resent},
      {"shoal_cluster_deadline_refused_total", "Peer GETs refused: too little time to load",
       &cluster::ClusterStats::deadline_refused},
      {"shoal_cluster_handover_hits_total", "Keys taken over from their previous owner",
       &cluster::ClusterStats::handover_hits},
      {"shoal_cluster_handover_misses_total", "Handover asks that fell through to the store",
       &cluster::ClusterStats::handover_misses},
      {"shoal_cluster_late_dropped_total", "Peer GET replies dropped after the caller's deadline",
       &cluster::ClusterStats::late_dropped},
      {"shoal_cluster_list_epoch", "The member list's version (epoch)",
       &cluster::ClusterStats::list_epoch},
      {"shoal_cluster_members", "Nodes in the member list", &cluster::ClusterStats::members},
      {"shoal_cluster_membership_changes_total",
       "Member list versions adopted (from a peer, the source or PUT /_shoal/peers)",
       &cluster::ClusterStats::lists_adopted},
  };
  for (const Counter& c : kCounters) {
    reg.AddCallback(c.name, c.help, [&cl, f = c.field] { return AsGauge(cl.Stats().*f); });
  }
  reg.AddCallback("shoal_cluster_peers_up", "Peers (this node included) not marked down", [&cl] {
    int64_t up = 0;
    for (const auto& p : cl.Peers()) up += p.up ? 1 : 0;
    return up;
  });
  reg.AddFamilyCallback("shoal_cluster_peer_up",
                        "1 while the member (this node included) is not marked down",
                        metrics::Type::kGauge, [&cl](metrics::FamilyWriter& w) {
                          for (const cluster::PeerInfo& p : cl.Peers()) {
                            w.Sample({{"peer", p.address}}, p.up ? 1 : 0);
                          }
                        });
  reg.AddCallback("shoal_cache_hot_hits_total", "Fresh hits found in the hot cache",
                  [&rt] { return AsGauge(rt.Stats().hot_hits); });
  if (hot != nullptr) {
    reg.AddCallback("shoal_hot_cache_bytes", "Bytes charged to the hot cache",
                    [hot] { return AsGauge(hot->Stats().bytes); });
    reg.AddCallback("shoal_hot_cache_entries", "Entries in the hot cache",
                    [hot] { return AsGauge(hot->Stats().entries); });
  }
}

namespace {

// ExposeCassandraNodes publishes one series per Cassandra node the session knows, labelled
// node="HOST:PORT" and dc (empty when unknown), read at scrape time.
void ExposeCassandraNodes(metrics::Registry& reg, const store::cassandra::Session& session) {
  using store::cassandra::NodeReport;
  struct Family {
    const char* name;
    const char* help;
    metrics::Type type;
    int64_t (*value)(const NodeReport&);
  };
  static constexpr Family kFamilies[] = {
      {"shoal_cassandra_requests_total", "Attempts sent to the node (speculative ones included)",
       metrics::Type::kCounter, [](const NodeReport& r) { return AsGauge(r.requests); }},
      {"shoal_cassandra_errors_total",
       "ERROR answers from the node and connections broken under a request",
       metrics::Type::kCounter, [](const NodeReport& r) { return AsGauge(r.errors); }},
      {"shoal_cassandra_timeouts_total", "Attempts on the node whose time ran out before an answer",
       metrics::Type::kCounter, [](const NodeReport& r) { return AsGauge(r.timeouts); }},
      {"shoal_cassandra_in_flight", "Attempts on the node awaiting an answer",
       metrics::Type::kGauge, [](const NodeReport& r) { return r.in_flight; }},
      {"shoal_cassandra_node_up", "1 when a connection to the node is open", metrics::Type::kGauge,
       [](const NodeReport& r) { return int64_t{r.up ? 1 : 0}; }},
      {"shoal_cassandra_node_suspect",
       "1 while the node is suspect (its requests timed out) and routed to last",
       metrics::Type::kGauge, [](const NodeReport& r) { return int64_t{r.suspect ? 1 : 0}; }},
  };
  for (const Family& f : kFamilies) {
    reg.AddFamilyCallback(f.name, f.help, f.type,
                          [&session, value = f.value](metrics::FamilyWriter& w) {
                            for (const NodeReport& r : session.NodeReports()) {
                              w.Sample({{"node", r.node}, {"dc", r.dc}}, value(r));
                            }
                          });
  }
  reg.AddFamilyCallback("shoal_cassandra_request_duration_seconds",
                        "Time from sending an attempt to the node to its answer",
                        metrics::Type::kHistogram, [&session](metrics::FamilyWriter& w) {
                          for (const NodeReport& r : session.NodeReports()) {
                            w.HistogramSample({{"node", r.node}, {"dc", r.dc}}, r.latency_buckets,
                                              r.latency_count, r.latency_sum_us);
                          }
                        });
}

}  // namespace

void ExposeCassandra(metrics::Registry& reg, const store::cassandra::Session& session) {
  reg.AddCallback("shoal_cassandra_nodes", "Cassandra nodes known (from the ring)",
                  [&session] { return AsGauge(session.nodes()); });
  reg.AddCallback("shoal_cassandra_nodes_up", "Cassandra nodes with a connection open",
                  [&session] { return AsGauge(session.nodes_up()); });
  reg.AddCallback("shoal_cassandra_retries_total", "Reads sent again (another node or the same)",
                  [&session] { return AsGauge(session.retries()); });
  reg.AddCallback("shoal_cassandra_reprepares_total", "Statements prepared again after Unprepared",
                  [&session] { return AsGauge(session.reprepares()); });
  reg.AddCallback("shoal_cassandra_reconnects_total", "Connections dialled again after a failure",
                  [&session] { return AsGauge(session.reconnects()); });
  reg.AddCallback("shoal_cassandra_speculative_launched_total",
                  "Extra attempts sent by speculative execution",
                  [&session] { return AsGauge(session.speculative_launched()); });
  reg.AddCallback("shoal_cassandra_speculative_won_total",
                  "Reads answered first by a speculative attempt",
                  [&session] { return AsGauge(session.speculative_won()); });
  ExposeCassandraNodes(reg, session);
}

PeerMetrics::PeerMetrics(metrics::Registry& reg)
    : duration_(reg.GetHistogramFamily("shoal_peer_request_duration_seconds",
                                       "Time from sending a GET to a key's owner to its reply",
                                       {"peer"})),
      errors_(reg.GetCounterFamily("shoal_peer_request_errors_total",
                                   "GETs to a key's owner that failed in transport (the key "
                                   "was loaded here)",
                                   {"peer"})) {}

void PeerMetrics::Observe(const std::string& peer, Duration elapsed, bool answered) const {
  // The family's lookup takes its lock: fine once per peer GET (a miss that crosses the
  // network), never on a hit. Members are a bounded set.
  const std::string_view name = peer;
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
  duration_->Child({name})->ObserveUs(us > 0 ? static_cast<uint64_t>(us) : 0);
  metrics::Counter* errors = errors_->Child({name});  // made with the first GET: 0 is a value
  if (!answered) errors->Add();
}

metrics::Histogram* PeerMetrics::LatencyOf(std::string_view peer) const {
  return duration_->Child({peer});
}

metrics::Counter* PeerMetrics::ErrorsOf(std::string_view peer) const {
  return errors_->Child({peer});
}

}  // namespace shoal::cli
