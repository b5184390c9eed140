#include "cli/serve.h"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <functional>
#include <memory>
#include <thread>

#include "api/admin.h"
#include "api/admin_handler.h"
#include "api/api.h"
#include "api/router.h"
#include "api/store_loader.h"
#include "base/host_port.h"
#include "cache/cache.h"
#include "cache/read_through.h"
#include "cli/access_log.h"
#include "cli/control.h"
#include "cli/fd_budget.h"
#include "cli/signals.h"
#include "cluster/cluster.h"
#include "http/server.h"
#include "metrics/metrics.h"
#include "rpc/runtime.h"
#include "store/cassandra/cassandra_store.h"
#include "store/sqlite/sqlite_store.h"

namespace shoal::cli {
namespace {

int64_t AsGauge(uint64_t v) { return static_cast<int64_t>(v); }

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
  reg.AddCallback("shoal_cache_hot_hits_total", "Fresh hits found in the hot cache",
                  [&rt] { return AsGauge(rt.Stats().hot_hits); });
  if (hot != nullptr) {
    reg.AddCallback("shoal_hot_cache_bytes", "Bytes charged to the hot cache",
                    [hot] { return AsGauge(hot->Stats().bytes); });
    reg.AddCallback("shoal_hot_cache_entries", "Entries in the hot cache",
                    [hot] { return AsGauge(hot->Stats().entries); });
  }
}

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

// Backend is the part of a node that the config's store section and endpoints make.
struct Backend {
  std::unique_ptr<store::Store> store;
  std::function<uint64_t()> queries;  // the store's query counter, for metrics
  // Registers the store's own metrics (the Cassandra client's); may be empty.
  std::function<void(metrics::Registry&)> expose;
  std::string description;  // "FILE" or "cassandra KEYSPACE at HOST:PORT"
  std::shared_ptr<const api::Router> router;
};

// OpenStore opens the database the config names; errors name file:line.
Result<Backend> OpenStore(const Config& config) {
  Backend b;
  if (config.store_kind == Config::StoreKind::kCassandra) {
    Result<std::unique_ptr<store::CassandraStore>> store =
        store::CassandraStore::Open(config.cassandra);
    if (!store.ok()) {
      return Status::InvalidArgument(StorePathError(config, store.status().message()));
    }
    store::CassandraStore* raw = store->get();
    b.queries = [raw] { return raw->queries(); };
    b.expose = [raw](metrics::Registry& reg) {
      store::cassandra::Session& session = raw->session();
      reg.AddCallback("shoal_cassandra_nodes", "Cassandra nodes known (from the ring)",
                      [&session] { return AsGauge(session.nodes()); });
      reg.AddCallback("shoal_cassandra_nodes_up", "Cassandra nodes with a connection open",
                      [&session] { return AsGauge(session.nodes_up()); });
      reg.AddCallback("shoal_cassandra_retries_total",
                      "Reads sent again (another node or the same)",
                      [&session] { return AsGauge(session.retries()); });
      reg.AddCallback("shoal_cassandra_reprepares_total",
                      "Statements prepared again after Unprepared",
                      [&session] { return AsGauge(session.reprepares()); });
      reg.AddCallback("shoal_cassandra_reconnects_total",
                      "Connections dialled again after a failure",
                      [&session] { return AsGauge(session.reconnects()); });
      reg.AddCallback("shoal_cassandra_speculative_launched_total",
                      "Extra attempts sent by speculative execution",
                      [&session] { return AsGauge(session.speculative_launched()); });
      reg.AddCallback("shoal_cassandra_speculative_won_total",
                      "Reads answered first by a speculative attempt",
                      [&session] { return AsGauge(session.speculative_won()); });
      ExposeCassandraNodes(reg, session);
    };
    b.description = "cassandra keyspace " + config.cassandra.session.keyspace + " at " +
                    config.cassandra.session.contact_points.front();
    b.store = std::move(store).value();
    return b;
  }
  Result<std::unique_ptr<store::SqliteStore>> store = store::SqliteStore::Open(config.sqlite);
  if (!store.ok()) {
    return Status::InvalidArgument(StorePathError(config, store.status().message()));
  }
  const store::SqliteStore* raw = store->get();
  b.queries = [raw] { return raw->queries(); };
  b.description = config.sqlite.path;
  b.store = std::move(store).value();
  return b;
}

// OpenBackend opens the store and compiles the endpoints against it; errors name file:line.
Result<Backend> OpenBackend(const Config& config) {
  Result<Backend> b = OpenStore(config);
  if (!b.ok()) return b.status();
  Result<std::shared_ptr<const api::Router>> router = api::Router::Build(config.api, *b->store);
  if (!router.ok()) return router.status();
  b->router = std::move(router).value();
  return b;
}

// WithLogger returns `config` with `logger` set in every layer's Options: the one place where
// the process's Logger is handed out.
Config WithLogger(const Config& config, Logger* logger) {
  Config c = config;
  c.http.logger = logger;
  c.api.logger = logger;
  c.cluster.logger = logger;    // and, through it, the rpc clients and server
  c.cassandra.logger = logger;  // and, through it, the session and its connections
  return c;
}

// WithPeerLimits returns the cluster's options with the bounds on an owner's entries (review
// M1): no longer than the key's endpoint's ttl (any endpoint's, for a key that matches none),
// servable at most cache.grace past it.
cluster::ClusterOptions WithPeerLimits(const Config& config,
                                       const std::shared_ptr<const api::Router>& router) {
  cluster::ClusterOptions o = config.cluster;
  Duration longest{};
  for (size_t i = 0; i < router->endpoint_count(); ++i) {
    longest = std::max(longest, router->endpoint(i).ttl);
  }
  o.max_peer_ttl = longest;
  o.peer_grace = config.api.grace;
  o.peer_ttl = [router](std::string_view key) -> std::optional<Duration> {
    const std::optional<size_t> i = router->EndpointOfKey(key);
    if (!i) return std::nullopt;
    return router->endpoint(*i).ttl;
  };
  // An endpoint purge raises its group's purge floor (StoreLoader::GroupOf: the index).
  o.group_of_route = [router](std::string_view route) -> std::optional<uint32_t> {
    for (size_t i = 0; i < router->endpoint_count(); ++i) {
      if (router->endpoint(i).route == route) return static_cast<uint32_t>(i);
    }
    return std::nullopt;
  };
  return o;
}

// WithAccessLog returns `o` reporting every answer to `sink` (null: no access log).
http::ServerOptions WithAccessLog(http::ServerOptions o, http::AccessSink* sink) {
  o.access_log = sink;
  return o;
}

}  // namespace

