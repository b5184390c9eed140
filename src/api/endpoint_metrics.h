// EndpointMetrics: the per-endpoint series of one Router, as plain pointers indexed like the
// Router's endpoints, so that counting a request is a few relaxed adds with no lookup.
//
//   shoal_endpoint_requests_total{endpoint,code="2xx|3xx|4xx|5xx"}   answers by status class
//   shoal_endpoint_cache_total{endpoint,result="hit|stale|miss|peer"} where the answer came from
//   shoal_endpoint_request_duration_seconds{endpoint}                 histogram
// The endpoint label is the route as configured (EndpointInfo::interned_route), never a path.
// Requests that match no route are not counted here (shoal_api_requests_unrouted_total).
//
// Build asks the Registry's families for each route's children; a route that is already
// there (a reload that keeps it) gets the same counters back, so its series continue. The lead's
// reload rebuilds one of these from the new Router and swaps it with the Router.
//
// Ownership: the pointers belong to the Registry, which outlives every EndpointMetrics.
// Thread-safety: immutable after Build; the metrics themselves are thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "api/router.h"
#include "http/handler.h"
#include "metrics/metrics.h"

namespace shoal::api {

struct EndpointMetrics {
  struct One {
    std::array<metrics::Counter*, 4> code{};   // 2xx, 3xx, 4xx, 5xx
    std::array<metrics::Counter*, 4> cache{};  // http::CacheResult kHit .. kPeer
    metrics::Histogram* duration = nullptr;
  };
  std::vector<One> endpoints;  // indexed like the Router's endpoints

  // Build makes (or finds) every endpoint's series in `registry`.
  static std::shared_ptr<const EndpointMetrics> Build(const Router& router,
                                                      metrics::Registry& registry);

  // Count records one answer of endpoint `i` (REQUIRES: i < endpoints.size()): its status
  // class (1xx and others are not counted), its cache outcome and its duration.
  // `cache` is the answer's Response::cache_result (kNone: not counted in the cache series).
  void Count(size_t i, int status, http::CacheResult cache, uint64_t duration_us) const {
    const One& e = endpoints[i];
    const int cls = status / 100 - 2;
    if (cls >= 0 && cls < 4) e.code[static_cast<size_t>(cls)]->Add();
    if (cache != http::CacheResult::kNone) e.cache[static_cast<size_t>(cache) - 1]->Add();
    e.duration->ObserveUs(duration_us);
  }
};

}  // namespace shoal::api
