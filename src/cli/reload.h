// Reloader: re-reads the config file a node was started with and applies what can change
// without a restart (SIGHUP, and POST /_shoal/reload through NodeControl), like nginx -s reload.
//
// Live: the endpoints (added, removed, changed: a new Router built against the running store
// and put in place through the LiveServing, api/serving.h), their ttls and params, cache.grace,
// cache.negative_ttl, store.timeout, store.max_rows and store.max_body, http.max_string_param,
// log.level, admin.token (token_env), CORS (the top-level cors section and each endpoint's:
// the policies live in the Serving) and auth (the top level's and each endpoint's; the API
// keys and JWKS files are read again at every reload). Entries of endpoints whose answers did
// not change stay cached; the others' purge groups are purged (api/router_diff.h).
// Restart only (RestartNeeded): listen, the rest of http, the store's database (store.sqlite,
// store.cassandra), cache.memory, cache.stale_if_error, the cluster section, admin.listen,
// log.format and any other log key, metrics. A reload that changes one of these logs it as
// needing a restart and applies the rest; the node keeps its running values.
// Refused: a config that does not load (YAML syntax, an unknown key, a bad value) or whose
// endpoints do not hold together with the store (a query the store refuses): the error names
// FILE:LINE, is logged, and the running config keeps serving; nothing is applied.
//
// Order of a reload: the new Router is built aside; then the LiveServing is Set (requests that
// started before keep their snapshot), then the dropped endpoints' groups are purged (a load
// of the old query still in flight cannot put its answer back: ReadThrough's purge count),
// then the log level and the admin token change.
//
// Metrics: shoal_reloads_total{result="ok|failed"}.
// systemd (Type=notify): SetNotify's `before` runs before a reload and `after` once it is
// done, ok or not: the place for sd_notify("RELOADING=1") and sd_notify("READY=1").
//
// Ownership: borrows everything in ReloadTargets, which must outlive it; owns one thread that
// runs the reloads Request asks for (Stop joins it). Thread-safety: thread-safe; reloads run
// one at a time.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "api/admin.h"
#include "api/serving.h"
#include "base/logger.h"
#include "base/mutex.h"
#include "cache/read_through.h"
#include "cli/config.h"
#include "metrics/metrics.h"
#include "store/store.h"

namespace shoal::cli {

// RestartNeeded names the config keys whose values differ between two config texts and take
// effect only at a restart ("listen", "store.sqlite", "cache.memory", "cluster", ...), in
// file order. Texts that are not YAML mappings compare as empty.
std::vector<std::string> RestartNeeded(std::string_view running, std::string_view next);

// LiveChanged names the keys outside `endpoints` that differ and change live ("log.level",
// "admin.token", "cache.grace", ...).
std::vector<std::string> LiveChanged(std::string_view running, std::string_view next);

struct ReloadTargets {
  api::LiveServing* serving = nullptr;
  store::Store* store = nullptr;  // the running store: the new queries are prepared there
  cache::ReadThrough* read_through = nullptr;
  api::Admin* admin = nullptr;
  Logger* logger = nullptr;  // the process's (SetLogLevel), given to the new Serving too
};

class Reloader {
 public:
  // `running` is the config the node runs (its file is re-read on each reload); `registry`
  // (optional) gets shoal_reloads_total. A config not read from a file (the demo's) cannot be
  // reloaded: Reload then refuses.
  Reloader(const Config& running, ReloadTargets targets, metrics::Registry* registry);
  ~Reloader();  // Stop()
  Reloader(const Reloader&) = delete;
  Reloader& operator=(const Reloader&) = delete;

  // SetNotify: see the file comment. Before the first reload.
  void SetNotify(std::function<void()> before, std::function<void()> after);

  // Reload re-reads the file and applies it, on the caller's thread (the SignalWatcher's).
  api::ReloadOutcome Reload();
  // Request runs Reload on the Reloader's thread and hands the outcome to `done` there (an
  // event loop must not wait for the store to prepare queries). After Stop, `done` gets a
  // refusal at once.
  void Request(std::function<void(api::ReloadOutcome)> done);
  // Stop finishes the reload running, refuses the ones queued and joins the thread.
  void Stop();

 private:
  api::ReloadOutcome ReloadLocked() SHOAL_REQUIRES(mu_);
  void Run();

  const std::string file_;
  const ReloadTargets targets_;
  Log log_;
  metrics::Registry* const registry_;  // optional: each new Serving's endpoint series go there
  std::function<void()> before_, after_;

  Mutex mu_;  // one reload at a time
  // The text the node was started with (restart-only keys keep its values) and the one last
  // applied (live keys).
  std::string started_text_ SHOAL_GUARDED_BY(mu_);
  std::string applied_text_ SHOAL_GUARDED_BY(mu_);

  Mutex queue_mu_;
  CondVar queue_cv_;
  std::deque<std::function<void(api::ReloadOutcome)>> queue_ SHOAL_GUARDED_BY(queue_mu_);
  bool stopping_ SHOAL_GUARDED_BY(queue_mu_) = false;
  std::thread thread_;

  std::shared_ptr<std::atomic<uint64_t>> ok_ = std::make_shared<std::atomic<uint64_t>>(0);
  std::shared_ptr<std::atomic<uint64_t>> failed_ = std::make_shared<std::atomic<uint64_t>>(0);
};

}  // namespace shoal::cli
