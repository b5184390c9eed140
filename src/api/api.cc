// Api: the http::Handler over the router and the read-through cache; see api.h.
#include "api/api.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <utility>

#include "api/auth.h"
#include "api/cache_status.h"
#include "api/dashboard_page.h"
#include "api/endpoint_metrics.h"
#include "api/metrics_page.h"
#include "api/openapi.h"
#include "api/status_http.h"

namespace shoal::api {
namespace {

constexpr std::string_view kHealthPath = "/_shoal/health";
constexpr std::string_view kMetricsPath = "/_shoal/metrics";
constexpr std::string_view kStatsPath = "/_shoal/stats";
constexpr std::string_view kAllowedMethods = "GET, HEAD";  // on every route but admin's

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// QualityIsZero reads the parameters after a coding ("; q=0.5") and reports whether they
// set q to zero (RFC 9110 12.4.2: "0", "0.", "0.0", "0.00", "0.000").
bool QualityIsZero(std::string_view params) {
  while (!params.empty()) {
    const size_t semi = params.find(';');
    std::string_view p = TrimSpace(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
    if (p.size() < 2 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=') continue;
    p = TrimSpace(p.substr(2));
    if (p.empty() || p[0] != '0') return false;
    for (char c : p.substr(1)) {
      if (c != '.' && c != '0') return false;
    }
    return true;
  }
  return false;
}

bool IsGetOrHead(const http::Request& request) {
  return request.method == http::Method::kGet || request.method == http::Method::kHead;
}

void Inc(metrics::Counter* counter) {
  if (counter != nullptr) counter->Add();
}

uint64_t Micros(Duration d) {
  return static_cast<uint64_t>(
      std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::microseconds>(d).count()));
}

// ResultOf is the access log's and the metrics' name for how the cache answered.
http::CacheResult ResultOf(cache::Source source) {
  switch (source) {
    case cache::Source::kHit:
      return http::CacheResult::kHit;
    case cache::Source::kStale:
    case cache::Source::kStaleIfError:
      return http::CacheResult::kStale;
    case cache::Source::kMiss:
      return http::CacheResult::kMiss;
    case cache::Source::kPeer:
      return http::CacheResult::kPeer;
  }
  return http::CacheResult::kMiss;
}

// Labelled stamps an answer for a configured route with what the access log reports.
http::Response Labelled(http::Response r, std::string_view route, std::string_view owner) {
  r.route = route;
  r.owner_node = owner;
  return r;
}

int64_t WholeSeconds(Duration d) {
  if (d <= Duration::zero()) return 0;
  return std::chrono::duration_cast<std::chrono::seconds>(d).count();
}

}  // namespace

namespace {

// ForEachTag calls `match` with each entity-tag of an If-None-Match list, W/ dropped (weak
// comparison), until it returns true; "*" matches anything. A malformed list matches nothing
// from the first bad tag on.
template <typename Match>
bool AnyTag(std::string_view if_none_match, Match match) {
  std::string_view rest = TrimSpace(if_none_match);
  if (rest == "*") return true;
  while (true) {
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t' || rest.front() == ','))
      rest.remove_prefix(1);
    if (rest.empty()) return false;
    if (rest.starts_with("W/")) rest.remove_prefix(2);
    if (rest.empty() || rest.front() != '"') return false;  // malformed: match nothing
    const size_t close = rest.find('"', 1);
    if (close == std::string_view::npos) return false;
    if (match(rest.substr(0, close + 1))) return true;
    rest.remove_prefix(close + 1);
  }
}

// IsGzipTagOf reports whether `tag` is cache::GzipEtag(etag), without building it.
bool IsGzipTagOf(std::string_view tag, std::string_view etag) {
  constexpr std::string_view kSuffix = "-gz\"";
  if (etag.size() < 2 || etag.back() != '"' || !tag.ends_with(kSuffix)) return false;
  return tag.size() == etag.size() - 1 + kSuffix.size() &&
         tag.substr(0, etag.size() - 1) == etag.substr(0, etag.size() - 1);
}

}  // namespace

bool EtagMatches(std::string_view if_none_match, std::string_view etag) {
  if (etag.starts_with("W/")) etag.remove_prefix(2);
  return AnyTag(if_none_match, [etag](std::string_view tag) { return tag == etag; });
}

bool EtagMatchesEitherVariant(std::string_view if_none_match, std::string_view etag) {
  if (etag.starts_with("W/")) etag.remove_prefix(2);
  return AnyTag(if_none_match,
                [etag](std::string_view tag) { return tag == etag || IsGzipTagOf(tag, etag); });
}

bool AcceptsGzip(std::string_view accept_encoding) {
  int gzip = -1, star = -1;  // -1 not listed, 0 refused (q=0), 1 accepted
  while (!accept_encoding.empty()) {
    const size_t comma = accept_encoding.find(',');
    const std::string_view item = accept_encoding.substr(0, comma);
    accept_encoding =
        comma == std::string_view::npos ? std::string_view() : accept_encoding.substr(comma + 1);
    const size_t semi = item.find(';');
    const std::string_view coding = TrimSpace(item.substr(0, semi));
    const std::string_view params =
        semi == std::string_view::npos ? std::string_view() : item.substr(semi + 1);
    const int accepted = QualityIsZero(params) ? 0 : 1;
    if (EqualsIgnoreCase(coding, "gzip") || EqualsIgnoreCase(coding, "x-gzip")) {
      gzip = accepted;
    } else if (coding == "*") {
      star = accepted;
    }
  }
  if (gzip >= 0) return gzip == 1;
  return star == 1;
}

// Shared is everything a request needs, immutable once the constructor has filled it. Load
// callbacks hold it by shared_ptr; the borrowed pointers outlive every load (see api.h).
struct Api::Shared {
  std::shared_ptr<LiveServing> serving;  // the Router, replaced by a reload
  cache::ReadThrough* read_through = nullptr;
  cache::Cache* cache = nullptr;
  const Clock* clock = nullptr;
  const Admin* admin = nullptr;
  bool admin_routes = true;
  std::function<std::string()> stats;         // InternalRoutes::stats
  std::unique_ptr<MetricsPage> metrics_page;  // with a registry and admin_routes

