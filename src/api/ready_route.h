// ReadyRoute: an http::Handler in front of another that answers GET/HEAD /_shoal/ready from a
// Readiness (readiness.h) and hands every other request to the inner handler unchanged. serve
// puts one in front of the Api and, with admin.listen, one in front of the AdminHandler: the
// probe is public like /_shoal/health. Other methods on the path get 405.
//
// Ownership: borrows the inner handler and the Readiness, which must outlive it.
// Thread-safety: thread-safe, like every Handler.
#pragma once

#include "api/readiness.h"
#include "http/handler.h"

namespace shoal::api {

class ReadyRoute final : public http::Handler {
 public:
  ReadyRoute(http::Handler& inner, const Readiness& readiness)
      : inner_(inner), readiness_(readiness) {}

  void Handle(const http::Request& request, http::Exchange& exchange) override;
  size_t MaxBody(const http::Request& head) const override { return inner_.MaxBody(head); }

 private:
  http::Handler& inner_;
  const Readiness& readiness_;
};

}  // namespace shoal::api
