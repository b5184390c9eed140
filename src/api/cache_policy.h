// CachePolicy: one endpoint's cache policy as served, resolved once per config (Serving) from
// its own keys and the global ones: how long its entries stay servable past their ttl (grace),
// stand in for a failed load (stale_if_error), how long an absence is remembered
// (negative_ttl), whether answers are kept at all (`cache: false`), and the Cache-Control and
// CDN-Cache-Control lines its answers carry (RFC 9111, RFC 5861, RFC 9213).
//
// The header texts are interned (base/interned.h): an answer keeps a view of them across a
// reload, and a hit copies nothing. Only max-age may vary per answer: unless configured, it is
// the entry's remaining freshness, formatted by the session's writer.
// Thread-safety: immutable once made; the functions are pure.
#pragma once

#include <string>
#include <string_view>

#include "api/endpoint.h"
#include "base/clock.h"
#include "http/handler.h"

namespace shoal::api {

struct CachePolicy {
  Duration grace{};
  Duration negative_ttl{};
  Duration stale_if_error{};
  bool keep = true;  // EndpointOptions::cache
  // Cache-Control: the configured directives, after "max-age=<remaining freshness>" when
  // `cc_dynamic_max_age` (no max_age configured).
  std::string_view cache_control;
  bool cc_dynamic_max_age = true;
  // CDN-Cache-Control, likewise; not sent unless `cdn` (none configured).
  std::string_view cdn_cache_control;
  bool cdn = false;
  bool cdn_dynamic_max_age = false;
};

// MakeCachePolicy resolves the policy of `endpoint` (null: an endpoint without options of its
// own) under `options`.
CachePolicy MakeCachePolicy(const EndpointOptions* endpoint, const ApiOptions& options);

// Directives renders `cc` as a Cache-Control value, max-age first; "" when it sets nothing.
std::string Directives(const CacheControlOptions& cc);

// ApplyCacheControl sets the Cache-Control and CDN-Cache-Control fields of `r` for an entry
// with `fresh_seconds` of freshness left (>= 0).
inline void ApplyCacheControl(const CachePolicy& p, int64_t fresh_seconds, http::Response& r) {
  r.max_age = p.cc_dynamic_max_age ? fresh_seconds : -1;
  r.cache_control = p.cache_control;
  if (p.cdn) {
    r.cdn_cache_control = p.cdn_cache_control;
    r.cdn_max_age = p.cdn_dynamic_max_age ? fresh_seconds : -1;
  }
}

}  // namespace shoal::api
