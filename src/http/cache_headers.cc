// The caching header lines; see cache_headers.h and handler.h (AppendCacheStatus).
#include "http/cache_headers.h"

#include "base/numbers.h"

namespace shoal::http {
namespace {

// AppendSfString appends `s` as a Structured Field string (RFC 8941 3.3.3): quoted, with " and
// \ escaped; bytes outside printable ASCII, which an sf-string cannot hold, are dropped.
void AppendSfString(std::string& out, std::string_view prefix, std::string_view s) {
  out += '"';
  out += prefix;
  for (const char c : s) {
    if (c < 0x20 || c > 0x7e) continue;
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

// AppendDirectives appends "max-age=N" (when `max_age` >= 0) and `directives`, joined by ", ".
void AppendDirectives(std::string& out, int64_t max_age, std::string_view directives) {
  if (max_age >= 0) {
    out += "max-age=";
    AppendUint(out, static_cast<uint64_t>(max_age));
    if (!directives.empty()) out += ", ";
  }
  out += directives;
}

}  // namespace

void AppendCacheStatus(std::string& out, const CacheStatusLine& line) {
  out += "shoal";
  switch (line.fwd) {
    case CacheStatusLine::Fwd::kNone:
    case CacheStatusLine::Fwd::kHit:
      out += "; hit";
      break;
    case CacheStatusLine::Fwd::kMiss:
      out += "; fwd=miss";
      break;
    case CacheStatusLine::Fwd::kStale:
      out += "; fwd=stale";
      break;
  }
  if (line.fwd_status > 0) {
    out += "; fwd-status=";
    AppendUint(out, static_cast<uint64_t>(line.fwd_status));
  }
  if (line.stored) out += "; stored";
  if (line.collapsed) out += "; collapsed";
  if (line.has_ttl) {
    out += "; ttl=";
    AppendInt(out, line.ttl);
  }
  if (!line.key.empty()) {
    out += "; key=";
    AppendSfString(out, {}, line.key);
  }
  if (!line.owner.empty()) {
    out += "; detail=";
    AppendSfString(out, "owner=", line.owner);
  }
}

namespace internal {

void AppendCacheHeaders(std::string& out, const Response& r) {
  if (r.max_age >= 0 || !r.cache_control.empty()) {
    out += "Cache-Control: ";
    if (r.cache_private) out += "private, ";
    AppendDirectives(out, r.max_age, r.cache_control);
    out += "\r\n";
  }
  if (!r.cache_private && (r.cdn_max_age >= 0 || !r.cdn_cache_control.empty())) {
    out += "CDN-Cache-Control: ";
    AppendDirectives(out, r.cdn_max_age, r.cdn_cache_control);
    out += "\r\n";
  }
  if (r.cache_status_line.fwd != CacheStatusLine::Fwd::kNone) {
    out += "Cache-Status: ";
    AppendCacheStatus(out, r.cache_status_line);
    out += "\r\n";
  }
}

}  // namespace internal
}  // namespace shoal::http