Status CheckAgainstStore(const Config& config) {
  const std::unique_ptr<Logger> logger = MakeLogger(config.log);
  return OpenBackend(WithLogger(config, logger.get())).status();
}

int RunServe(const Config& file_config, const std::function<void(const std::string& url)>& ready) {
  const std::unique_ptr<Logger> logger = MakeLogger(file_config.log);
  Config limited = file_config;
  // Before anything opens a descriptor: the store's and the peers' sockets count too.
  for (const std::string& line : ApplyFdLimit(&limited)) {
    std::fprintf(stderr, "shoal: %s\n", line.c_str());
  }
  const Config config = WithLogger(limited, logger.get());
  // log.access: opened first, so that a path that cannot be opened stops the start at once.
  std::unique_ptr<AccessLog> access_log;
  if (!config.access_log.path.empty()) {
    Result<std::unique_ptr<AccessLog>> opened = AccessLog::Open(config.access_log, logger.get());
    if (!opened.ok()) {
      std::fprintf(stderr, "shoal: %s\n", std::string(opened.status().message()).c_str());
      return 1;
    }
    access_log = std::move(opened).value();
  }
  Result<Backend> backend = OpenBackend(config);
  if (!backend.ok()) {
    std::fprintf(stderr, "shoal: %s\n", std::string(backend.status().message()).c_str());
    return 1;
  }
  std::unique_ptr<store::Store> store = std::move(backend->store);
  std::shared_ptr<const api::Router> router = std::move(backend->router);

  const Clock& clock = SystemClock::Get();
  metrics::Registry registry;
  // The hot cache's bytes come out of the budget: cache.memory is the whole.
  cache::Cache cache({.capacity_bytes = config.cache_memory - config.hot_memory});
  std::unique_ptr<cache::Cache> hot;
  if (config.hot_memory > 0) {
    hot = std::make_unique<cache::Cache>(cache::CacheOptions{.capacity_bytes = config.hot_memory});
  }
  api::StoreLoader store_loader(router, *store, clock, config.api);
  cache::Loader* loader = &store_loader;
  std::unique_ptr<rpc::Runtime> runtime;
  std::unique_ptr<cluster::Cluster> cluster;
  if (config.clustered) {
    runtime = std::make_unique<rpc::Runtime>(config.rpc_threads, logger.get());
    cluster = std::make_unique<cluster::Cluster>(WithPeerLimits(config, router), *runtime,
                                                 store_loader, clock, LocalPurgeFor(router));
    loader = cluster.get();
  }
  cache::ReadThrough read_through(cache, *loader, clock, config.read_through, hot.get());
  NodeControl control(router, read_through, cluster.get());
  api::Admin admin(config.admin, router, control);
  // With admin.listen, purge, peers and metrics move to their own listener (admin_handler.h).
  const bool admin_listener = !config.admin.listen.empty();
  api::Api api(
      router, read_through, cache, clock, &registry, &admin,
      api::InternalRoutes{.admin = !admin_listener, .metrics_max_age = config.metrics_cache});
  if (cluster) {
    if (Status s = cluster->Start(read_through); !s.ok()) {
      std::fprintf(stderr, "shoal: cluster: peer port for %s: %s\n", config.cluster.self.c_str(),
                   std::string(s.message()).c_str());
      return 1;
    }
    if (config.peer_listen_defaulted) {
      std::fprintf(stderr,
                   "shoal: cluster: no cluster.secret, so the peer port listens on 127.0.0.1 "
                   "only; set a secret (or cluster.listen) for peers on other hosts\n");
    }
    const cluster::MembershipOptions& list = config.cluster.membership;
    std::fprintf(stderr, "shoal: cluster member %s (%s), %zu peers (from %s%s%s), peer port %u\n",
                 config.cluster.self.c_str(),
                 config.cache_memory > 0 ? "owns keys" : "owns no keys: forwards every miss",
                 config.cluster.peers.size(), std::string(ListSourceName(list.source)).c_str(),
                 list.source_name.empty() ? "" : " ", list.source_name.c_str(),
                 cluster->peer_port());
    for (const auto& [member, dial] : config.cluster.connect_to) {
      std::fprintf(stderr, "shoal: cluster: peer %s is dialled at %s (cluster.connect_to)\n",
                   member.c_str(), dial.c_str());
    }
  }
  http::Server server(WithAccessLog(config.http, access_log.get()), api);
  if (Status s = server.Start(); !s.ok()) {
    std::fprintf(stderr, "shoal: listen %s:%u: %s\n", config.http.host.c_str(), config.http.port,
                 std::string(s.message()).c_str());
    // The peer service already serves from read_through, which goes before the cluster.
    if (cluster) cluster->Stop();
    return 1;
  }
  std::unique_ptr<api::AdminHandler> admin_handler;
  std::unique_ptr<http::Server> admin_server;
  if (admin_listener) {
    admin_handler =
        std::make_unique<api::AdminHandler>(admin, registry, clock, config.metrics_cache);
    admin_server = std::make_unique<http::Server>(
        WithAccessLog(config.admin_http, access_log.get()), *admin_handler);
    if (Status s = admin_server->Start(); !s.ok()) {
      std::fprintf(stderr, "shoal: admin.listen %s: %s\n", config.admin.listen.c_str(),
                   std::string(s.message()).c_str());
      if (cluster) cluster->Stop();
      return 1;
    }
    std::fprintf(stderr, "shoal: admin endpoints on http://%s\n",
                 FormatHostPort(config.admin_http.host, admin_server->port()).c_str());
  }
  ExposeStats(registry, cache, read_through, backend->queries, server);
  if (backend->expose) backend->expose(registry);
  if (cluster) ExposeClusterStats(registry, *cluster, hot.get(), read_through);
  if (access_log) ExposeAccessLog(registry, *access_log);
  server.StopOnSignals();
  // The operator's other signals, on a thread of their own (signals.h); started before the
  // serving line, so that no signal sent after it ends the process.
  SignalWatcher signals;
  signals.On(SIGUSR1, [&access_log, &logger] {
    if (access_log) {
      (void)access_log->Reopen();  // logs its own failure; the old file stays in use
    } else {
      Log(logger.get(), "access").Info("SIGUSR1: no access log file to reopen");
    }
  });
  // (SIGHUP, the reload, registers here too, before Start.)
  signals.Start();

  const std::string url = "http://" + config.http.host + ":" + std::to_string(server.port());
  std::fprintf(stderr, "shoal: serving %zu endpoints from %s on %s\n", config.api.endpoints.size(),
               backend->description.c_str(), url.c_str());
  if (ready) ready(url);
  std::fflush(stderr);
  std::fflush(stdout);

  // The admin listener runs on a thread of its own and drains when the public one has.
  std::thread admin_thread;
  if (admin_server) admin_thread = std::thread([&admin_server] { admin_server->Run(); });
  server.Run();  // returns after SIGTERM/SIGINT once every request in flight was answered
  if (admin_server) {
    admin_server->Stop();
    admin_thread.join();
  }
  signals.Stop();
  if (access_log) access_log->Stop();  // writes the lines still queued
  read_through.Shutdown();
  if (cluster) cluster->Stop();  // before the caches and the ReadThrough it serves from go
  if (runtime) runtime->Stop();
  store->Shutdown();
  std::fprintf(stderr, "shoal: stopped\n");
  return 0;
}

}  // namespace shoal::cli
