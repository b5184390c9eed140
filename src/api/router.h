// Router: the endpoint table compiled from ApiOptions, and the canonical cache key.
//
// Build checks every endpoint of the config against the store (routes, parameter names,
// types, defaults, bounds, json columns, the query itself through Store::Prepare) and refuses
// a config that does not hold together with a message naming file:line. The result is an
// immutable snapshot, shared as std::shared_ptr<const Router>.
//
// Routes are literal segments and parameters: /v1/items/{id:int}/reviews. A parameter is
// {name} (a string) or {name:int}. Query-string parameters are declared in ParamSpec; a
// ParamSpec with a route parameter's name sets that parameter's bounds (same type, no
// default). Every parameter must be used by the query as :name and every :name must be a
// parameter.
//
// Matching a request: the path selects at most one endpoint (a literal segment beats a
// parameter at the first place where two routes differ; identical shapes are refused at
// Build). Path segments and query values are percent-decoded ('+' is a plus sign, not a
// space: this is RFC 3986, not HTML form encoding). A string value must decode to valid
// UTF-8 and to at most its max bytes (its ParamSpec's, else ApiOptions::max_string_param,
// 256 by default), path and query alike. Bad input is InvalidArgument (a 400) with a message
// naming the parameter; no route is NotFound.
//
// Ignored parameters: a query parameter the endpoint does not declare whose decoded name
// matches one of the ignore_params patterns (ApiOptions' and the endpoint's; base/glob.h) is
// skipped: not checked, not counted as repeated, not in the key. So ?utm_source=news neither
// fails nor splits the cache. Any other undeclared query parameter is InvalidArgument.
//
// The canonical key is a canonical request target, and the cache key of the request:
//   the route with each parameter in canonical form, then, when the endpoint declares query
//   parameters, '?' and every one of them (defaults filled in) as name=value, sorted by
//   name, joined by '&'.
// Canonical values: an int in plain decimal (no '+', no leading zeros, "-0" is "0"); a string
// percent-encoded with every byte outside A-Z a-z 0-9 - . _ ~ written %XX in upper case. So
// /v1/items/042 and /v1/items/+42 both have the key /v1/items/42, and
// /v1/items/42/reviews has the key /v1/items/42/reviews?limit=10. A key is itself a valid
// request target, so MatchKey can load it anywhere in the cluster from the key alone.
//
// A paged endpoint (page.h) also takes `limit` and `cursor` in the query string, checked and
// keyed like declared parameters (limit: 1 to page.max, default page.size; cursor: default
// empty); binding (Match with `bind`, MatchKey) checks the cursor's signature and binds its
// value as :after, and limit + 1 as :limit. A bad cursor is InvalidArgument.
//
// Purging one endpoint: a key belongs to the endpoint whose route its path matches
// (EndpointOfKey). The cache keeps each entry in its endpoint's purge group
// (EndpointInfo::group, StoreLoader::GroupOf), and a purge of the endpoint invalidates that
// group.
//
// Thread-safety: immutable after Build; every const method may be called concurrently.
// Match allocates only the key string (and the bound values when asked for them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/claims.h"
#include "api/endpoint.h"
#include "api/page.h"
#include "api/tag_template.h"
#include "base/clock.h"
#include "base/status.h"
#include "store/store.h"