  // Bodies that never change, made once so that these answers allocate nothing.
  Bytes health_body;
  Bytes not_found_body;

  metrics::Counter* requests_endpoint = nullptr;
  metrics::Counter* requests_internal = nullptr;
  metrics::Counter* requests_unrouted = nullptr;
  metrics::Counter* hits = nullptr;
  metrics::Counter* stale = nullptr;
  metrics::Counter* misses = nullptr;
  metrics::Counter* not_modified = nullptr;
  metrics::Counter* client_errors = nullptr;
  metrics::Counter* server_errors = nullptr;
  metrics::Histogram* miss_latency = nullptr;

  // Count records an answer of endpoint `i` of a snapshot in its per-endpoint series
  // (endpoint_metrics.h; `series` is the snapshot's, null without a Registry).
  static void Count(const EndpointMetrics* series, size_t i, int status, http::CacheResult result,
                    uint64_t duration_us) {
    if (series != nullptr) series->Count(i, status, result, duration_us);
  }

  http::Response NotFound() const {
    http::Response r;
    r.status = 404;
    r.SetBody(not_found_body);
    return r;
  }

  http::Response Error(const Status& status) const {
    http::Response r = ErrorResponseFor(status);
    Inc(r.status >= 500 ? server_errors : client_errors);
    return r;
  }

