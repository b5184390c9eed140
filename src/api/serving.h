// Serving: what the api serves with, as one immutable snapshot that a config reload replaces
// whole: the Router (the endpoint table), the api section's load policy (grace,
// negative_ttl, store_timeout, the answer caps and cache policy per endpoint), the CORS
// policies and the OpenAPI document.
//
// One LiveServing (base/swappable.h) is shared by everything that reads the endpoints: the Api
// (hit path: LiveServing::Read, no lock and no shared write while nothing changed), the
// StoreLoader, the Admin and, in cli, the purge closure and the cluster's per-key closures
// (LiveServing::Current). A request takes one snapshot when it starts and keeps it: a hit
// answers from the Router it matched with; a miss's load runs the query of the snapshot it
// took, and its callback owns that snapshot. A reload (cli/reload.h) builds the next Serving
// beside the current one and Sets it; nothing in flight is dropped.
//
// Thread-safety: a Serving is immutable (its LogLimiters are thread-safe); LiveServing is
// thread-safe.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "api/cache_policy.h"
#include "api/cors.h"
#include "api/endpoint.h"
#include "api/endpoint_metrics.h"
#include "api/router.h"
#include "base/bytes.h"
#include "base/clock.h"
#include "base/logger.h"
#include "base/swappable.h"
#include "metrics/metrics.h"
#include "store/store.h"

namespace shoal::api {

struct Serving {
  std::shared_ptr<const Router> router;
  // The load policy of ApiOptions (store_loader.h); each endpoint's own is in `policies`.
  Duration grace{};
  Duration negative_ttl{};
  Duration store_timeout{};
  // The OpenAPI document of `router` (openapi.h), made with the snapshot; empty when
  // ApiOptions::openapi is false.
  Bytes openapi;
  bool debug_headers = false;      // ApiOptions::debug_headers
  size_t max_tags_per_entry = 64;  // ApiOptions::max_tags_per_entry
  // Answers not kept for having more tags than that (shoal_tags_overflow_total; null without
  // a Registry), and per endpoint whether that was logged yet (once per endpoint and config).
  metrics::Counter* tags_overflow = nullptr;
  std::unique_ptr<std::atomic<bool>[]> tags_overflow_logged;
  // Per endpoint of `router` (same index): the caps of its queries (its own max_rows and
  // max_body, else ApiOptions'), and the limiter of its query-failure log lines.
  std::vector<store::QueryLimits> limits;
  std::vector<std::unique_ptr<LogLimiter>> fault_limiters;
  // Per endpoint of `router` (same index): its CORS policy (cors.h; the endpoint's own, else
  // ApiOptions::cors), null when it has none.
  std::vector<std::shared_ptr<const CorsPolicy>> cors;
  // Per endpoint (same index): its cache policy, its own keys over ApiOptions'
  // (cache_policy.h).
  std::vector<CachePolicy> policies;
  Log log;  // component "api"
  // The per-endpoint series, indexed like `router`'s endpoints (a route kept by a reload keeps
  // its series); null without a Registry.
  std::shared_ptr<const EndpointMetrics> metrics;
};

using LiveServing = Swappable<Serving>;

// MakeServing builds the snapshot for `router`, with its endpoints' series in `registry` when
// one is given (it must outlive the snapshot). REQUIRES: `options` is what `router` was built
// from (endpoints in the same order; else the global caps apply to an endpoint whose route
// differs).
std::shared_ptr<const Serving> MakeServing(std::shared_ptr<const Router> router,
                                           const ApiOptions& options,
                                           metrics::Registry* registry = nullptr);

// MakeLiveServing is a LiveServing holding MakeServing(router, options).
std::shared_ptr<LiveServing> MakeLiveServing(std::shared_ptr<const Router> router,
                                             const ApiOptions& options,
                                             metrics::Registry* registry = nullptr);

}  // namespace shoal::api
