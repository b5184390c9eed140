// HttpStatusFor and ErrorResponseFor: the one place where a Status becomes an HTTP answer.
//
// Each code means one thing (STYLE.md, "Errors"):
//   InvalidArgument   400, the message in the body: only the caller's input (a bad parameter,
//                     path or admin body) produces this code on its way here.
//   NotFound          404, the message in the body: no route, no row.
//   Unavailable       503 + Retry-After: 1, {"error":"the database is unavailable"}
//   DeadlineExceeded  503 + Retry-After: 1, {"error":"the database did not answer in time"}
//   ResourceExhausted 503, {"error":"overloaded"}
//   Cancelled         503, {"error":"shutting down"}
//   Internal          500, {"error":"internal error","status":500} (and OK, which reaching
//                     here would be a bug)
// A timeout is 503, not 504: shoal is the origin server here, not a gateway, and to this caller
// a store that does not answer in time is as unavailable as one that is down; both are retried
// after Retry-After, and both let the cache serve a stale entry instead (stale-if-error).
//
// Only InvalidArgument and NotFound carry their message; every 5xx body is a fixed phrase, so
// nothing about the database (host, port, query text, server message) reaches a client. That
// holds only if the store's own errors never arrive as InvalidArgument or NotFound: StoreLoader
// (store_loader.h) turns those into Internal and logs them for the operator.
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
