// HttpStatusFor and ErrorResponseFor: the one place where a Status becomes an HTTP answer.
//
// InvalidArgument is 400 and NotFound 404, and their messages reach the client (they are
// about the client's request). Every other code is a 5xx whose body carries a fixed phrase
// instead of the message, so that database or internal details never leak to clients:
//   DeadlineExceeded 503 + Retry-After: 1     Unavailable 503 + Retry-After: 1
//   ResourceExhausted 503                     Cancelled 503 (shutting down)
//   Internal 500 (and OK, which reaching here would be a bug)
// Thread-safety: pure functions.
#pragma once

#include "base/status.h"
#include "http/handler.h"

namespace shoal::api {

// HttpStatusFor returns the HTTP status for `code`.
int HttpStatusFor(StatusCode code);

// ErrorResponseFor builds the JSON error response for a non-OK `status`.
http::Response ErrorResponseFor(const Status& status);

}  // namespace shoal::api
