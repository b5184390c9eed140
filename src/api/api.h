// Api: the http::Handler that serves the configured endpoints from the cache.
//
// Request path (DESIGN.md): match the route (router.h) -> the caller checked when the
// endpoint has auth (auth.h: 400/401/403 before the cache; its answers then say
// Cache-Control: private) -> parameters checked and the canonical key built (claims bound as
// parameters included) -> ReadThrough::Lookup. A hit (fresh or stale) is answered at once from
// the Entry: the response points at the entry's body, ETag and header lines (a page's Link)
// and keeps the entry alive through Response::owner, so a hit allocates nothing beyond the
// key string. A miss defers the reply and goes through ReadThrough::Load (singleflight); its
// callback answers later. On a paged endpoint (page.h) a miss first checks the cursor
// (Router::MatchKey): a bad one is a 400 and starts no load.
//
// Answers:
//   GET/HEAD on a route   200 with the entry's body, or 404 for a negative entry; ETag,
//                         Cache-Control (max-age: whole seconds of freshness left, 0 when
//                         stale, unless the endpoint's cache policy configures it; then its
//                         directives, cache_policy.h), CDN-Cache-Control when configured,
//                         Cache-Status (RFC 9211, cache_status.h; failed loads carry it too),
//                         Age, X-Cache HIT|MISS|STALE (deprecated), Vary: Accept-Encoding; gzip
//                         when the client accepts it and the body is at least kMinGzipBytes, with
//                         its own strong ETag (the identity one with "-gz" inside the
//                         quotes); 304 when If-None-Match matches either variant's ETag (weak
//                         comparison), with the served variant's ETag; a page of a paged
//                         endpoint also carries its entry's Link: <next>; rel="next".
//   other methods         405 with Allow: GET, HEAD (on a known route or /_shoal/*).
//   CORS                  on a route with a CORS policy (Serving::cors, cors.h): every answer
//                         carries its Access-Control-* lines for the request's Origin (and
//                         Vary: Origin unless the policy allows "*"); OPTIONS with Origin and
//                         Access-Control-Request-Method is a preflight, answered from the
//                         policy alone (204, or 403 with a JSON body), never from the cache.
//                         Without a policy, OPTIONS is a 405 like any other method.
//   /_shoal/health        200 {"status":"ok"}.
//   /_shoal/openapi.json  the OpenAPI 3.1 document of the current snapshot's endpoints
//                         (openapi.h); on this listener whatever InternalRoutes::admin says;
//                         404 when ApiOptions::openapi is false.
//   /_shoal/metrics       the Registry's Prometheus text exposition, rendered at most once a
//                         second (metrics_page.h).
//   /_shoal/              the live dashboard page, HTML (dashboard_page.h).
//   /_shoal/stats         the JSON document InternalRoutes::stats makes (cli/stats_sampler.h),
//                         no-store; 404 without one. Same rule as metrics.
//   /_shoal/purge, /_shoal/peers, /_shoal/cluster, /_shoal/reload   the operator's endpoints
//                         (admin.h), when an Admin is given;
//                         404 otherwise.
//   With InternalRoutes::admin false (admin.listen: an AdminHandler serves them on its own
//   listener),
//   /_shoal/metrics, the dashboard, purge and peers answer 404 here; /_shoal/health stays.
//   anything else         404 {"error":"not found","status":404}.
//   errors                via status_http.h (400 bad parameter, 503 store trouble, ...).
//   a body                413 before it is read, except on POST/PUT of the admin endpoints
//                         (MaxBody).
//
// For the access log and metrics (http::Response's unsent fields): an answer for a configured
// route carries the route (EndpointInfo::interned_route) and the cache's part, CacheResult
// hit, stale (stale-if-error too), miss (a failed load too) or peer (cache::Source::kPeer);
// none for bad parameters, 405 and everything else. When the server logs the request
// (Request::access_logged), it also names the key's owner node (ReadThrough::OwnerOf); a hit
// asks for the owner only then or under debug_headers (a ring lookup in a cluster), a load
// always (Cache-Status's detail="owner=NODE").
// An endpoint with `cache: false` is never looked up: every request loads (ReadThrough still
// shares one load among concurrent requests) and nothing is kept (Loader::PolicyOf).
//
// Metrics (when a Registry is given): shoal_api_requests_{endpoint,internal,unrouted}_total,
// shoal_api_{hits,stale,misses}_total, shoal_api_not_modified_total,
// shoal_api_{client,server}_errors_total and the histogram shoal_api_miss_latency_seconds;
// per endpoint, the series of endpoint_metrics.h (a hit costs one more Clock read for them).
//
// Reload: the Api reads the Router from a LiveServing (serving.h), which a config reload
// replaces: each request takes the snapshot current when Handle starts (LiveServing::Read: no
// lock, no shared write on the hit path) and matches, checks and keys with that one.
//
// Ownership: the Api shares the Router (through the LiveServing) and borrows the ReadThrough,
// Cache, Clock and Registry, which must outlive it and every load it starts (ReadThrough::Shutdown
// waits for those). A deferred reply's callback owns a shared state block, never the Api itself.
// Thread-safety: thread-safe; one Api serves every connection.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "api/admin.h"
#include "api/router.h"
#include "api/serving.h"
#include "base/clock.h"
#include "cache/cache.h"
#include "cache/read_through.h"
#include "http/handler.h"
#include "metrics/metrics.h"

