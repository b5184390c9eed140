// MetricsPage: the /_shoal/metrics text, rendered at most once per max_age (1 s by default,
// config key metrics.cache; 0 renders on every request).
//
// Rendering runs every callback of the Registry under its lock, and some callbacks lock every
// shard of a cache; a scraper hammering the page would compete with the hit path (security
// review L9). So the text is kept and served again until it is max_age old, by the Clock
// given; concurrent requests for a stale page wait for one render rather than each making
// one. The counter shoal_api_metrics_renders_total counts renders.
//
// StatsResponse wraps the /_shoal/stats document (served next to the metrics page, by the Api
// or the AdminHandler) as a 200 application/json answer with Cache-Control: no-store.
//
// Ownership: borrows the Registry and the Clock, which must outlive it.
// Thread-safety: Text may be called from any thread.
#pragma once

#include <chrono>
#include <string>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/mutex.h"
#include "http/handler.h"
#include "metrics/metrics.h"

namespace shoal::api {

class MetricsPage {
 public:
  MetricsPage(metrics::Registry& registry, const Clock& clock,
              Duration max_age = std::chrono::seconds(1));

  // Text returns the exposition, rendering it again if the kept one is max_age old.
  Bytes Text();

 private:
  metrics::Registry& registry_;
  const Clock& clock_;
  const Duration max_age_;
  metrics::Counter* const renders_;

  Mutex mu_;
  Bytes text_ SHOAL_GUARDED_BY(mu_);
  TimePoint rendered_at_ SHOAL_GUARDED_BY(mu_);
  bool rendered_ SHOAL_GUARDED_BY(mu_) = false;
};

http::Response StatsResponse(const std::string& json);

}  // namespace shoal::api