  // FromEntry builds the answer for `entry` as of `now`, with the endpoint's cache headers
  // (`policy`) and its Cache-Status (`owner`: the key's owner node, or ""). Nothing here
  // allocates or touches a reference count: the body, the ETag, the key, the header lines and
  // the tags are views into the entry, which `owner` keeps alive (the reference the lookup returned
  // moves there); the other strings are static or interned.
  http::Response FromEntry(cache::EntryPtr entry, const cache::LoadOutcome& outcome,
                           const CachePolicy& policy, bool debug, std::string_view owner,
                           bool gzip_ok, std::string_view if_none_match, TimePoint now) const {
    const cache::Source source = outcome.source;
    http::Response r;
    r.status = entry->not_found() ? 404 : 200;
    r.etag = entry->etag();
    ApplyCacheControl(policy, WholeSeconds(entry->fresh_until() - now), r);
    r.cache_status_line = CacheStatusFor(outcome, *entry, now, debug, owner);
    r.age = WholeSeconds(now - entry->created());
    r.vary_accept_encoding = true;
    r.entry_headers = entry->headers();  // a page's Link: a view, like the body
    r.surrogate_key = entry->tags();     // a view; Handle clears it unless debug_headers
    r.cache_result = ResultOf(source);
    switch (source) {
      case cache::Source::kHit:
        r.cache_status = "HIT";
        break;
      case cache::Source::kMiss:
      case cache::Source::kPeer:
        r.cache_status = "MISS";
        break;
      case cache::Source::kStale:
      case cache::Source::kStaleIfError:
        r.cache_status = "STALE";
        break;
    }
    // The variant is chosen first: a 304 carries its ETag. The gzip variant has its own
    // (the identity one with "-gz", RFC 9110 8.8.3), and either form revalidates either
    // variant, since both name the same version of the body.
    const Bytes* gz = nullptr;
    if (gzip_ok && entry->body().size() >= kMinGzipBytes) {
      bool made = false;
      const Bytes& g = entry->GzipBody(&made);
      if (made && !g.empty()) {
        cache->AddCharge(*entry, entry->GzipCharge());
      }
      // Empty only if zlib failed (or the ETag is not a quoted tag): send the plain body then.
      if (!g.empty() && !entry->GzipEtag().empty()) gz = &g;
    }
    if (gz != nullptr) r.etag = entry->GzipEtag();
    if (r.status == 200 && !if_none_match.empty() &&
        EtagMatchesEitherVariant(if_none_match, entry->etag())) {
      Inc(not_modified);
      r.status = 304;
      r.owner = std::move(entry);
      return r;
    }
    if (gz != nullptr) {
      r.body = gz->view();
      r.content_encoding = "gzip";
    } else {
      r.body = entry->body();
    }
    r.owner = std::move(entry);
    return r;
  }
};

Api::Api(std::shared_ptr<const Router> router, cache::ReadThrough& read_through,
         cache::Cache& cache, const Clock& clock, metrics::Registry* metrics, const Admin* admin,
         InternalRoutes routes)
    : Api(MakeLiveServing(std::move(router), ApiOptions{}, metrics), read_through, cache, clock,
          metrics, admin, std::move(routes)) {}

Api::Api(std::shared_ptr<LiveServing> serving, cache::ReadThrough& read_through,
         cache::Cache& cache, const Clock& clock, metrics::Registry* metrics, const Admin* admin,
         InternalRoutes routes) {
  auto s = std::make_shared<Shared>();
  s->serving = std::move(serving);
  s->read_through = &read_through;
  s->cache = &cache;
  s->clock = &clock;
  s->admin = admin;
  s->admin_routes = routes.admin;
  s->stats = std::move(routes.stats);
  if (metrics != nullptr && routes.admin) {
    s->metrics_page = std::make_unique<MetricsPage>(*metrics, clock, routes.metrics_max_age);
  }
  s->health_body = Bytes::Copy(R"({"status":"ok"})");
  s->not_found_body = http::ErrorBody(404, "not found");
  if (metrics != nullptr) {
    s->requests_endpoint = metrics->GetCounter("shoal_api_requests_endpoint_total",
                                               "Requests for a configured endpoint.");
    s->requests_internal = metrics->GetCounter("shoal_api_requests_internal_total",
                                               "Requests for /_shoal/ health and metrics.");
    s->requests_unrouted =
        metrics->GetCounter("shoal_api_requests_unrouted_total", "Requests matching no route.");
    s->hits = metrics->GetCounter("shoal_api_hits_total", "Requests answered by a fresh entry.");
    s->stale = metrics->GetCounter("shoal_api_stale_total",
                                   "Requests answered by a stale entry while it refreshes.");
    s->misses = metrics->GetCounter("shoal_api_misses_total", "Requests that waited for a load.");
    s->not_modified =
        metrics->GetCounter("shoal_api_not_modified_total", "304 answers to If-None-Match.");
    s->client_errors =
        metrics->GetCounter("shoal_api_client_errors_total", "4xx answers for bad requests.");
    s->server_errors = metrics->GetCounter("shoal_api_server_errors_total", "5xx answers.");
    s->miss_latency = metrics->GetHistogram("shoal_api_miss_latency_seconds",
                                            "Time from request to answer for misses.");
  }
  shared_ = std::move(s);
}

Api::~Api() = default;

size_t Api::MaxBody(const http::Request& head) const {
  const bool changes = head.method == http::Method::kPost || head.method == http::Method::kPut;
  return changes && Admin::Handles(head.path) ? kMaxAdminBody : 0;
}

void Api::Handle(const http::Request& request, http::Exchange& exchange) {
  const Shared& s = *shared_;
  const std::string_view path = request.path;

  if (path == kDashboardPath && s.admin_routes) {  // the live page (dashboard_page.h)
    Inc(s.requests_internal);
    if (!IsGetOrHead(request)) return exchange.Reply(http::MethodNotAllowed(kAllowedMethods));
    return exchange.Reply(DashboardResponse());
  }
  if (path == kHealthPath || (path == kMetricsPath && s.admin_routes)) {
    Inc(s.requests_internal);
    if (!IsGetOrHead(request)) return exchange.Reply(http::MethodNotAllowed(kAllowedMethods));
    http::Response r;
    if (path == kHealthPath) {
      r.SetBody(s.health_body);
    } else {
      r.content_type = "text/plain; version=0.0.4";
      if (s.metrics_page != nullptr) r.SetBody(s.metrics_page->Text());
    }
    return exchange.Reply(std::move(r));
  }
  if (path == kStatsPath) {
    Inc(s.requests_internal);
    if (!s.admin_routes || !s.stats) return exchange.Reply(s.NotFound());
    if (!IsGetOrHead(request)) return exchange.Reply(http::MethodNotAllowed(kAllowedMethods));
    return exchange.Reply(StatsResponse(s.stats()));
  }
  if (Admin::Handles(path) || path == kMetricsPath) {
    Inc(s.requests_internal);
    if (s.admin == nullptr || !s.admin_routes) return exchange.Reply(s.NotFound());
    return s.admin->Handle(request, exchange);
  }

  if (path == kOpenApiPath) {  // public: the document describes the public API (openapi.h)
    Inc(s.requests_internal);
    if (!IsGetOrHead(request)) return exchange.Reply(http::MethodNotAllowed(kAllowedMethods));
    const Bytes& document = s.serving->Read().openapi;
    if (document.empty()) return exchange.Reply(s.NotFound());
    http::Response r;
    r.SetBody(document);  // shares the document: the snapshot may go before the write
    return exchange.Reply(std::move(r));
  }

  // This request's snapshot: valid until this thread's next Read (see serving.h); nothing
  // below Reads again, and the miss callback keeps only the snapshot's series (shared).
  const Serving& serving = s.serving->Read();
  const Router& router = *serving.router;
  const EndpointMetrics* const series = serving.metrics.get();
  const std::optional<size_t> route = router.FindRoute(path);
  if (!route) {
    Inc(s.requests_unrouted);
    return exchange.Reply(s.NotFound());
  }
  // Interned: valid after a reload replaced the Router, for as long as an answer waits.
  const std::string_view route_name = router.endpoint(*route).interned_route;
  // CORS (cors.h): a preflight is answered from the policy alone; every other answer of the
  // route carries the headers chosen here (interned: nothing allocated, valid for a late reply).
  const CorsPolicy* const cors = serving.cors.empty() ? nullptr : serving.cors[*route].get();
  const std::string_view origin = cors != nullptr ? request.HeaderValue("Origin") : "";
  if (cors != nullptr && request.method == http::Method::kOptions && !origin.empty()) {
    if (const std::string_view method = request.HeaderValue("Access-Control-Request-Method");
        !method.empty()) {
      http::Response r = Labelled(cors->Preflight(origin, method), route_name, {});
      if (r.status >= 400) Inc(s.client_errors);
      Shared::Count(series, *route, r.status, http::CacheResult::kNone, 0);
      return exchange.Reply(std::move(r));
    }
  }
  const CorsHeaders cors_headers = cors != nullptr ? cors->ForRequest(origin) : CorsHeaders{};
  // 405 and 400 answers do no I/O: the per-endpoint histogram takes them as 0 us rather
  // than read the clock for them.
  if (!IsGetOrHead(request)) {
    Inc(s.requests_unrouted);
    Shared::Count(series, *route, 405, http::CacheResult::kNone, 0);
    http::Response r = Labelled(http::MethodNotAllowed(kAllowedMethods), route_name, {});
    cors_headers.ApplyTo(r);
    return exchange.Reply(std::move(r));
  }
  Inc(s.requests_endpoint);

  // End-user auth (auth.h): one null test for an open endpoint.
  const bool guarded = router.endpoint(*route).auth != nullptr;
  const Claims* claims = nullptr;
  if (guarded) {
    if (std::optional<http::Response> refused = Authorize(router, *route, request, &claims)) {
      http::Response r = Labelled(std::move(*refused), route_name, {});
      cors_headers.ApplyTo(r);  // so that a browser's script can read why
      Inc(s.client_errors);
      Shared::Count(series, *route, r.status, http::CacheResult::kNone, 0);
      return exchange.Reply(std::move(r));
    }
  }

  // The key is built into this thread's reused string, so a hit allocates nothing once it
  // has grown to the longest key seen; the route is walked once (FindRoute above).
  thread_local std::string key;
  if (Status st = router.KeyFor(*route, path, request.query, &key, claims); !st.ok()) {
    http::Response r = Labelled(s.Error(st), route_name, {});
    cors_headers.ApplyTo(r);
    Shared::Count(series, *route, r.status, http::CacheResult::kNone, 0);
    return exchange.Reply(std::move(r));
  }
  // The owner costs a ring lookup in a cluster: asked on a hit only for the access log or
  // debug headers (then Cache-Status names it too).
  const bool debug = serving.debug_headers;
  const std::string_view owner =
      request.access_logged || debug ? s.read_through->OwnerOf(key) : std::string_view();
  const CachePolicy& policy = serving.policies[*route];

  const bool gzip_ok = AcceptsGzip(request.HeaderValue("Accept-Encoding"));
  const std::string_view if_none_match = request.HeaderValue("If-None-Match");

  cache::Source source = cache::Source::kMiss;
  TimePoint now;
  // `cache: false`: never kept, so never looked up; every request loads (still shared).
  if (cache::EntryPtr entry =
          policy.keep ? s.read_through->Lookup(key, &source, &now) : cache::EntryPtr()) {
    Inc(source == cache::Source::kHit ? s.hits : s.stale);
    http::Response r = Labelled(s.FromEntry(std::move(entry), cache::LoadOutcome{source}, policy,
                                            debug, owner, gzip_ok, if_none_match, now),
                                route_name, owner);
    cors_headers.ApplyTo(r);
    if (!debug) r.surrogate_key = {};  // the tags are for the operator
    r.cache_private = guarded;
    // Timed by the Clock that dated the lookup (steady time in production): one more read.
    Shared::Count(series, *route, r.status, r.cache_result, Micros(s.clock->Now() - now));
    return exchange.Reply(std::move(r));
  }

  // A page's cursor is checked before a load (page.h): a bad one is the client's 400 here,
  // never a failed load (which a peer would report as its own fault).
  if (router.endpoint(*route).page) {
    if (Result<RouteMatch> m = router.MatchKey(key); !m.ok()) {
      http::Response r = Labelled(s.Error(m.status()), route_name, {});
      cors_headers.ApplyTo(r);
      Shared::Count(series, *route, r.status, http::CacheResult::kNone, 0);
      return exchange.Reply(std::move(r));
    }
  }
  Inc(s.misses);
  // Latency is real elapsed time, whatever Clock dates the entries.
  const TimePoint start = std::chrono::steady_clock::now();
  // The callback may run on a store thread after Handle returns: it owns the shared state,
  // the reply and a copy of If-None-Match (the request's views die with Handle).
  // A load's Cache-Status names the owner (one ring lookup per miss); an error's names the key
  // too under debug, from a copy (the answer has no entry to view it in).
  const std::string_view load_owner = owner.empty() ? s.read_through->OwnerOf(key) : owner;
  s.read_through->LoadWithOutcome(
      key, [shared = shared_, reply = exchange.Defer(), gzip_ok, inm = std::string(if_none_match),
            start, endpoint = *route, series = serving.metrics, policy, debug, route_name, owner,
            load_owner, debug_key = debug ? key : std::string(), cors_headers,
            guarded](Result<cache::EntryPtr> result, const cache::LoadOutcome& outcome) {
        const Shared& sh = *shared;
        const uint64_t us = Micros(std::chrono::steady_clock::now() - start);
        if (sh.miss_latency != nullptr) sh.miss_latency->ObserveUs(us);
        http::Response r;
        if (result.ok()) {
          r = Labelled(sh.FromEntry(std::move(result).value(), outcome, policy, debug, load_owner,
                                    gzip_ok, inm, sh.clock->Now()),
                       route_name, owner);
          if (!debug) r.surrogate_key = {};
          r.cache_private = guarded;
        } else {
          r = Labelled(sh.Error(result.status()), route_name, owner);
          r.cache_result = http::CacheResult::kMiss;  // a miss whose load failed
          AppendFailedLoadStatus(r.extra_headers, r.status, outcome.collapsed, debug_key,
                                 load_owner);
        }
        cors_headers.ApplyTo(r);
        Shared::Count(series.get(), endpoint, r.status, r.cache_result, us);
        reply(std::move(r));
      });
}

}  // namespace shoal::api
