// AccessRecord and AccessSink: the http layer's hook for an access log (one line per answer).
//
// With ServerOptions::access_log set, every answer a connection writes (the handler's, and the
// server's own: 400 for an unparsable request, 408, 413, 503 for a timeout or a connection over
// a cap, 500 after a fault) is handed to the sink as it goes to the socket, on the loop thread
// that owns the connection. Connections shed for want of file descriptors (server.h) are
// answered without a session and are not logged. With no sink (nullptr, the default) the server
// does none of this work: no clock reads, no copies.
//
// What the session copies per request so that a deferred answer can still name its request:
// the method, the target, Referer and User-Agent, each cut to its bound below (a cut value is
// followed by "..." in the line). The AccessRecord's views point into the session and are valid
// only during AccessSink::Write: a sink copies what it keeps.
// Thread-safety: AccessSink::Write is called concurrently from every loop thread.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/clock.h"
#include "http/handler.h"

namespace shoal::http {

// Bounds on the request text kept for a log line (bytes, before escaping). A target longer than
// nginx's default large header buffer's line is rare; a cut one still shows its route.
inline constexpr size_t kAccessTargetMax = 1024;
inline constexpr size_t kAccessMethodMax = 32;
inline constexpr size_t kAccessHeaderMax = 256;  // Referer, User-Agent

// ClientAddress is the peer's IP address as raw bytes (network order): 4 bytes for IPv4, 16
// for IPv6; `size` 0 when unknown (the socket had already failed).
struct ClientAddress {
  std::array<unsigned char, 16> bytes{};
  unsigned char size = 0;
};

// AccessValue is one request text kept for the log: the kept bytes, and whether more were sent.
struct AccessValue {
  std::string_view text;
  bool cut = false;
};

struct AccessRecord {
  // When the request was complete (its last byte parsed), wall clock.
  std::chrono::system_clock::time_point time;
  // From then until the answer was handed to the socket.
  Duration duration{};
  ClientAddress client;
  // Empty when the server answered without a parsed request (400 on a bad request line, 408,
  // a connection refused over a cap).
  AccessValue method;
  AccessValue target;
  AccessValue referer;
  AccessValue user_agent;
  bool http_1_0 = false;  // the request line said HTTP/1.0 (else HTTP/1.1)
  int status = 0;
  uint64_t bytes = 0;  // body bytes sent (0 for HEAD, 204, 304)
  CacheResult cache = CacheResult::kNone;
  std::string_view route;  // Response::route: interned, or ""
  std::string_view owner;  // Response::owner_node: interned, or ""
};

// AccessSink receives one AccessRecord per answer. Write runs on the loop threads, in the
// middle of serving: it must not block and must be thread-safe.
class AccessSink {
 public:
  virtual ~AccessSink() = default;
  virtual void Write(const AccessRecord& record) = 0;
};

}  // namespace shoal::http
