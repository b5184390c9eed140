// Serve: wires one node from a Config and runs it until SIGTERM or SIGINT.
//
// Composition (STYLE.md, "Miss handling is wired by composition"):
//   SqliteStore -> api::Router (endpoints checked against the store)
//   Cache + api::StoreLoader (over a TimedStore: the query histogram) -> cache::ReadThrough
//   -> api::Api (the http::Handler)
//   http::Server(Api), and with admin.listen a second http::Server(api::AdminHandler), run on
//   a thread of its own, for purge, peers, metrics and stats (the Api then answers 404 for
//   them)
//   Metrics: serve_metrics.h publishes each layer's counters; a StatsSampler thread
//   (stats_sampler.h) samples them once a second for GET /_shoal/stats (stats_document.h).
// At start, before anything opens a descriptor, the soft RLIMIT_NOFILE is raised to the hard
// limit and http.max_connections clamped to what the peers, the store and the process leave
// (fd_budget.h); config warnings (cluster.insecure, a readable file holding a secret) are
// printed by the caller.
// Operations (node_probes.h): GET /_shoal/ready on both listeners, a store probe thread,
// sd_notify READY=1 once serving and STOPPING=1 at the first signal, which also turns
// readiness off; http.drain_delay later the drain begins.
// Reload: SIGHUP (a SignalWatcher, signals.h) and POST /_shoal/reload re-read the config file
// and apply what can change live (reload.h); every reader of the endpoints shares one
// api::LiveServing (api/serving.h).
// Shutdown order: the server drains (requests in flight are answered), then the admin
// listener, then the stats sampler and the store probe stop, then ReadThrough waits for its
// loads, then the store stops its threads; objects are destroyed after that.
#pragma once

#include <functional>
#include <string>

#include "cli/config.h"

namespace shoal::cli {

// CheckAgainstStore opens the store and compiles the endpoints against it, as RunServe
// would, then closes it. The error names file:line.
Status CheckAgainstStore(const Config& config);

// OpenApiText opens the store, compiles the endpoints against it, as CheckAgainstStore does,
// and returns their OpenAPI document (api/openapi.h). The error names file:line.
Result<std::string> OpenApiText(const Config& config);

// RunServe serves `config` until a signal; returns the process exit code. `ready` is called
// once the port is bound, with the URL being served (the demo prints curl lines from it).
int RunServe(const Config& config, const std::function<void(const std::string& url)>& ready);

}  // namespace shoal::cli