namespace shoal::api {

class Authenticator;

// kMaxParams bounds the parameters (path and query together) of one endpoint, so matching
// can keep per-parameter state in fixed arrays on the stack.
inline constexpr size_t kMaxParams = 16;
// kMaxSegments bounds a route's segments.
inline constexpr size_t kMaxSegments = 32;

// EndpointInfo is what the rest of the api needs to know about a compiled endpoint.
struct EndpointInfo {
  std::string route;  // as configured
  // `route` interned (base/interned.h): valid for the process's lifetime, so that metric
  // labels, access-log lines and queued answers may keep it across a reload.
  std::string_view interned_route;
  // The purge group of the endpoint's entries (endpoint_group.h): numbered by the route, so
  // stable across reloads that add, remove or reorder endpoints.
  uint32_t group = 0;
  std::string query;  // as configured; for the operator's log only, never for a client
  ResultShape result = ResultShape::kOne;
  Duration ttl{};
  bool cache = true;                 // EndpointOptions::cache (false: nothing kept)
  size_t statement = 0;              // StatementInfo::id, for Store::Query
  std::vector<std::string> columns;  // result columns, in order
  std::vector<bool> json_column;     // parallel to columns: holds JSON text
  // Parallel to columns: type and NOT NULL promise from the store (StatementInfo::column_meta;
  // all kAny and nullable when the store reports none). For the OpenAPI document (openapi.h).
  std::vector<store::ColumnMeta> column_meta;
  std::vector<TagTemplate> tags;  // the endpoint's tag templates, compiled
  int line = 0;                   // config line
  std::optional<PageInfo> page;   // a paged endpoint's options (page.h)
  // Who may call it (auth.h); null: anyone. Shared by the endpoints under the top-level auth.
  std::shared_ptr<const Authenticator> auth;
  bool binds_claims = false;  // a parameter comes from the token's claims (ParamSpec::claim)
};

// RouteMatch is one matched request.
struct RouteMatch {
  size_t endpoint = 0;
  // Bound values in the statement's parameter order (StatementInfo::params); empty when
  // Match was asked not to bind.
  std::vector<store::Value> values;
  std::string key;  // the canonical key
  // A paged endpoint's ?limit (the page size asked); 0 for others, or without `bind`.
  int64_t page_limit = 0;
};

class Router {
 public:
  // Build compiles and checks `options` against `store` (each query is prepared there).
  static Result<std::shared_ptr<const Router>> Build(const ApiOptions& options,
                                                     store::Store& store);

  // FindRoute returns the endpoint whose route the (still percent-encoded) path matches by
  // shape and literals, without looking at parameter values; nullopt when none does. Used
  // to tell a 405 (known route, wrong method) from a 404. Allocates nothing.
  std::optional<size_t> FindRoute(std::string_view path) const;

  // Match checks a request's path and query string (both as sent) and builds its key, and,
  // when `bind` is set, the values to bind. NotFound when no route matches; InvalidArgument
  // for bad percent-encoding, a malformed or out-of-bounds value, a missing required
  // parameter, an unknown (and not ignored) or repeated query parameter.
  Result<RouteMatch> Match(std::string_view path, std::string_view query, bool bind = true) const;

  // KeyFor is Match for the hot path: for a path that FindRoute gave `endpoint` (REQUIRES),
  // it checks the parameters and writes the canonical key into *key, replacing its content.
  // With a reused string that has grown to the largest key, it allocates nothing.
  // A parameter bound from a claim takes its value from `claims` (CheckClaims first); the
  // query string may not name it (InvalidArgument), so no client can set another's value.
  Status KeyFor(size_t endpoint, std::string_view path, std::string_view query, std::string* key,
                const Claims* claims = nullptr) const;

  // CheckClaims checks that `claims` give every parameter endpoint `endpoint` binds from a
  // claim, each a valid value for it; the message names the claim (a 403 for the api).
  Status CheckClaims(size_t endpoint, const Claims* claims) const;

  // Match and MatchKey read a claim parameter from the query string like any other: a key
  // (from KeyFor, or an operator's purge) carries it.
  // MatchKey parses a canonical key back into a match with bound values. A key that is not
  // exactly canonical (e.g. /v1/items/042) is InvalidArgument: keys come from Match.
  Result<RouteMatch> MatchKey(std::string_view key) const;

  // EndpointOfKey is the endpoint whose route the path of `key` (a canonical key) matches, as
  // FindRoute decides; nullopt when none does. Allocates nothing.
  std::optional<size_t> EndpointOfKey(std::string_view key) const;

  size_t endpoint_count() const { return endpoints_.size(); }
  // REQUIRES: i < endpoint_count()
  const EndpointInfo& endpoint(size_t i) const;

  // Private representation, public only so that router.cc's helpers can name it.
  struct Compiled;
  // compiled is endpoint i's whole compiled form, for the api's own files (router_diff.cc).
  // REQUIRES: i < endpoint_count()
  const Compiled& compiled(size_t i) const { return *endpoints_[i]; }
  explicit Router(std::vector<std::unique_ptr<const Compiled>> endpoints);
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

 private:
  // Build is Match after FindRoute: the key into *key, the bound values into *values (when
  // not null).
  // `from_request`: claim parameters come from `claims`, not the query string.
  Status Build(size_t endpoint, std::string_view path, std::string_view query, std::string* key,
               std::vector<store::Value>* values, int64_t* page_limit = nullptr,
               bool from_request = false, const Claims* claims = nullptr) const;

  std::vector<std::unique_ptr<const Compiled>> endpoints_;
};

}  // namespace shoal::api
