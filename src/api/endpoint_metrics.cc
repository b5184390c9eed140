// EndpointMetrics: see endpoint_metrics.h.
#include "api/endpoint_metrics.h"

namespace shoal::api {

std::shared_ptr<const EndpointMetrics> EndpointMetrics::Build(const Router& router,
                                                              metrics::Registry& registry) {
  metrics::CounterFamily* requests =
      registry.GetCounterFamily("shoal_endpoint_requests_total",
                                "Answers per endpoint, by status class", {"endpoint", "code"});
  metrics::CounterFamily* cache = registry.GetCounterFamily(
      "shoal_endpoint_cache_total",
      "Answers per endpoint by where they came from: a fresh or stale entry, a load (miss), "
      "or another node (peer)",
      {"endpoint", "result"});
  metrics::HistogramFamily* duration = registry.GetHistogramFamily(
      "shoal_endpoint_request_duration_seconds",
      "Time from the handler's lookup (a hit) or the request (others) to the answer, per "
      "endpoint",
      {"endpoint"});
  auto m = std::make_shared<EndpointMetrics>();
  m->endpoints.resize(router.endpoint_count());
  static constexpr std::array<std::string_view, 4> kCodes = {"2xx", "3xx", "4xx", "5xx"};
  static constexpr std::array<std::string_view, 4> kResults = {"hit", "stale", "miss", "peer"};
  for (size_t i = 0; i < router.endpoint_count(); ++i) {
    const std::string_view route = router.endpoint(i).interned_route;
    One& e = m->endpoints[i];
    for (size_t c = 0; c < kCodes.size(); ++c) e.code[c] = requests->Child({route, kCodes[c]});
    for (size_t r = 0; r < kResults.size(); ++r) e.cache[r] = cache->Child({route, kResults[r]});
    e.duration = duration->Child({route});
  }
  return m;
}

}  // namespace shoal::api
