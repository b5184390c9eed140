// ReadyRoute: see ready_route.h.
#include "api/ready_route.h"

namespace shoal::api {

void ReadyRoute::Handle(const http::Request& request, http::Exchange& exchange) {
  if (request.path != kReadyPath) return inner_.Handle(request, exchange);
  if (request.method != http::Method::kGet && request.method != http::Method::kHead) {
    return exchange.Reply(http::MethodNotAllowed("GET, HEAD"));
  }
  exchange.Reply(readiness_.Answer());
}

}  // namespace shoal::api
