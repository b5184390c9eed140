// MetricsPage: see metrics_page.h.
#include "api/metrics_page.h"

namespace shoal::api {

MetricsPage::MetricsPage(metrics::Registry& registry, const Clock& clock, Duration max_age)
    : registry_(registry),
      clock_(clock),
      max_age_(max_age),
      renders_(registry.GetCounter("shoal_api_metrics_renders_total",
                                   "Renders of /_shoal/metrics (at most one per second).")) {}

Bytes MetricsPage::Text() {
  MutexLock lock(mu_);
  const TimePoint now = clock_.Now();
  if (!rendered_ || now - rendered_at_ >= max_age_) {
    renders_->Add();
    text_ = Bytes::FromString(registry_.Expose());
    rendered_at_ = now;
    rendered_ = true;
  }
  return text_;
}

http::Response StatsResponse(const std::string& json) {
  http::Response r;
  r.SetBody(Bytes::FromString(json));
  r.extra_headers = "Cache-Control: no-store\r\n";
  return r;
}

}  // namespace shoal::api
