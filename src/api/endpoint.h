// EndpointOptions: one endpoint as the operator declared it in the config.
//
// Plain structs, one documented field per knob (leveldb's options.h). cli/config.cc fills them
// from YAML; api/router.h compiles and checks them against the store.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/logger.h"

namespace shoal::api {

enum class ParamType : unsigned char { kInt, kString };

// ParamSpec is one query-string parameter (path parameters are declared in the route itself:
// {id:int} or {name}, which is a string). A ParamSpec with the name of a path parameter
// instead sets that parameter's bounds (min, max): its type must be the route's, and it has no
// default.
struct ParamSpec {
  std::string name;
  ParamType type = ParamType::kString;
  // Used when the request does not give the parameter; without one the parameter is required.
  std::optional<std::string> default_value;
  // Bounds, inclusive. For kInt the value; for kString the decoded length in bytes (without a
  // max, ApiOptions::max_string_param applies).
  std::optional<int64_t> min;
  std::optional<int64_t> max;
  int line = 0;  // config line, for error messages
};

enum class ResultShape : unsigned char {
  kOne,   // the first row as a JSON object; no row is a 404
  kMany,  // every row, as a JSON array (possibly empty)
};

// CacheControlOptions is what answers tell other caches about keeping them: the
// Cache-Control directives for clients (RFC 9111, with RFC 5861's stale-while-revalidate and
// stale-if-error) or, as `cdn_cache_control`, the CDN-Cache-Control ones for CDNs (RFC 9213).
// Durations are sent in whole seconds (config refuses others); unset ones are left out.
// Without max_age, max-age is the entry's remaining freshness (what shoal sent before these
// existed).
struct CacheControlOptions {
  std::optional<Duration> max_age;
  std::optional<Duration> s_maxage;
  std::optional<Duration> stale_while_revalidate;
  std::optional<Duration> stale_if_error;
  bool is_public = false;   // "public"
  bool is_private = false;  // "private" (config refuses both)
  bool no_cache = false;    // "no-cache"
  bool no_store = false;    // "no-store" alone (config refuses it beside anything else)
  bool must_revalidate = false;
  int line = 0;  // config line, for error messages
};

struct EndpointOptions {
  std::string route;  // e.g. "/v1/items/{id:int}/reviews"
  std::string query;  // SQL (or CQL) with :name markers for path and query parameters
  std::vector<ParamSpec> params;
  ResultShape result = ResultShape::kOne;
  std::vector<std::string> json_columns;  // columns holding JSON text, embedded as JSON
  Duration ttl = std::chrono::seconds(60);
  // Caps on one answer, enforced while the store reads it; unset: ApiOptions' caps.
  std::optional<size_t> max_rows;
  std::optional<size_t> max_body;  // bytes of the JSON answer
  // The endpoint's cache policy; unset: ApiOptions' (the `cache:` section).
  std::optional<Duration> grace;
  std::optional<Duration> negative_ttl;
  std::optional<Duration> stale_if_error;
  // false (`cache: false`): answers are never kept; every request reads the store, and
  // concurrent requests for one key still share one query. They say Cache-Control: no-store
  // unless cache_control is set.
  bool cache = true;
  std::optional<CacheControlOptions> cache_control;
  std::optional<CacheControlOptions> cdn_cache_control;
  int line = 0;  // config line of the endpoint, for error messages
};

struct ApiOptions {
  std::vector<EndpointOptions> endpoints;
  std::string config_file;  // named in error messages as file:line
  // Past ttl, an entry is served stale for this long while one refresh runs.
  Duration grace = std::chrono::minutes(5);
  // How long "no such row" is remembered (capped by the endpoint's ttl).
  Duration negative_ttl = std::chrono::seconds(5);
  // How long past its freshness an entry may stand in for a failed load (cache.stale_if_error;
  // keys that match no endpoint use ReadThroughOptions').
  Duration stale_if_error = std::chrono::hours(1);
  // What answers tell clients and CDNs, for endpoints that set none (EndpointOptions).
  std::optional<CacheControlOptions> cache_control;
  std::optional<CacheControlOptions> cdn_cache_control;
  // How long one store query may take, queueing included, before the request gets a 503.
  Duration store_timeout = std::chrono::seconds(2);
  // Caps on one answer for endpoints that set none (EndpointOptions::max_rows, max_body).
  size_t max_rows = 10000;
  size_t max_body = size_t{8} << 20;
  // The longest string parameter (path or query), in decoded bytes, unless its ParamSpec sets
  // max. Longer values are a 400 naming the parameter.
  size_t max_string_param = 256;
  // Answers carry headers meant for the operator, not the public (`http.debug_headers`): the
  // cache key in Cache-Status, the entry's tags as Surrogate-Key.
  bool debug_headers = false;
  // Where the api logs faults an operator must fix (component "api"): a query that the store
  // refuses at execution time, with its route, query text and the store's message. Not owned;
  // must outlive the Router's users (StoreLoader). The default drops everything.
  Logger* logger = &NullLogger();
};

}  // namespace shoal::api
