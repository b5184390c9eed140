// The Cache-Status field (RFC 9211) of an endpoint's answer, from how the cache found it.
//
//   hit, stale hit          shoal; hit; ttl=N              (N < 0: stale, served while it
//                                                           refreshes)
//   loaded                  shoal; fwd=miss[; stored][; collapsed]; ttl=N
//   stale-if-error          shoal; fwd=stale; fwd-status=503[; collapsed]; ttl=N (N < 0)
//   failed load             shoal; fwd=miss; fwd-status=503[; collapsed]
// then key="..." (only with debug_headers) and detail="owner=NODE" (in a cluster, when the
// owner was asked: every load, and hits that are logged or under debug_headers). `stored` is
// absent when the answer was not kept: `cache: false`, over the budget, purged meanwhile, or
// another node's answer not admitted to the hot cache.
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "api/status_http.h"
#include "cache/entry.h"
#include "cache/read_through.h"
#include "http/handler.h"

namespace shoal::api {

// CacheStatusFor is the line of an answer from `entry` (kept alive by the answer: `key` views
// its key) as of `now`.
inline http::CacheStatusLine CacheStatusFor(const cache::LoadOutcome& outcome,
                                            const cache::Entry& entry, TimePoint now, bool debug,
                                            std::string_view owner) {
  http::CacheStatusLine line;
  switch (outcome.source) {
    case cache::Source::kHit:
    case cache::Source::kStale:
      line.fwd = http::CacheStatusLine::Fwd::kHit;
      break;
    case cache::Source::kMiss:
    case cache::Source::kPeer:
      line.fwd = http::CacheStatusLine::Fwd::kMiss;
      line.stored = outcome.stored;
      line.collapsed = outcome.collapsed;
      break;
    case cache::Source::kStaleIfError:
      line.fwd = http::CacheStatusLine::Fwd::kStale;
      line.fwd_status = HttpStatusFor(outcome.error);
      line.collapsed = outcome.collapsed;
      break;
  }
  line.has_ttl = true;
  line.ttl = std::chrono::floor<std::chrono::seconds>(entry.fresh_until() - now).count();
  if (debug) line.key = entry.key();
  line.owner = owner;
  return line;
}

// AppendFailedLoadStatus appends the Cache-Status header line ("Cache-Status: ...\r\n") of a
// load that failed with HTTP status `status`, for Response::extra_headers (an error answer
// owns nothing the line could view).
inline void AppendFailedLoadStatus(std::string& out, int status, bool collapsed,
                                   std::string_view key, std::string_view owner) {
  http::CacheStatusLine line;
  line.fwd = http::CacheStatusLine::Fwd::kMiss;
  line.fwd_status = status;
  line.collapsed = collapsed;
  line.key = key;
  line.owner = owner;
  out += "Cache-Status: ";
  http::AppendCacheStatus(out, line);
  out += "\r\n";
}

}  // namespace shoal::api
