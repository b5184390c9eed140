// AdminHandler: the http::Handler of the admin listener (admin.listen), a second http::Server
// that serves only the operator's routes, so that they can sit on loopback or a management
// network while the public listener faces clients (security review M6, L9).
//
//   /_shoal/purge, /_shoal/peers, /_shoal/cluster, /_shoal/reload
//                                  as admin.h says (bearer token and all)
//   /_shoal/metrics                the Registry's text, rendered at most once a second
//                                  (metrics_max_age)
//   /_shoal/stats                  the JSON document `stats` makes (404 without one)
//   /_shoal/health                 200 {"status":"ok"}
//   /_shoal/                       the live dashboard page (dashboard_page.h)
//   anything else                  404 {"error":"not found","status":404}
// GET and HEAD only on metrics, health and the dashboard (405 otherwise). The public
// listener's Api is then built with InternalRoutes::admin false, so purge, peers, metrics and
// the dashboard answer 404 there; health stays public for load balancers.
//
// Ownership: borrows the Admin, the Registry and the Clock, which must outlive it.
// Thread-safety: thread-safe, like every Handler.
#pragma once

#include <functional>
#include <string>

#include "api/admin.h"
#include "api/metrics_page.h"
#include "base/clock.h"
#include "http/handler.h"
#include "metrics/metrics.h"

namespace shoal::api {

class AdminHandler final : public http::Handler {
 public:
  // `metrics_max_age`: see MetricsPage.
  // `stats`: makes the /_shoal/stats document (InternalRoutes::stats); may be empty.
  AdminHandler(const Admin& admin, metrics::Registry& registry, const Clock& clock,
               Duration metrics_max_age = std::chrono::seconds(1),
               std::function<std::string()> stats = {});

  void Handle(const http::Request& request, http::Exchange& exchange) override;

 private:
  const Admin& admin_;
  MetricsPage metrics_;
  const std::function<std::string()> stats_;
  const Bytes health_body_;
  const Bytes not_found_body_;
};

}  // namespace shoal::api
