// Serve: wires one node from a Config and runs it until SIGTERM or SIGINT.
//
// Composition (STYLE.md, "Miss handling is wired by composition"):
//   SqliteStore -> api::Router (endpoints checked against the store)
//   Cache + api::StoreLoader -> cache::ReadThrough -> api::Api (the http::Handler)
//   http::Server(Api), and with admin.listen a second http::Server(api::AdminHandler), run on
//   a thread of its own, for purge, peers and metrics (the Api then answers 404 for them)
// At start, before anything opens a descriptor, the soft RLIMIT_NOFILE is raised to the hard
// limit and http.max_connections clamped to what the peers, the store and the process leave
// (fd_budget.h); config warnings (cluster.insecure, a readable file holding a secret) are
// printed by the caller.
// Reload: SIGHUP (a SignalWatcher, signals.h) and POST /_shoal/reload re-read the config file
// and apply what can change live (reload.h); every reader of the endpoints shares one
// api::LiveServing (api/serving.h).
// Shutdown order: the server drains (requests in flight are answered), then the admin
// listener, then ReadThrough waits for its loads, then the store stops its threads; objects
// are destroyed after that.
#pragma once

#include <functional>
#include <string>

#include "cli/config.h"

namespace shoal::cli {

// CheckAgainstStore opens the store and compiles the endpoints against it, as RunServe
// would, then closes it. The error names file:line.
Status CheckAgainstStore(const Config& config);

// RunServe serves `config` until a signal; returns the process exit code. `ready` is called
// once the port is bound, with the URL being served (the demo prints curl lines from it).
int RunServe(const Config& config, const std::function<void(const std::string& url)>& ready);

}  // namespace shoal::cli
