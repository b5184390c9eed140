// HttpClient: a tiny blocking HTTP/1.1 client over one POSIX socket, for process tests.
//
// It sends whatever bytes a test gives it (well-formed requests, pipelined batches, deliberate
// garbage) and reads responses one at a time: status line, headers, then a body framed by
// Content-Length or chunked encoding (or no body for HEAD, 1xx, 204 and 304). Bytes past one
// response stay buffered for the next Read, so pipelined answers are read in order on one
// keep-alive connection. Every socket wait has a deadline (the client's timeout); nothing here
// can hang a test.
//
// Ownership: an HttpClient owns its socket and closes it on destruction; it is movable, not
// copyable. Thread-compatible: one thread uses one client at a time; distinct clients are
// independent.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/status.h"

namespace shoal::testing {

struct HttpResponse {
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;  // in arrival order
  std::string body;

  // Header returns the first value of the header `name` (case-insensitive), "" if absent.
  std::string Header(std::string_view name) const;
  bool HasHeader(std::string_view name) const;
};

class HttpClient {
 public:
  // Connect opens a TCP connection to 127.0.0.1:`port`, waiting at most `timeout`. The
  // timeout also bounds each later Send and Read. Unavailable when the connection is refused.
  static Result<HttpClient> Connect(uint16_t port, Duration timeout = std::chrono::seconds(10));

  HttpClient(HttpClient&& other) noexcept;
  HttpClient& operator=(HttpClient&& other) noexcept;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  ~HttpClient();

  // Send writes all of `bytes` (one request, many, or any garbage).
  Status Send(std::string_view bytes);

  // Read reads one response. `head` says the request was HEAD, so no body follows whatever
  // Content-Length says. DeadlineExceeded on timeout; Unavailable when the peer closed first.
  Result<HttpResponse> Read(bool head = false);

  // Request sends "METHOD target HTTP/1.1" with a Host header and `extra_headers` (each line
  // ending in CRLF), then reads the response.
  Result<HttpResponse> Request(std::string_view method, std::string_view target,
                               std::string_view extra_headers = "");
  Result<HttpResponse> Get(std::string_view target, std::string_view extra_headers = "") {
    return Request("GET", target, extra_headers);
  }
  // RequestWithBody sends `body` (possibly empty) with its Content-Length and `content_type`,
  // then reads the response.
  Result<HttpResponse> RequestWithBody(std::string_view method, std::string_view target,
                                       std::string_view body,
                                       std::string_view content_type = "application/json");

  // WaitClosed reports whether the server closes the connection (EOF or reset) within
  // `timeout`; bytes that arrive meanwhile are kept for Read.
  bool WaitClosed(Duration timeout);

  void set_timeout(Duration timeout) { timeout_ = timeout; }

 private:
  HttpClient(int fd, Duration timeout) : fd_(fd), timeout_(timeout) {}
  // Fill appends what the socket has to buffer_, waiting until `deadline`. Ok on data;
  // Unavailable on EOF or error; DeadlineExceeded on timeout.
  Status Fill(std::chrono::steady_clock::time_point deadline);
  // Need reads until buffer_ holds at least `n` bytes.
  Status Need(size_t n, std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  Duration timeout_;
  std::string buffer_;  // received, not yet consumed
};

// RequestText builds a GET-style request: "METHOD target HTTP/1.1\r\nHost: shoal.test\r\n"
// + extra_headers + "\r\n".
std::string RequestText(std::string_view method, std::string_view target,
                        std::string_view extra_headers = "");

// Gunzip decodes a whole gzip stream (zlib's gzip wrapper); InvalidArgument on bad input.
Result<std::string> Gunzip(std::string_view compressed);

// MetricValue finds the sample `name` (no labels) in a Prometheus text exposition.
std::optional<double> MetricValue(std::string_view exposition, std::string_view name);

// ScrapeMetric fetches GET /_shoal/metrics on a new connection and returns the sample `name`.
Result<double> ScrapeMetric(uint16_t port, std::string_view name);

}  // namespace shoal::testing
