// HttpCall: one blocking HTTP/1.1 request on a new connection, for the commands that talk to a
// running node (`shoal stats` GETs /_shoal/stats, `shoal load --purge` POSTs /_shoal/purge).
//
// Small on purpose: http:// only, one request per connection (Connection: close), the answer
// framed by Content-Length or by the server closing; every wait (resolve aside, connect,
// write, read) bounded by one deadline. Nothing in src/ offered a client a command could use:
// loadgen's is an Asio load driver, tests/lib/http_client is test code.
//
// Thread-safety: a blocking call; distinct calls are independent (no shared state).
#pragma once

#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/host_port.h"
#include "base/status.h"

namespace shoal::cli {

// HttpUrl is an http:// URL taken apart: the node and the path ("" when the URL has none).
struct HttpUrl {
  HostPort host;
  std::string path;
};

// ParseHttpUrl reads http://HOST[:PORT][/PATH] (port 80 by default, IPv6 in brackets).
// InvalidArgument for another scheme or a bad authority, with a message naming the URL.
Result<HttpUrl> ParseHttpUrl(std::string_view url);

struct HttpAnswer {
  int status = 0;
  std::string body;
};

struct HttpRequest {
  std::string_view method = "GET";
  std::string_view target = "/";   // path and query
  std::string_view extra_headers;  // whole lines, each ending in CRLF (never logged here)
  std::string_view body;           // sent with its Content-Length when not empty
  std::string_view content_type = "application/json";
};

// HttpCall sends `request` to `host` and reads the answer, all within `timeout`. Unavailable
// when the connection fails, times out, is cut, or the peer does not answer HTTP (the message
// says which, naming HOST:PORT); any status is an answer (the caller judges it). Answers over
// 16 MiB are refused (Unavailable).
Result<HttpAnswer> HttpCall(const HostPort& host, const HttpRequest& request, Duration timeout);

}  // namespace shoal::cli
