// AccessLineFormatter: turns one http::AccessRecord into one access-log line, in one of two
// formats (log.access.format).
//
// combined: nginx's and Apache's "combined" format, then four fields of shoal's own:
//   CLIENT - - [TIME] "METHOD TARGET PROTOCOL" STATUS BYTES "REFERER" "USER_AGENT"
//       DURATION CACHE "ROUTE" OWNER                                               (one line)
//   127.0.0.1 - - [06/Dec/2026:08:42:22 +0000] "GET /v1/items/7 HTTP/1.1" 200 312 "-"
//       "curl/7.88.1" 0.000041 hit "/v1/items/{id:int}" -                         (one line)
//   TIME is UTC; BYTES the body bytes sent (0 when none, as nginx's $body_bytes_sent);
//   DURATION seconds with microseconds, from the request's last byte to its answer going to the
//   socket; CACHE hit, stale, miss, peer, or - for an answer that is not the cache's; ROUTE the
//   configured route that matched, "-" when none; OWNER the node owning the key (host:port), -
//   on a single node. A request the server answered without parsing it (a malformed request
//   line, a 408) shows "-" as its request line. Quoted fields escape '"', '\' and every byte
//   outside printable ASCII as \xNN (base/log_escape.h), as nginx does.
// json: one object per line, keys in this order:
//   {"time":"2026-12-06T08:42:22.123+00:00","client":"127.0.0.1","method":"GET",
//    "target":"/v1/items/7","protocol":"HTTP/1.1","status":200,"bytes":312,
//    "duration_ms":0.041,"cache":"hit","route":"/v1/items/{id:int}","owner":"-",
//    "referer":"-","user_agent":"curl/7.88.1"}
//   Strings are JSON-escaped by base/json.h (invalid UTF-8 becomes U+FFFD); absent values are
//   "-" as in the combined format, the time is that of the application log's json lines.
// In both, a value the session cut to its bound (http/access.h: a target over 1024 bytes, a
// Referer or User-Agent over 256) ends with "...".
//
// Thread-compatible: one formatter per writer thread (it caches the formatted second).
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include "http/access.h"

namespace shoal::cli {

enum class AccessLogFormat { kCombined, kJson };

// ParseAccessLogFormat reads "combined" or "json".
std::optional<AccessLogFormat> ParseAccessLogFormat(std::string_view text);

class AccessLineFormatter {
 public:
  explicit AccessLineFormatter(AccessLogFormat format) : format_(format) {}

  // Append appends the line for `record`, with its newline, to `out`.
  void Append(std::string& out, const http::AccessRecord& record);

 private:
  void AppendCombined(std::string& out, const http::AccessRecord& record);
  void AppendJson(std::string& out, const http::AccessRecord& record);
  // Second formats the whole second of `t` in this format's style ("06/Dec/2026:08:42:22" or
  // "2026-12-06T08:42:22"), cached: a log's lines come in order of time, mostly.
  std::string_view Second(time_t t);

  const AccessLogFormat format_;
  time_t cached_second_ = -1;
  char second_text_[32] = {};
  size_t second_size_ = 0;
};

}  // namespace shoal::cli
