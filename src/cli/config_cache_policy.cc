// The cache policy keys of the config: `cache_control` and `cdn_cache_control` (in the cache
// section and per endpoint), and an endpoint's grace, negative_ttl, stale_if_error and cache.
#include <chrono>

#include "cli/config_internal.h"

namespace shoal::cli::config_internal {
namespace {

// Seconds reads a duration that a header states in whole seconds (delta-seconds, RFC 9111
// 1.2.2): a fraction would be silently cut, so it is refused.
Duration Seconds(const Walker& w, const YAML::Node& node, const std::string& where) {
  const Duration d = w.Dur(node, where, /*allow_zero=*/true);
  if (d % std::chrono::seconds(1) != Duration::zero()) {
    w.Fail(node, where + ": must be whole seconds (headers state seconds)");
  }
  return d;
}

}  // namespace

api::CacheControlOptions ParseCacheControl(const Walker& w, const YAML::Node& node,
                                           const std::string& where) {
  if (!node.IsMap()) {
    w.Fail(node, where +
                     ": expected a mapping of max_age, s_maxage, stale_while_revalidate, "
                     "stale_if_error, public, private, no_cache, no_store, must_revalidate");
  }
  w.Map(node, where,
        {"max_age", "s_maxage", "stale_while_revalidate", "stale_if_error", "public", "private",
         "no_cache", "no_store", "must_revalidate"});
  api::CacheControlOptions o;
  o.line = w.Line(node);
  auto duration = [&](const char* key, std::optional<Duration>* out) {
    if (auto n = node[key]) *out = Seconds(w, n, where + "." + key);
  };
  duration("max_age", &o.max_age);
  duration("s_maxage", &o.s_maxage);
  duration("stale_while_revalidate", &o.stale_while_revalidate);
  duration("stale_if_error", &o.stale_if_error);
  auto flag = [&](const char* key, bool* out) {
    if (auto n = node[key]) *out = w.Bool(n, where + "." + key);
  };
  flag("public", &o.is_public);
  flag("private", &o.is_private);
  flag("no_cache", &o.no_cache);
  flag("no_store", &o.no_store);
  flag("must_revalidate", &o.must_revalidate);
  if (o.is_public && o.is_private) w.Fail(node, where + ": public and private contradict");
  if (o.no_store && node.size() > 1) {
    w.Fail(node, where + ": no_store says not to keep the answer; it takes no other key");
  }
  return o;
}

void ParseEndpointCachePolicy(const Walker& w, const YAML::Node& node, api::EndpointOptions* e) {
  if (auto n = node["grace"]) e->grace = w.Dur(n, "grace", /*allow_zero=*/true);
  if (auto n = node["negative_ttl"]) e->negative_ttl = w.Dur(n, "negative_ttl", true);
  if (auto n = node["stale_if_error"]) e->stale_if_error = w.Dur(n, "stale_if_error", true);
  if (auto n = node["cache"]) e->cache = w.Bool(n, "cache");
  if (auto n = node["cache_control"]) e->cache_control = ParseCacheControl(w, n, "cache_control");
  if (auto n = node["cdn_cache_control"]) {
    e->cdn_cache_control = ParseCacheControl(w, n, "cdn_cache_control");
  }
  if (!e->cache) {
    // Keys about kept entries mean nothing for an endpoint that keeps none: say so rather
    // than ignore them.
    for (const char* key : {"grace", "negative_ttl", "stale_if_error"}) {
      if (auto n = node[key]) {
        w.Fail(n, std::string(key) + ": the endpoint has cache: false (nothing is kept)");
      }
    }
  }
}

}  // namespace shoal::cli::config_internal
