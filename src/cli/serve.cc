#include "cli/serve.h"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <functional>
#include <memory>
#include <thread>

#include <malloc.h>

#include "api/admin.h"
#include "api/admin_handler.h"
#include "api/api.h"
#include "api/openapi.h"
#include "api/router.h"
#include "api/store_loader.h"
#include "base/host_port.h"
#include "cache/cache.h"
#include "cache/memory_governor.h"
#include "cache/read_through.h"
#include "cli/access_log.h"
#include "cli/control.h"
#include "cli/fd_budget.h"
#include "cli/node_probes.h"
#include "cli/reload.h"
#include "cli/serve_metrics.h"
#include "cli/signals.h"
#include "cli/stats_document.h"
#include "cli/stats_sampler.h"
#include "cli/systemd_notify.h"
#include "cli/timed_store.h"
#include "cluster/cluster.h"
#include "http/server.h"
#include "metrics/metrics.h"
#include "metrics/process_metrics.h"
#include "rpc/runtime.h"
#include "store/cassandra/cassandra_store.h"
#include "store/sqlite/sqlite_store.h"

namespace shoal::cli {
namespace {

// Backend is the part of a node that the config's store section and endpoints make.
struct Backend {
  std::unique_ptr<store::Store> store;
  // Registers the store's own metrics (the Cassandra client's); may be empty.
  std::function<void(metrics::Registry&)> expose;
  // The Cassandra nodes, for /_shoal/stats; empty for SQLite.
  std::function<std::vector<store::cassandra::NodeReport>()> nodes;
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
    b.expose = [raw](metrics::Registry& reg) { ExposeCassandra(reg, raw->session()); };
    b.nodes = [raw] { return raw->session().NodeReports(); };
    b.description = "cassandra keyspace " + config.cassandra.session.keyspace + " at " +
                    config.cassandra.session.contact_points.front();
    b.store = std::move(store).value();
    return b;
  }
  Result<std::unique_ptr<store::SqliteStore>> store = store::SqliteStore::Open(config.sqlite);
  if (!store.ok()) {
    return Status::InvalidArgument(StorePathError(config, store.status().message()));
  }
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
// servable at most the endpoint's grace (its own, else cache.grace) past it.
// The closures read the endpoints of the current snapshot (a reload replaces it); the bounds
// taken here (max_peer_ttl, peer_grace) stay those of the start.
cluster::ClusterOptions WithPeerLimits(const Config& config,
                                       const std::shared_ptr<api::LiveServing>& serving) {
  cluster::ClusterOptions o = config.cluster;
  const std::shared_ptr<const api::Router> router = serving->Current()->router;
  Duration longest{};
  for (size_t i = 0; i < router->endpoint_count(); ++i) {
    longest = std::max(longest, router->endpoint(i).ttl);
  }
  o.max_peer_ttl = longest;
  o.peer_grace = config.api.grace;
  // The key's endpoint's ttl and its own grace (its `grace`, else cache.grace), live on
  // reload.
  o.peer_limits = [serving](std::string_view key) -> std::optional<cluster::PeerLimits> {
    const std::shared_ptr<const api::Serving> s = serving->Current();
    const std::optional<size_t> i = s->router->EndpointOfKey(key);
    if (!i) return std::nullopt;
    return cluster::PeerLimits{s->router->endpoint(*i).ttl, s->policies[*i].grace};
  };
  // An endpoint purge raises its group's purge floor (StoreLoader::GroupOf: the group).
  o.group_of_route = [serving](std::string_view route) -> std::optional<uint32_t> {
    const std::shared_ptr<const api::Serving> s = serving->Current();
    for (size_t i = 0; i < s->router->endpoint_count(); ++i) {
      if (s->router->endpoint(i).route == route) return s->router->endpoint(i).group;
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

Result<std::string> OpenApiText(const Config& config) {
  const std::unique_ptr<Logger> logger = MakeLogger(config.log);
  Result<Backend> backend = OpenBackend(WithLogger(config, logger.get()));
  if (!backend.ok()) return backend.status();
  return api::OpenApiDocument(*backend->router, config.api.version);
}

int RunServe(const Config& file_config, const std::function<void(const std::string& url)>& ready) {
  // Before any thread starts: every thread but the signal watcher's keeps them blocked.
  BlockOperatorSignals();
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
  // Before everything that keeps metric pointers: it is destroyed last.
  metrics::Registry registry;
  // Every reader of the endpoints goes through this one snapshot, which a reload replaces
  // (with the endpoints' metric series: endpoint_metrics.h).
  const std::shared_ptr<api::LiveServing> serving =
      api::MakeLiveServing(std::move(backend->router), config.api, &registry);

  const Clock& clock = SystemClock::Get();
  // Readiness, the store probe, sd_notify, shoal_ready and shoal_build_info (node_probes.h).
  NodeProbes probes(config, clock);
  store = probes.Observe(std::move(store));
  // The hot cache's bytes come out of the budget: cache.memory is the whole.
  cache::Cache cache({.capacity_bytes = config.cache_memory - config.hot_memory});
  std::unique_ptr<cache::Cache> hot;
  if (config.hot_memory > 0) {
    hot = std::make_unique<cache::Cache>(cache::CacheOptions{.capacity_bytes = config.hot_memory});
  }
  // cache.memory_bound: the caches give way when the process grows past its bound (fragmentation,
  // connections, the store's caches), measured from here (cache/memory_governor.h).
  std::unique_ptr<cache::MemoryGovernor> governor;
  if (config.cache_memory > 0 && config.cache_memory_bound > 0) {
    governor = std::make_unique<cache::MemoryGovernor>(
        cache::MemoryGovernorOptions{.budget = config.cache_memory,
                                     .bound = config.cache_memory_bound / 100.0,
                                     .read_memory = metrics::ReadResidentBytes,
                                     .give_back = [] { ::malloc_trim(0); }},
        std::vector<cache::Cache*>{&cache, hot.get()}, clock, logger.get());
    governor->Watch();
  }
  TimedStore timed_store(*store, *registry.GetHistogram("shoal_store_query_duration_seconds",
                                                        "Time from a query to its rows"));
  api::StoreLoader store_loader(serving, timed_store, clock);
  cache::Loader* loader = &store_loader;
  std::unique_ptr<rpc::Runtime> runtime;
  std::unique_ptr<cluster::Cluster> cluster;
  const PeerMetrics peer_metrics(registry);
  if (config.clustered) {
    runtime = std::make_unique<rpc::Runtime>(config.rpc_threads, logger.get());
    cluster::ClusterOptions options = WithPeerLimits(config, serving);
    options.on_peer_get = [&peer_metrics](const std::string& peer, Duration d, bool answered) {
      peer_metrics.Observe(peer, d, answered);
    };
    cluster = std::make_unique<cluster::Cluster>(std::move(options), *runtime, store_loader, clock,
                                                 LocalPurgeFor(serving));
    loader = cluster.get();
  }
  cache::ReadThrough read_through(cache, *loader, clock, config.read_through, hot.get());
  // GET /_shoal/stats: the sampler's thread reads the counters once a second (from Start to
  // Stop, below); the document is made per request from its ring.
  const NodeStats node_stats(NodeParts{.router = [&serving] { return serving->Current()->router; },
                                       .registry = &registry,
                                       .cache = &cache,
                                       .hot = hot.get(),
                                       .cluster = cluster.get(),
                                       .peers = &peer_metrics,
                                       .cassandra = backend->nodes,
                                       .started = std::chrono::steady_clock::now()});
  // The sampler's once-a-second tick also lets the governor give capacity back when no
  // insert calls it.
  StatsSampler sampler([&node_stats, &governor] {
    if (governor) governor->Check();
    return node_stats.ReadSample();
  });
  const auto stats = [&node_stats, &sampler] { return node_stats.Render(sampler); };
  NodeControl control(serving, read_through, cluster.get());
  api::Admin admin(config.admin, serving, control);
  // SIGHUP and POST /_shoal/reload re-read the config file (reload.h).
  Reloader reloader(config, {serving.get(), store.get(), &read_through, &admin, logger.get()},
                    &registry);
  control.SetReload([&reloader](std::function<void(api::ReloadOutcome)> done) {
    reloader.Request(std::move(done));
  });
  // systemd (Type=notify) hears of each reload: RELOADING=1, then READY=1 whatever the outcome.
  reloader.SetNotify([] { NotifyReloading(); }, [] { NotifyReady(); });
  // With admin.listen, purge, peers and metrics move to their own listener (admin_handler.h).
  const bool admin_listener = !config.admin.listen.empty();
  api::Api api(
      serving, read_through, cache, clock, &registry, &admin,
      api::InternalRoutes{
          .admin = !admin_listener, .metrics_max_age = config.metrics_cache, .stats = stats});
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
  http::Server server(WithAccessLog(config.http, access_log.get()), probes.Public(api));
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
        std::make_unique<api::AdminHandler>(admin, registry, clock, config.metrics_cache, stats);
    admin_server = std::make_unique<http::Server>(
        WithAccessLog(config.admin_http, access_log.get()), probes.Admin(*admin_handler));
    if (Status s = admin_server->Start(); !s.ok()) {
      std::fprintf(stderr, "shoal: admin.listen %s: %s\n", config.admin.listen.c_str(),
                   std::string(s.message()).c_str());
      if (cluster) cluster->Stop();
      return 1;
    }
    std::fprintf(stderr, "shoal: admin endpoints on http://%s\n",
                 FormatHostPort(config.admin_http.host, admin_server->port()).c_str());
  }
  // shoal_store_queries_total: the endpoints' queries (the readiness probe's have their own).
  ExposeStats(
      registry, cache, read_through, [&timed_store] { return timed_store.queries(); }, server);
  if (governor) ExposeMemoryGovernor(registry, *governor);
  if (backend->expose) backend->expose(registry);
  if (cluster) ExposeClusterStats(registry, *cluster, hot.get(), read_through);
  if (access_log) ExposeAccessLog(registry, *access_log);
  probes.Expose(registry);
  if (Status s = probes.Start(cluster.get(), logger.get()); !s.ok()) {
    std::fprintf(stderr, "shoal: ready: the store probe: %s\n", std::string(s.message()).c_str());
    if (cluster) cluster->Stop();
    return 1;
  }
  server.StopOnSignals(probes.OnSignal());
  sampler.Start();
  // The operator's other signals, on a thread of their own (signals.h); started before the
  // serving line, so that no signal sent after it ends the process.
  SignalWatcher signals;
  signals.On(SIGHUP, [&reloader] { (void)reloader.Reload(); });
  signals.On(SIGUSR1, [&access_log, &logger] {
    if (access_log) {
      (void)access_log->Reopen();  // logs its own failure; the old file stays in use
    } else {
      Log(logger.get(), "access").Info("SIGUSR1: no access log file to reopen");
    }
  });
  signals.Start();

  const std::string url = "http://" + config.http.host + ":" + std::to_string(server.port());
  std::fprintf(stderr, "shoal: serving %zu endpoints from %s on %s\n", config.api.endpoints.size(),
               backend->description.c_str(), url.c_str());
  if (ready) ready(url);
  probes.Serving("serving " + url);
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
  reloader.Stop();
  sampler.Stop();
  probes.Stop();  // before the cluster its membership check reads, and the store it probes
  if (access_log) access_log->Stop();  // writes the lines still queued
  read_through.Shutdown();
  if (cluster) cluster->Stop();  // before the caches and the ReadThrough it serves from go
  if (runtime) runtime->Stop();
  store->Shutdown();
  std::fprintf(stderr, "shoal: stopped\n");
  return 0;
}

}  // namespace shoal::cli
