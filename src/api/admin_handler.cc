// AdminHandler: the admin listener's routes; see admin_handler.h.
#include "api/admin_handler.h"

#include "api/dashboard_page.h"

namespace shoal::api {

AdminHandler::AdminHandler(const Admin& admin, metrics::Registry& registry, const Clock& clock,
                           Duration metrics_max_age, std::function<std::string()> stats)
    : admin_(admin),
      metrics_(registry, clock, metrics_max_age),
      stats_(std::move(stats)),
      health_body_(Bytes::Copy(R"({"status":"ok"})")),
      not_found_body_(http::ErrorBody(404, "not found")) {}

void AdminHandler::Handle(const http::Request& request, http::Exchange& exchange) {
  const std::string_view path = request.path;
  if (Admin::Handles(path)) return admin_.Handle(request, exchange);
  if (path == kDashboardPath) {  // the live page (dashboard_page.h)
    if (request.method != http::Method::kGet && request.method != http::Method::kHead) {
      return exchange.Reply(http::MethodNotAllowed("GET, HEAD"));
    }
    return exchange.Reply(DashboardResponse());
  }
  http::Response r;
  if (path == "/_shoal/metrics" || path == "/_shoal/health" ||
      (path == "/_shoal/stats" && stats_)) {
    if (request.method != http::Method::kGet && request.method != http::Method::kHead) {
      return exchange.Reply(http::MethodNotAllowed("GET, HEAD"));
    }
    if (path == "/_shoal/stats") return exchange.Reply(StatsResponse(stats_()));
    if (path == "/_shoal/health") {
      r.SetBody(health_body_);
    } else {
      r.content_type = "text/plain; version=0.0.4";
      r.SetBody(metrics_.Text());
    }
    return exchange.Reply(std::move(r));
  }
  r.status = 404;
  r.SetBody(not_found_body_);
  exchange.Reply(std::move(r));
}

}  // namespace shoal::api