namespace shoal::api {

// kMinGzipBytes: smaller bodies are sent as they are; gzip's 18-byte frame and the deflate
// block header make a 100-byte JSON body hardly smaller, and no faster to send.
inline constexpr size_t kMinGzipBytes = 128;

// EtagMatches reports whether an If-None-Match header value matches `etag` (a quoted strong
// tag): "*", or any tag of the comma-separated list after dropping W/ (weak comparison).
bool EtagMatches(std::string_view if_none_match, std::string_view etag);

// EtagMatchesEitherVariant is EtagMatches for `etag` (the identity variant's tag) or for
// cache::GzipEtag(etag) (the gzip variant's), without building the latter.
bool EtagMatchesEitherVariant(std::string_view if_none_match, std::string_view etag);

// AcceptsGzip reports whether an Accept-Encoding header value allows gzip: gzip or x-gzip
// listed with q > 0, or else '*' with q > 0.
bool AcceptsGzip(std::string_view accept_encoding);

// InternalRoutes says how the Api serves /_shoal/*.
struct InternalRoutes {
  // false: metrics, purge and the peer list answer 404 (an AdminHandler serves them on the
  // admin listener); health stays.
  bool admin = true;
  // How long a rendered metrics page is served again (metrics_page.h); 0 renders every time.
  Duration metrics_max_age = std::chrono::seconds(1);
  // Makes the GET /_shoal/stats document (JSON); empty: that path answers 404.
  std::function<std::string()> stats;
};

class Api final : public http::Handler {
 public:
  // `admin` (optional) serves purge and the peer list; borrowed, it must outlive the Api.
  Api(std::shared_ptr<const Router> router, cache::ReadThrough& read_through, cache::Cache& cache,
      const Clock& clock, metrics::Registry* metrics, const Admin* admin = nullptr,
      InternalRoutes routes = {});
  // The same, reading the Router from `serving`, which a reload may replace.
  Api(std::shared_ptr<LiveServing> serving, cache::ReadThrough& read_through, cache::Cache& cache,
      const Clock& clock, metrics::Registry* metrics, const Admin* admin = nullptr,
      InternalRoutes routes = {});
  ~Api() override;
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  void Handle(const http::Request& request, http::Exchange& exchange) override;
  // MaxBody: only the admin endpoints' POST and PUT take a body, of at most kMaxAdminBody;
  // every other request is refused a body (413) before it is read.
  size_t MaxBody(const http::Request& head) const override;

 private:
  struct Shared;
  std::shared_ptr<const Shared> shared_;
};

}  // namespace shoal::api
