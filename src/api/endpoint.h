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

#include "api/auth_options.h"
#include "api/cors.h"
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
  // Not empty: the value is the caller's verified token's claim of this name
  // (`from: claims.NAME`), never the request's; the endpoint needs auth.jwt (auth.h).
  std::string claim = {};  // (a default: older aggregate initialisations leave it out)
};

// ParamGlob is one `ignore_params` pattern: query parameters whose (decoded) name it matches
// are dropped before the request is checked and its key built (base/glob.h: '*' any run of
// bytes, '?' one byte).
struct ParamGlob {
  std::string pattern;
  int line = 0;  // config line, for error messages
};

enum class ResultShape : unsigned char {
  kOne,   // the first row as a JSON object; no row is a 404
  kMany,  // every row, as a JSON array (possibly empty)
};

// PageOptions: keyset pagination of a `result: many` endpoint (page.h has the whole story).
// The query says how to page, with two markers shoal binds: `:after` (the `by` value of the
// last row of the page before, from the request's cursor; `start` on the first page) and
// `:limit` (the page size asked, plus one: the extra row, never sent, tells whether a next
// page exists). For example, in SQL:
//   ... WHERE item_id = :id AND review_id > :after ORDER BY review_id LIMIT :limit
// and in CQL on a clustering column, in clustering order:
//   ... WHERE item_id = :id AND review_id > :after LIMIT :limit
// `by` must be a column the query returns, unique within the answer, and the rows must come
// sorted by it (ascending, or descending with `descending`): a page that is not strictly
// ordered by `by` is refused as the operator's fault (a 500, logged).
struct PageOptions {
  std::string by;  // a result column: int or text
  ParamType type = ParamType::kInt;
  int64_t size = 20;        // rows per page when the request gives no ?limit
  int64_t max = 100;        // the largest ?limit a client may ask
  bool descending = false;  // order: desc (the query compares with < and sorts DESC)
  // The value the first page starts after; unset: the smallest int64 (ascending) or the
  // largest (descending) for an int, "" for a string ascending (required for a string
  // descending, and for an int column narrower than 64 bits in CQL).
  std::optional<std::string> start;
  int line = 0;  // config line of `page`, for error messages
};

// TagSpec is one template of an endpoint's `tags:` (tag_template.h): "item:{id}",
// "item:{row.item_id}".
struct TagSpec {
  std::string text;
  int line = 0;  // config line, for error messages
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
  // The endpoint's CORS (cors.h); unset: ApiOptions::cors. Replaces it whole when set.
  std::optional<CorsOptions> cors;
  // Caps on one answer, enforced while the store reads it; unset: ApiOptions' caps.
  std::optional<size_t> max_rows;
  std::optional<size_t> max_body;  // bytes of the JSON answer
  // Query parameters to drop (tracking parameters: utm_*, fbclid), in addition to
  // ApiOptions::ignore_params. A pattern may not match a parameter of the endpoint.
  std::vector<ParamGlob> ignore_params;
  // Surrogate keys of the endpoint's answers (tag_template.h); POST /_shoal/purge {"tag": T}
  // removes every entry tagged T.
  std::vector<TagSpec> tags;
  int line = 0;  // config line of the endpoint, for error messages
  // Keyset pagination (?limit=N&cursor=C, a Link: rel="next" header); result many only.
  std::optional<PageOptions> page;
  // Who may call it; unset: ApiOptions::auth (Kind::kNone here opens it under a global auth).
  std::optional<AuthOptions> auth = std::nullopt;  // (a default, as for ParamSpec::claim)
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
  // Query parameters every endpoint drops (top-level `ignore_params`); an endpoint's own list
  // adds to this one.
  std::vector<ParamGlob> ignore_params;
  // GET /_shoal/openapi.json serves the OpenAPI document of the endpoints (openapi.h) on the
  // public listener (`http.openapi`); false: that path answers 404.
  bool openapi = true;
  // info.version of that document: the build's version (cli sets it; not a config key).
  std::string version;
  // CORS for endpoints that set none of their own (top-level `cors:`); unset: no CORS.
  std::optional<CorsOptions> cors;
  // What page cursors are signed with (cursor.h: the key is derived from it): config
  // `cursor_secret_env`, else `cluster.secret`. Empty: a random key per process, so that
  // cursors die at a restart and work on the node that made them only (a warning says so).
  std::string cursor_secret;
  // `cache.max_tags_per_entry`: an answer with more distinct tags than this is served but not
  // kept (it would have to survive a purge of a tag it could not carry).
  size_t max_tags_per_entry = 64;
  // Who may call the endpoints that set no auth of their own (top-level `auth:`); unset:
  // anyone. (Optional rather than Kind::kNone: g++ 12 -O2 takes the vectors inside a
  // value-initialised ApiOptions{} for uninitialised.)
  std::optional<AuthOptions> auth;
  // Where the api logs faults an operator must fix (component "api"): a query that the store
  // refuses at execution time, with its route, query text and the store's message. Not owned;
  // must outlive the Router's users (StoreLoader). The default drops everything.
  Logger* logger = &NullLogger();
};

}  // namespace shoal::api
