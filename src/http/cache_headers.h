// AppendCacheHeaders: the caching header lines of an answer (Cache-Control, CDN-Cache-Control,
// Cache-Status), formatted from Response's fields by the session's head writer.
//
// Internal to http (the session calls it); other layers set the fields of http::Response and
// use AppendCacheStatus (handler.h) at most. Nothing here allocates once `out` has the
// capacity: every value is a view the Response keeps valid, or a number.
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "http/handler.h"

namespace shoal::http::internal {

// AppendCacheHeaders appends, each with its CRLF, the Cache-Control line (when `max_age` >= 0
// or `cache_control` is set), the CDN-Cache-Control line (when `cdn_max_age` >= 0 or
// `cdn_cache_control` is set) and the Cache-Status line (when `cache_status_line` is set).
void AppendCacheHeaders(std::string& out, const Response& r);

}  // namespace shoal::http::internal
