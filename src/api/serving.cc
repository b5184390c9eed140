// Serving: see serving.h.
#include "api/serving.h"

#include <utility>

#include "api/openapi.h"
#include "api/store_loader.h"

namespace shoal::api {

std::shared_ptr<const Serving> MakeServing(std::shared_ptr<const Router> router,
                                           const ApiOptions& options, metrics::Registry* registry) {
  auto s = std::make_shared<Serving>();
  s->grace = options.grace;
  s->negative_ttl = options.negative_ttl;
  s->store_timeout = options.store_timeout;
  s->debug_headers = options.debug_headers;
  s->max_tags_per_entry = options.max_tags_per_entry;
  s->log = Log(options.logger, "api");
  const size_t n = router->endpoint_count();
  s->limits.resize(n);
  s->fault_limiters.reserve(n);
  s->cors.resize(n);
  const std::shared_ptr<const CorsPolicy> global_cors =
      options.cors && options.cors->enabled ? CorsPolicy::Compile(*options.cors) : nullptr;
  s->policies.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const EndpointInfo& info = router->endpoint(i);
    // The Router keeps options.endpoints' order; the route check guards against options other
    // than the router was built from (then the global caps apply).
    const EndpointOptions* ep =
        i < options.endpoints.size() && options.endpoints[i].route == info.route
            ? &options.endpoints[i]
            : nullptr;
    store::QueryLimits& l = s->limits[i];
    l.max_rows = ep != nullptr ? ep->max_rows.value_or(options.max_rows) : options.max_rows;
    l.max_bytes = ep != nullptr ? ep->max_body.value_or(options.max_body) : options.max_body;
    l.first_row_only = info.result == ResultShape::kOne;
    s->fault_limiters.push_back(std::make_unique<LogLimiter>(StoreLoader::kLogInterval, 1));
    if (ep != nullptr && ep->cors) {
      if (ep->cors->enabled) s->cors[i] = CorsPolicy::Compile(*ep->cors);
    } else {
      s->cors[i] = global_cors;
    }
    s->policies.push_back(MakeCachePolicy(ep, options));
  }
  if (options.openapi) s->openapi = Bytes::Copy(OpenApiDocument(*router, options.version));
  s->tags_overflow_logged = std::make_unique<std::atomic<bool>[]>(n);
  if (registry != nullptr) {
    s->metrics = EndpointMetrics::Build(*router, *registry);
    s->tags_overflow = registry->GetCounter(
        "shoal_tags_overflow_total",
        "Answers served but not cached: more distinct tags than cache.max_tags_per_entry");
  }
  s->router = std::move(router);
  return s;
}

std::shared_ptr<LiveServing> MakeLiveServing(std::shared_ptr<const Router> router,
                                             const ApiOptions& options,
                                             metrics::Registry* registry) {
  return std::make_shared<LiveServing>(MakeServing(std::move(router), options, registry));
}

}  // namespace shoal::api
