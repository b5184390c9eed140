// CachePolicy: see cache_policy.h.
#include "api/cache_policy.h"

#include <chrono>

#include "base/interned.h"
#include "base/numbers.h"

namespace shoal::api {
namespace {

void Add(std::string& out, std::string_view directive) {
  if (!out.empty()) out += ", ";
  out += directive;
}

void AddSeconds(std::string& out, std::string_view name, const std::optional<Duration>& d) {
  if (!d) return;
  Add(out, name);
  out += '=';
  AppendInt(out, std::chrono::duration_cast<std::chrono::seconds>(*d).count());
}

}  // namespace

std::string Directives(const CacheControlOptions& cc) {
  std::string out;
  AddSeconds(out, "max-age", cc.max_age);
  AddSeconds(out, "s-maxage", cc.s_maxage);
  AddSeconds(out, "stale-while-revalidate", cc.stale_while_revalidate);
  AddSeconds(out, "stale-if-error", cc.stale_if_error);
  if (cc.is_public) Add(out, "public");
  if (cc.is_private) Add(out, "private");
  if (cc.no_cache) Add(out, "no-cache");
  if (cc.no_store) Add(out, "no-store");
  if (cc.must_revalidate) Add(out, "must-revalidate");
  return out;
}

CachePolicy MakeCachePolicy(const EndpointOptions* endpoint, const ApiOptions& options) {
  CachePolicy p;
  p.grace = options.grace;
  p.negative_ttl = options.negative_ttl;
  p.stale_if_error = options.stale_if_error;
  std::optional<CacheControlOptions> cc = options.cache_control;
  std::optional<CacheControlOptions> cdn = options.cdn_cache_control;
  if (endpoint != nullptr) {
    p.grace = endpoint->grace.value_or(p.grace);
    p.negative_ttl = endpoint->negative_ttl.value_or(p.negative_ttl);
    p.stale_if_error = endpoint->stale_if_error.value_or(p.stale_if_error);
    p.keep = endpoint->cache;
    if (endpoint->cache_control) {
      cc = endpoint->cache_control;
    } else if (!endpoint->cache) {
      // An answer never kept here should not be kept downstream either, unless configured.
      CacheControlOptions no_store;
      no_store.no_store = true;
      cc = no_store;
    }
    if (endpoint->cdn_cache_control) cdn = endpoint->cdn_cache_control;
  }
  if (cc) {
    p.cache_control = Intern(Directives(*cc));
    p.cc_dynamic_max_age = !cc->max_age && !cc->no_store;
  }
  if (cdn) {
    p.cdn = true;
    p.cdn_cache_control = Intern(Directives(*cdn));
    p.cdn_dynamic_max_age = !cdn->max_age && !cdn->no_store;
  }
  return p;
}

}  // namespace shoal::api
