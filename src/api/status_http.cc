// The Status to HTTP mapping; see status_http.h.
#include "api/status_http.h"

#include <string_view>

namespace shoal::api {

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kDeadlineExceeded:
    case StatusCode::kUnavailable:
    case StatusCode::kResourceExhausted:
    case StatusCode::kCancelled:
      return 503;
    case StatusCode::kOk:
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

http::Response ErrorResponseFor(const Status& status) {
  const int http_status = HttpStatusFor(status.code());
  std::string_view message;
  bool retry_after = false;
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
      message = status.message();
      break;
    case StatusCode::kDeadlineExceeded:
      message = "the database did not answer in time";
      retry_after = true;
      break;
    case StatusCode::kUnavailable:
      message = "the database is unavailable";
      retry_after = true;
      break;
    case StatusCode::kResourceExhausted:
      message = "overloaded";
      break;
    case StatusCode::kCancelled:
      message = "shutting down";
      break;
    case StatusCode::kOk:
    case StatusCode::kInternal:
      message = "internal error";
      break;
  }
  http::Response response = http::ErrorResponse(http_status, message);
  if (retry_after) response.extra_headers += "Retry-After: 1\r\n";
  return response;
}

}  // namespace shoal::api
